"""Reading the journal back: a posting's legs, row and lifecycle, scoped to one tenant and mode."""

from __future__ import annotations

from sqlalchemy import select
from sqlmodel import Session

from backend.db.tables import Entry, PendingPosting, Posting
from backend.ledger.legs import Leg
from backend.tenancy.lookup import get_scoped
from backend.tenancy.scope import Scope


def get_posting(session: Session, scope: Scope, posting_id: str, param: str | None = None) -> Posting:
    """The posting, or `not_found` when it does not exist in this tenant and mode."""
    return get_scoped(session, Posting, posting_id, scope, "posting", param)


def legs_of(session: Session, posting_id: str, bucket: str) -> tuple[Leg, ...]:
    """The positive legs a posting wrote to `bucket`, in journal order."""
    rows = session.execute(
        select(Entry.account_id, Entry.direction, Entry.amount_minor)
        .where(Entry.posting_id == posting_id, Entry.bucket == bucket, Entry.amount_minor > 0)
        .order_by(Entry.seq)
    ).all()
    return tuple(Leg(r.account_id, r.direction, r.amount_minor, r.direction) for r in rows)


def entries_of(session: Session, posting_ids: list[str]) -> dict[str, list[dict]]:
    rows = session.execute(select(Entry).where(Entry.posting_id.in_(posting_ids)).order_by(Entry.seq)).scalars()
    grouped: dict[str, list[dict]] = {pid: [] for pid in posting_ids}
    for e in rows:
        grouped[e.posting_id].append(e.model_dump())
    return grouped


def pending_of(session: Session, posting_ids: list[str]) -> dict[str, dict]:
    rows = session.execute(select(PendingPosting).where(PendingPosting.posting_id.in_(posting_ids))).scalars()
    return {p.posting_id: p.model_dump() for p in rows}


def lock_pending(session: Session, posting_id: str) -> PendingPosting:
    """Re-read a pending row after its accounts are locked, so its status is the committed one."""
    return session.execute(
        select(PendingPosting).where(PendingPosting.posting_id == posting_id).with_for_update().execution_options(populate_existing=True)
    ).scalar_one()
