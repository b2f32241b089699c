"""Read models for the operations room and list endpoints: an account's postings and its
balance history, paged on the server."""

from __future__ import annotations

from sqlalchemy import case, func, select
from sqlmodel import Session

from backend.clock import to_iso
from backend.db.tables import Entry, Posting
from backend.ledger.accounts import get_account_row
from backend.ledger.postings import render
from backend.pagination import page
from backend.tenancy.scope import Scope


def postings_for_account(session: Session, scope: Scope, account_id: str, *, limit: int = 25, offset: int = 0) -> dict:
    """Postings that touched the account, newest first."""
    get_account_row(session, scope, account_id)
    touching = select(Entry.posting_id).where(Entry.account_id == account_id).distinct().subquery()
    total = session.execute(select(func.count()).select_from(touching)).scalar_one()
    rows = session.execute(
        select(Posting).where(Posting.id.in_(select(touching.c.posting_id))).order_by(Posting.created_at.desc(), Posting.id.desc()).limit(limit).offset(offset)
    ).scalars().all()
    return page(render(session, list(rows)), total, limit, offset)


def balance_history(session: Session, scope: Scope, account_id: str, *, limit: int = 25, offset: int = 0) -> dict:
    """The account's journal, newest first, each line with the posted and available balance after it.

    Running balances come from a window sum over the account's entries in journal order, so a
    page costs one query however deep it is.
    """
    account = get_account_row(session, scope, account_id)
    sign = 1 if account.normal_balance == "credit" else -1
    natural = case((Entry.direction == "credit", Entry.amount_minor), else_=-Entry.amount_minor) * sign
    posted_delta = case((Entry.bucket == "posted", natural), else_=0)
    outflow = "debit" if account.normal_balance == "credit" else "credit"
    held_delta = case(((Entry.bucket == "pending") & (Entry.direction == outflow), Entry.amount_minor), else_=0)
    order = (Entry.effective_at, Entry.seq)
    running = (
        select(
            Entry.seq,
            Entry.posting_id,
            Entry.direction,
            Entry.bucket,
            Entry.amount_minor,
            Entry.effective_at,
            func.sum(posted_delta).over(order_by=order).label("posted"),
            func.sum(held_delta).over(order_by=order).label("held"),
        )
        .where(Entry.account_id == account_id)
        .subquery()
    )
    total = session.execute(select(func.count()).select_from(running)).scalar_one()
    rows = session.execute(select(running).order_by(running.c.effective_at.desc(), running.c.seq.desc()).limit(limit).offset(offset)).all()
    data = [
        {
            "posting_id": r.posting_id,
            "direction": r.direction,
            "bucket": r.bucket,
            "amount_minor": r.amount_minor,
            "effective_at": to_iso(r.effective_at),
            "posted": int(r.posted),
            "available": int(r.posted) - int(r.held),
        }
        for r in rows
    ]
    return page(data, total, limit, offset)
