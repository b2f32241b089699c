"""Checking an evidence packet offline, from its bytes alone, and naming the first thing wrong.

The checks run in this order and stop at the first failure, so the message points at the
innermost thing that broke rather than at the signature that every change ends up breaking:

1. the file is JSON with every field of the format (and no others);
2. each audit record's body digest and hashes match the chain link of its seq;
3. the links are consecutive and each one follows the hash of the one before (from genesis when
   they start at seq 1);
4. the records are in seq order, none twice, exactly the ones `record_seqs` lists, and the links
   run from the first record to the last;
5. the contents agree with themselves: every record is about the subject in the packet's tenant
   and mode, the chain head is not behind the records, every event (and an intent's every
   screening match) is the subject's, and each posting's entries hash to its `entry_hash`;
6. the digest is the SHA-256 of the canonical packet body, and the file is exactly the canonical
   JSON of the whole packet (so no byte can change, not even outside the signed values);
7. the signing key is well formed, named by its key id, and the one pinned with `--public-key`;
8. the ed25519 signature over the digest verifies.

It depends only on the chain's hashing, the canonical encoding, the ledger's `entry_hash` and the
signature format, none of which touch a database.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Callable

import orjson

from backend.audit.chain import BODY_FIELDS, Link, first_break, record_digest
from backend.encoding import canonical
from backend.evidence.signing import (
    ALGORITHM,
    KeyFormatError,
    key_id,
    packet_digest,
    signature_valid,
)
from backend.ledger.legs import Leg, entry_hash, swapped

PACKET_VERSION = 1
ANY = object
TOP_FIELDS = {"packet": dict, "digest": str, "signature": dict}
SIGNATURE_FIELDS = {"alg": str, "key_id": str, "public_key": str, "value": str}
PACKET_FIELDS = {"version": int, "subject": dict, "tenant": str, "mode": str, "generated_at": str, "contents": dict, "audit": dict, "chain_head": dict}
AUDIT_FIELDS = {"chain": str, "record_seqs": list, "records": list, "links": list}
RECORD_FIELDS = {**{name: ANY for name in BODY_FIELDS}, "seq": int, "prev_hash": str, "hash": str}
LINK_FIELDS = {"seq": int, "record_digest": str, "prev_hash": str, "hash": str}
CAPPED_FIELDS = {"data": list, "total": int, "truncated": bool}
CAPPED_NONE = {"data": [], "total": 0, "truncated": False}
ENTRY_FIELDS = {"account": str, "direction": str, "bucket": str, "amount_minor": int}
TYPE_NAMES = {str: "string", int: "integer", bool: "boolean", dict: "JSON object", list: "list"}


class Problem(Exception):
    """What is wrong with a packet; the message names the part that broke."""


@dataclass(frozen=True)
class Verdict:
    """A packet's verdict: `problem` when invalid, else a one-line `summary` of what it proves."""

    problem: str | None = None
    summary: str | None = None

    @property
    def ok(self) -> bool:
        return self.problem is None


def verify_packet(raw: bytes, pinned_public_key: str | None = None) -> Verdict:
    """Check a packet file's bytes; `pinned_public_key` (`ed25519:...`, see
    `signing.resolve_public_key`) is the key it must be signed with, if the caller knows it."""
    try:
        document = _parse(raw)
        packet, signature = document["packet"], document["signature"]
        _records_match_links(packet["audit"])
        _links_form_a_chain(packet["audit"]["links"])
        _records_in_order(packet["audit"])
        _contents_consistent(packet)
        _digest_matches(raw, document)
        _signed_by(signature, document["digest"], pinned_public_key)
    except Problem as problem:
        return Verdict(problem=str(problem))
    return Verdict(summary=_summary(packet, signature, pinned_public_key))


def _is(value: object, kind: type) -> bool:
    """JSON type check; a boolean is not an integer here, whatever Python says."""
    return isinstance(value, kind) and (kind is bool or kind is ANY or not isinstance(value, bool))


