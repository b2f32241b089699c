"""Pending postings expire by themselves at `expires_at`.

Three paths keep that exact: reads subtract pending amounts already due (see `queries`), every
write first releases the due pending postings of the accounts it locks, and a background sweep
releases the rest. The release entries are effective at `expires_at`, not at sweep time, so
`as_of` balances are the same whichever path released them.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import select, update
from sqlmodel import Session

from backend.db import transactions
from backend.db.engine import Database
from backend.db.tables import Entry, Hold, HoldAction, PendingPosting
from backend.events.outbox import PendingEvent
from backend.ids import new_id
from backend.ledger import legs as legrules
from backend.ledger.book import Book
from backend.ledger.journal import get_posting, legs_of, lock_pending
from backend.tenancy.scope import Scope


def _due_touching(session: Session, scope: Scope, account_ids: set[str], now: datetime) -> dict[str, set[str]]:
    any_due = session.execute(
        select(PendingPosting.posting_id)
        .where(PendingPosting.status == "pending", PendingPosting.expires_at <= now, PendingPosting.tenant_id == scope.tenant_id, PendingPosting.mode == scope.mode)
        .limit(1)
    ).first()
    if any_due is None:
        return {}
    rows = session.execute(
        select(PendingPosting.posting_id, Entry.account_id)
        .join(Entry, Entry.posting_id == PendingPosting.posting_id)
        .where(
            PendingPosting.tenant_id == scope.tenant_id,
            PendingPosting.mode == scope.mode,
            PendingPosting.status == "pending",
            PendingPosting.expires_at <= now,
            Entry.posting_id.in_(
                select(Entry.posting_id).where(Entry.account_id.in_(account_ids), Entry.bucket == "pending")
            ),
        )
    ).all()
    due: dict[str, set[str]] = {}
    for posting_id, account_id in rows:
        due.setdefault(posting_id, set()).add(account_id)
    return due


def lock_releasing_due(book: Book, account_ids: set[str]) -> None:
    """Lock `account_ids` plus the counterparts of their due pending postings, then release those."""
    due = _due_touching(book.session, book.scope, account_ids, book.now) if account_ids else {}
    book.lock(set(account_ids).union(*due.values()) if due else set(account_ids))
    for posting_id in sorted(due):
        expire(book, posting_id)


def expire(book: Book, posting_id: str) -> bool:
    """Release one due pending posting (its accounts already locked); False if already resolved."""
    pending = lock_pending(book.session, posting_id)
    if pending.status != "pending" or pending.expires_at is None or pending.expires_at > book.now:
        return False
    posting = get_posting(book.session, book.scope, posting_id)
    legs = legs_of(book.session, posting_id, "pending")
    resolution_id = new_id("pst")
    book.move(legrules.movements(legs, "pending", -1), {}, resolution_id, posting.currency, pending.expires_at)
    book.add_posting(
        id=resolution_id,
        kind="expire_pending",
        currency=posting.currency,
        amount_minor=posting.amount_minor,
        pending_posting_id=posting_id,
        correlation_id=posting.correlation_id,
        entry_hash=legrules.entry_hash(resolution_id, posting.currency, legrules.swapped(legs)),
    )
    book.session.execute(
        update(PendingPosting)
        .where(PendingPosting.posting_id == posting_id)
        .values(status="expired", resolved_at=pending.expires_at, resolution_posting_id=resolution_id)
    )
    data = {"posting_id": posting_id, "resolution_posting_id": resolution_id, "expired_at": pending.expires_at.isoformat()}
    book.add_event(PendingEvent("ledger.entry.expired", posting_id, data, book.now, posting.correlation_id))
    _expire_hold(book, posting_id, pending.expires_at)
    return True


def _expire_hold(book: Book, posting_id: str, expired_at: datetime) -> None:
    hold = book.session.execute(select(Hold).where(Hold.posting_id == posting_id)).scalar_one_or_none()
    if hold is None:
        return
    hold.status, hold.updated_at = "expired", book.now
    book.session.add(HoldAction(hold_id=hold.id, action="expired", amount_minor=hold.amount_minor, reason="expires_at reached", expires_at=expired_at, at=book.now))
    data = {"hold_id": hold.id, "account": hold.account_id, "amount_minor": hold.amount_minor, "expired_at": expired_at.isoformat()}
    book.add_event(PendingEvent("hold.expired", hold.id, data, book.now))


def sweep(db: Database, now_fn, batch: int = 200) -> int:
    """Release every pending posting due by now, one scope per transaction; returns how many."""
    def due(session: Session) -> list[tuple[str, str, str]]:
        return list(
            session.execute(
                select(PendingPosting.tenant_id, PendingPosting.mode, PendingPosting.posting_id)
                .where(PendingPosting.status == "pending", PendingPosting.expires_at <= now_fn())
                .order_by(PendingPosting.expires_at)
                .limit(batch)
            ).all()
        )

    released = 0
    for tenant_id, mode, posting_id in transactions.read(db, due):
        released += transactions.write(db, lambda s: _expire_one(s, Scope(tenant_id, mode), posting_id, now_fn()))
    return released


def _expire_one(session: Session, scope: Scope, posting_id: str, now: datetime) -> int:
    book = Book(session, scope, now)
    book.lock({leg.account_id for leg in legs_of(session, posting_id, "pending")})
    done = expire(book, posting_id)
    book.flush()
    return int(done)
