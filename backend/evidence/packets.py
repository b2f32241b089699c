"""Assembling and signing evidence packets (the format is described in the README).

A packet is `{"packet": body, "digest": sha256(canonical(body)), "signature": {...}}`. Its file
form is the canonical JSON of the whole packet (sorted keys, no whitespace), byte for byte what
the API sends, so that `zentra verify` can refuse any changed byte, formatting included.

The body is read in one transaction, after the tenant's audit chain has been sealed, so every
record acknowledged before the request is in it and the contents, records and chain head all
come from one snapshot.
"""

from __future__ import annotations

from datetime import datetime

import orjson
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from sqlmodel import Session

from backend.audit.sealer import seal
from backend.clock import to_iso
from backend.config import Settings
from backend.db import transactions
from backend.db.engine import Database
from backend.encoding import canonical
from backend.evidence.contents import subject_of
from backend.evidence.proofs import audit_proof, chain_head
from backend.evidence.signing import packet_digest, signature_block, signing_key
from backend.evidence.verification import PACKET_VERSION
from backend.tenancy.scope import Scope


def build_packet(db: Database, scope: Scope, object_id: str, now: datetime, settings: Settings) -> dict:
    """Seal the tenant's chain, then assemble and sign the packet for `object_id` in `scope`;
    `not_found` (carrying `object_id`, for the denial record) if `scope` cannot see it."""
    seal(db, scope.tenant_id)
    key = signing_key(settings)
    return transactions.read(db, lambda session: assemble(session, scope, object_id, now, key))


def assemble(session: Session, scope: Scope, object_id: str, now: datetime, key: Ed25519PrivateKey) -> dict:
    """The signed packet for `object_id`, read in the caller's transaction (seal the chain first)."""
    subject = subject_of(object_id)
    contents = subject.contents(session, scope, object_id, now)
    body = {
        "version": PACKET_VERSION,
        "subject": {"type": subject.type, "id": object_id},
        "tenant": scope.tenant_id,
        "mode": scope.mode,
        "generated_at": to_iso(now),
        "contents": contents,
        "audit": audit_proof(session, scope, object_id),
        "chain_head": chain_head(session, scope.tenant_id),
    }
    return sign_packet(body, key)


def sign_packet(body: dict, key: Ed25519PrivateKey) -> dict:
    """`body` with its digest and `key`'s signature, every object's keys in canonical order, so
    any encoder that keeps key order (the API's included) writes the canonical bytes."""
    digest = packet_digest(body)
    return orjson.loads(canonical({"packet": body, "digest": digest, "signature": signature_block(key, digest)}))


def packet_bytes(packet: dict) -> bytes:
    """The file form of a signed packet: what to save for `zentra verify`."""
    return canonical(packet)