def _fields(value: object, spec: dict[str, type], where: str) -> dict:
    """`value` as an object with exactly the fields of `spec`, each of its type."""
    if not isinstance(value, dict):
        raise Problem(f"{where} is not a JSON object")
    for name, kind in spec.items():
        if name not in value:
            raise Problem(f"{where} is missing field {name!r}")
        if not _is(value[name], kind):
            raise Problem(f"{where} field {name!r} is not a {TYPE_NAMES[kind]}")
    extra = sorted(set(value) - set(spec))
    if extra:
        raise Problem(f"{where} has an unexpected field {extra[0]!r}")
    return value


def _parse(raw: bytes) -> dict:
    try:
        document = orjson.loads(raw)
    except orjson.JSONDecodeError as err:
        raise Problem(f"the file is not valid JSON ({err})") from None
    _fields(document, TOP_FIELDS, "the packet file")
    _fields(document["signature"], SIGNATURE_FIELDS, "signature")
    packet = _fields(document["packet"], PACKET_FIELDS, "packet")
    _fields(packet["subject"], {"type": str, "id": str}, "packet subject")
    _fields(packet["chain_head"], {"seq": int, "hash": str}, "packet chain_head")
    audit = _fields(packet["audit"], AUDIT_FIELDS, "packet audit")
    if not all(_is(seq, int) for seq in audit["record_seqs"]):
        raise Problem("packet audit record_seqs holds something that is not a seq")
    for i, record in enumerate(audit["records"]):
        seq = record.get("seq") if isinstance(record, dict) else None
        _fields(record, RECORD_FIELDS, f"audit record seq {seq}" if _is(seq, int) else f"audit record #{i + 1}")
    for i, link in enumerate(audit["links"]):
        _fields(link, LINK_FIELDS, f"chain link #{i + 1}")
    return document


def _records_match_links(audit: dict) -> None:
    links = {link["seq"]: link for link in audit["links"]}
    for record in audit["records"]:
        seq = record["seq"]
        link = links.get(seq)
        if link is None:
            raise Problem(f"audit record seq {seq} has no chain link in the packet")
        if record_digest(record) != link["record_digest"]:
            raise Problem(f"audit record seq {seq}: contents do not match its hash")
        if (record["prev_hash"], record["hash"]) != (link["prev_hash"], link["hash"]):
            raise Problem(f"audit record seq {seq}: its prev_hash or hash differs from the chain link of seq {seq}")


def _links_form_a_chain(links: list[dict]) -> None:
    broken = first_break([Link(**link) for link in links])
    if broken is not None:
        raise Problem(f"audit chain broken: {broken.reason}")


def _records_in_order(audit: dict) -> None:
    seqs, listed = [r["seq"] for r in audit["records"]], audit["record_seqs"]
    for earlier, later in zip(seqs, seqs[1:]):
        if earlier == later:
            raise Problem(f"audit record seq {later} appears twice")
        if earlier > later:
            raise Problem(f"audit records out of order: seq {earlier} comes before seq {later}")
    missing = sorted(set(listed) - set(seqs))
    if missing:
        raise Problem(f"audit record seq {missing[0]} is missing from the packet's records")
    if seqs != listed:
        unlisted = sorted(set(seqs) - set(listed))
        raise Problem(f"audit record seq {unlisted[0]} is not in record_seqs" if unlisted else "record_seqs does not list the records in seq order")
    links = audit["links"]
    span = (links[0]["seq"], links[-1]["seq"]) if links else None
    if span != ((seqs[0], seqs[-1]) if seqs else None):
        raise Problem(f"chain links span {span or 'nothing'} but the audit records span {(seqs[0], seqs[-1]) if seqs else 'nothing'}")


