"""How audit records are hashed and linked: pure functions shared by the sealer, the background
verifier, evidence packets and the offline `zentra verify`.

A record's `hash` is SHA-256 over the canonical JSON (sorted keys, no whitespace, UTF-8) of
`{"prev_hash": ..., "record_digest": ..., "seq": ...}`, where `record_digest` is SHA-256 over the
canonical JSON of the record's body (every contract field except `seq`, `prev_hash` and `hash`).
Linking through the body's digest rather than the body itself lets an evidence packet prove that
two records of one object are joined by the records between them while carrying only those
records' digests, not their contents (which may concern other objects); keeping `seq` out of the
body lets the digest be computed once, when the record is written, so sealing only links.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass

from backend.encoding import canonical

GENESIS = "0" * 64
BODY_FIELDS = ("tenant", "mode", "actor", "role", "action", "object", "scope", "policy", "detail", "request_id", "occurred_at")


def _sha256(value: object) -> str:
    return hashlib.sha256(canonical(value)).hexdigest()


def record_digest(body: dict) -> str:
    """SHA-256 of a record's body: exactly the `BODY_FIELDS`, nothing more, nothing less."""
    return _sha256({name: body[name] for name in BODY_FIELDS})


def link_hash(seq: int, prev_hash: str, digest: str) -> str:
    """The chain hash of record `seq`, whose body digest is `digest`, following `prev_hash`."""
    return _sha256({"prev_hash": prev_hash, "record_digest": digest, "seq": seq})


@dataclass(frozen=True)
class Link:
    """What the chain needs of one record: its position, its body digest and its hashes."""

    seq: int
    record_digest: str
    prev_hash: str
    hash: str


@dataclass(frozen=True)
class Break:
    """Where a chain stops being provable (`seq`) and why."""

    seq: int
    reason: str


def first_break(links: list[Link], start_hash: str | None = None) -> Break | None:
    """Where and why `links` (meant to be consecutive seqs, in order) do not form a chain.

    `start_hash` is the hash the first link must follow (GENESIS for seq 1); None accepts any.
    """
    expected_prev = GENESIS if links and links[0].seq == 1 and start_hash is None else start_hash
    previous_seq: int | None = None
    for link in links:
        if previous_seq is not None and link.seq < previous_seq + 1:
            return Break(link.seq, f"record seq {link.seq} comes after seq {previous_seq}: records are out of order")
        if previous_seq is not None and link.seq > previous_seq + 1:
            return Break(previous_seq + 1, f"record seq {previous_seq + 1} is missing (seq {link.seq} follows seq {previous_seq})")
        if expected_prev is not None and link.prev_hash != expected_prev:
            return Break(link.seq, f"record seq {link.seq}: prev_hash does not match the hash of seq {link.seq - 1}")
        if link_hash(link.seq, link.prev_hash, link.record_digest) != link.hash:
            return Break(link.seq, f"record seq {link.seq}: hash does not match its contents")
        expected_prev, previous_seq = link.hash, link.seq
    return None
