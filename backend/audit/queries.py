"""Reading the audit chain: filtered pages of sealed records, newest first, and a chain's status."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select
from sqlmodel import Session

from backend.audit.records import render
from backend.clock import to_iso
from backend.db.tables import AuditChain, AuditRecord


@dataclass(frozen=True)
class AuditFilter:
    """What the audit rail narrows by; None means any."""

    actor: str | None = None
    object_id: str | None = None
    action: str | None = None
    since: datetime | None = None
    until: datetime | None = None


def records_page(session: Session, chain: str, mode: str | None, wanted: AuditFilter, *, before: int | None = None, limit: int = 25) -> dict:
    """Sealed records of `chain` in `mode` (None: every mode) matching `wanted`, newest first,
    starting below the cursor `before` (the `next_before` of the previous page). Keyset paging on
    the insertion id, which every filter index ends in, stays fast however long the chain grows."""
    query = select(AuditRecord).where(AuditRecord.chain == chain, AuditRecord.seq.is_not(None))
    conditions = [
        (mode, lambda: AuditRecord.mode == mode),
        (wanted.actor, lambda: AuditRecord.actor == wanted.actor),
        (wanted.object_id, lambda: AuditRecord.object_id == wanted.object_id),
        (wanted.action, lambda: AuditRecord.action == wanted.action),
        (wanted.since, lambda: AuditRecord.occurred_at >= wanted.since),
        (wanted.until, lambda: AuditRecord.occurred_at < wanted.until),
        (before, lambda: AuditRecord.id < before),
    ]
    for value, condition in conditions:
        if value is not None:
            query = query.where(condition())
    rows = session.execute(query.order_by(AuditRecord.id.desc()).limit(limit + 1)).scalars().all()
    page = rows[:limit]
    return {"object": "list", "data": [render(r) for r in page], "has_more": len(rows) > limit, "next_before": page[-1].id if len(rows) > limit else None}


def chain_status(session: Session, chain: str) -> dict:
    """How far the chain is sealed and verified, and the break the verifier found, if any."""
    head = session.get(AuditChain, chain)
    if head is None:
        return {"chain": chain, "sealed_seq": 0, "head_hash": None, "verified_seq": 0, "verified_at": None, "status": "empty", "broken_seq": None, "broken_reason": None}
    return {
        "chain": chain,
        "sealed_seq": head.seq,
        "head_hash": head.hash,
        "verified_seq": head.verified_seq,
        "verified_at": to_iso(head.verified_at),
        "status": "broken" if head.broken_seq is not None else ("verified" if head.verified_at else "unverified"),
        "broken_seq": head.broken_seq,
        "broken_reason": head.broken_reason,
    }