def _contents_consistent(packet: dict) -> None:
    if packet["version"] != PACKET_VERSION:
        raise Problem(f"packet version {packet['version']} is not one this verifier reads (version {PACKET_VERSION})")
    subject, audit = packet["subject"], packet["audit"]
    if audit["chain"] != packet["tenant"]:
        raise Problem(f"audit chain {audit['chain']!r} is not the chain of tenant {packet['tenant']!r}")
    for record in audit["records"]:
        if (record["tenant"], record["mode"], record["object"]) != (packet["tenant"], packet["mode"], subject["id"]):
            raise Problem(
                f"audit record seq {record['seq']} is about {record['object']!r} in {record['tenant']}/{record['mode']}, "
                f"not the subject {subject['id']!r} in {packet['tenant']}/{packet['mode']}"
            )
    _head_not_behind(packet["chain_head"], audit["links"])
    check = CONTENT_CHECKS.get(subject["type"])
    if check is None:
        raise Problem(f"subject type {subject['type']!r} is not one this verifier knows")
    check(packet["contents"], subject["id"])


def _head_not_behind(head: dict, links: list[dict]) -> None:
    if not links:
        return
    last = links[-1]
    if head["seq"] < last["seq"]:
        raise Problem(f"chain head seq {head['seq']} is behind the last audit record seq {last['seq']}")
    if head["seq"] == last["seq"] and head["hash"] != last["hash"]:
        raise Problem(f"chain head hash differs from the hash of seq {last['seq']}")


def _capped(value: object, where: str) -> list:
    capped = _fields(value, CAPPED_FIELDS, where)
    kept = len(capped["data"])
    if capped["total"] < kept or capped["truncated"] != (capped["total"] > kept):
        raise Problem(f"{where}: total {capped['total']} and truncated {capped['truncated']} disagree with the {kept} kept")
    return capped["data"]


def _check_events(value: object, subject_id: str) -> None:
    for i, event in enumerate(_capped(value, "contents events")):
        if not isinstance(event, dict) or event.get("object") != subject_id:
            raise Problem(f"contents events #{i + 1} is not an event of {subject_id!r}")


def _hashed_legs(entries: list[dict]) -> tuple[Leg, ...]:
    """The legs a posting's `entry_hash` covers, from its journal entries: the positive ones in
    journal order (what it moved or reserved); a void or an expiry only releases, and is hashed
    over the released legs swapped (as `backend.ledger.postings` and `expiry` hash them)."""
    moved = tuple(Leg(e["account"], e["direction"], e["amount_minor"], "") for e in entries if e["amount_minor"] > 0)
    if moved:
        return moved
    return swapped(tuple(Leg(e["account"], e["direction"], -e["amount_minor"], "") for e in entries))


def _check_posting_view(posting: object, where: str) -> dict:
    """A rendered posting whose entries hash to its `entry_hash`."""
    if not isinstance(posting, dict) or not _is(posting.get("posting_id"), str) or not _is(posting.get("currency"), str):
        raise Problem(f"{where} is not a posting with a posting_id and a currency")
    posting_id = posting["posting_id"]
    entries = posting.get("entries")
    if not isinstance(entries, list) or not entries:
        raise Problem(f"posting {posting_id}: entries are missing")
    for i, entry in enumerate(entries):
        _fields(entry, ENTRY_FIELDS, f"posting {posting_id} entry #{i + 1}")
    evidence = posting.get("evidence")
    if not isinstance(evidence, dict) or not _is(evidence.get("entry_hash"), str):
        raise Problem(f"posting {posting_id}: evidence.entry_hash is missing")
    if entry_hash(posting_id, posting["currency"], _hashed_legs(entries)) != evidence["entry_hash"]:
        raise Problem(f"posting {posting_id}: its entries do not match its entry_hash")
    return posting


def _check_posting(contents: dict, subject_id: str) -> None:
    _fields(contents, {"posting": dict, "events": dict}, "contents")
    posting = _check_posting_view(contents["posting"], "contents posting")
    if posting["posting_id"] != subject_id:
        raise Problem(f"contents hold posting {posting['posting_id']!r}, not the subject {subject_id!r}")
    _check_events(contents["events"], subject_id)


def _check_account(contents: dict, subject_id: str) -> None:
    _fields(contents, {"account": dict, "events": dict, "postings": dict}, "contents")
    if contents["account"].get("id") != subject_id:
        raise Problem(f"contents hold account {contents['account'].get('id')!r}, not the subject {subject_id!r}")
    _check_events(contents["events"], subject_id)
    for i, posting in enumerate(_capped(contents["postings"], "contents postings")):
        _check_posting_view(posting, f"contents postings #{i + 1}")
        if all(entry["account"] != subject_id for entry in posting["entries"]):
            raise Problem(f"posting {posting['posting_id']} in the contents does not touch account {subject_id!r}")


def _check_intent(contents: dict, subject_id: str) -> None:
    fields = {"intent": dict, "events": dict, "postings": dict, "webhook_attempts": dict, "callbacks": dict}
    if isinstance(contents, dict) and "screening" in contents:  # packets made before screening have none
        fields["screening"] = dict
    _fields(contents, fields, "contents")
    intent = contents["intent"]
    if intent.get("intent_id") != subject_id:
        raise Problem(f"contents hold intent {intent.get('intent_id')!r}, not the subject {subject_id!r}")
    _check_events(contents["events"], subject_id)
    listed = intent.get("postings")
    if not isinstance(listed, list):
        raise Problem("contents intent: postings are missing")
    for i, posting in enumerate(_capped(contents["postings"], "contents postings")):
        _check_posting_view(posting, f"contents postings #{i + 1}")
        if posting["posting_id"] not in listed:
            raise Problem(f"posting {posting['posting_id']} in the contents is not one of intent {subject_id}'s postings")
    _capped(contents["webhook_attempts"], "contents webhook_attempts")
    _capped(contents["callbacks"], "contents callbacks")
    for i, match in enumerate(_capped(contents.get("screening", CAPPED_NONE), "contents screening")):
        if not isinstance(match, dict) or match.get("intent_id") != subject_id:
            raise Problem(f"contents screening #{i + 1} is not a screening match of intent {subject_id!r}")


CONTENT_CHECKS: dict[str, Callable[[dict, str], None]] = {"posting": _check_posting, "account": _check_account, "intent": _check_intent}


def _digest_matches(raw: bytes, document: dict) -> None:
    if packet_digest(document["packet"]) != document["digest"]:
        raise Problem("packet digest does not match its contents: the packet or its digest was changed after signing")
    exact = canonical(document)
    if raw not in (exact, exact + b"\n"):
        raise Problem("the file is not the packet's canonical JSON: bytes outside the signed values were changed (spacing, layout or escapes)")


def _signed_by(signature: dict, digest: str, pinned: str | None) -> None:
    if signature["alg"] != ALGORITHM:
        raise Problem(f"signature algorithm {signature['alg']!r} is not {ALGORITHM!r}")
    try:
        signer = key_id(signature["public_key"])
    except KeyFormatError as err:
        raise Problem(f"signature public key is malformed: {err}") from None
    if signature["key_id"] != signer:
        raise Problem(f"signature key_id {signature['key_id']!r} does not match its public key (key id {signer})")
    if pinned is not None and signature["public_key"] != pinned:
        raise Problem(f"packet was signed by key {signer}, expected key {key_id(pinned)}")
    try:
        valid = signature_valid(signature["public_key"], digest, signature["value"])
    except KeyFormatError as err:
        raise Problem(f"signature is malformed: {err}") from None
    if not valid:
        raise Problem(f"signature does not verify: the digest was not signed by key {signer}")


def _summary(packet: dict, signature: dict, pinned: str | None) -> str:
    audit, subject, seqs = packet["audit"], packet["subject"], packet["audit"]["record_seqs"]
    span = f" in chain {audit['chain']} seq {seqs[0]}-{seqs[-1]}" if seqs else ""
    trust = "pinned" if pinned else "not pinned: pass --public-key to check who signed it"
    return (
        f"{subject['type']} {subject['id']} (tenant {packet['tenant']}, {packet['mode']}): {len(seqs)} audit records{span}, "
        f"chain head seq {packet['chain_head']['seq']}; signed by key {signature['key_id']} ({trust})"
    )
