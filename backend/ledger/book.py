"""One ledger transaction's working set: the locked accounts and the rows it will write.

Accounts are locked once, in id order, so concurrent transactions never deadlock on each other;
balance changes are computed in memory by the pure rules, then written back with bulk statements
(one INSERT per table, one UPDATE batch for the accounts) when the unit of work flushes.
"""

from __future__ import annotations

import json
from datetime import datetime

from sqlalchemy import select
from sqlmodel import Session

from backend.db.bulk import insert_rows, update_totals
from backend.db.tables import Account, Entry, PendingPosting, Posting
from backend.events.outbox import PendingEvent, record
from backend.ledger.balances import AccountBalance, Movement, apply
from backend.tenancy.scope import Scope

_POSTING_DEFAULTS = {"pending_posting_id": None, "reverses_posting_id": None, "correlation_id": None, "description": None, "reason": None}


def balance_of(row) -> AccountBalance:
    return AccountBalance(
        id=row.id,
        currency=row.currency,
        normal_balance=row.normal_balance,
        allow_negative=row.allow_negative,
        debits_posted=row.debits_posted,
        credits_posted=row.credits_posted,
        debits_pending=row.debits_pending,
        credits_pending=row.credits_pending,
    )


class Book:
    """Locked balances plus the postings, entries, pending rows and events still to be written."""

    def __init__(self, session: Session, scope: Scope, now: datetime):
        self.session = session
        self.scope = scope
        self.now = now
        self.balances: dict[str, AccountBalance] = {}
        self._original: dict[str, AccountBalance] = {}
        self._postings: list[dict] = []
        self._entries: list[dict] = []
        self._pending: list[dict] = []
        self._events: list[PendingEvent] = []

    def lock(self, account_ids: set[str]) -> None:
        """Load and lock (FOR UPDATE, sorted) the accounts of this scope among `account_ids`.

        Ids of other tenants or modes are simply not found, which callers report as unknown.
        """
        wanted = sorted(set(account_ids) - set(self.balances))
        if not wanted:
            return
        c = Account.__table__.c
        rows = self.session.execute(
            select(c.id, c.currency, c.normal_balance, c.allow_negative, c.debits_posted, c.credits_posted, c.debits_pending, c.credits_pending)
            .where(c.id.in_(wanted), c.tenant_id == self.scope.tenant_id, c.mode == self.scope.mode)
            .order_by(c.id)
            .with_for_update()
        )
        for row in rows:
            self.balances[row.id] = self._original[row.id] = balance_of(row)

    def move(self, movements: list[Movement], params: dict[str, str], posting_id: str, currency: str, effective_at: datetime) -> None:
        """Apply `movements` (all or none) and journal them as entries of `posting_id`."""
        self.balances.update(apply(self.balances, movements, params))
        for m in movements:
            self._entries.append(
                {
                    "posting_id": posting_id,
                    "tenant_id": self.scope.tenant_id,
                    "mode": self.scope.mode,
                    "account_id": m.account_id,
                    "currency": currency,
                    "direction": m.direction,
                    "bucket": m.bucket,
                    "amount_minor": m.amount_minor,
                    "effective_at": effective_at,
                }
            )

    def add_posting(self, **row) -> None:
        """Queue a posting row; every row carries every column, as one executemany needs."""
        row.setdefault("metadata_json", json.dumps(row.pop("metadata", {}) or {}, sort_keys=True))
        self._postings.append({**_POSTING_DEFAULTS, "tenant_id": self.scope.tenant_id, "mode": self.scope.mode, "created_at": self.now, **row})

    def add_pending(self, posting_id: str, expires_at: datetime | None) -> None:
        self._pending.append(
            {"posting_id": posting_id, "tenant_id": self.scope.tenant_id, "mode": self.scope.mode, "status": "pending", "expires_at": expires_at}
        )

    def add_event(self, event: PendingEvent) -> None:
        self._events.append(event)

    def checkpoint(self) -> tuple:
        """A marker to roll the in-memory work back to (used by non-atomic batches)."""
        return dict(self.balances), len(self._postings), len(self._entries), len(self._pending), len(self._events)

    def rollback_to(self, mark: tuple) -> None:
        balances, p, e, pp, ev = mark
        self.balances = balances
        del self._postings[p:], self._entries[e:], self._pending[pp:], self._events[ev:]

    def flush(self) -> None:
        """Write everything gathered, in foreign-key order, with one Core statement per table
        (the ORM's bulk path costs more than the database does here)."""
        conn = self.session.connection()
        for table, rows in ((Posting.__table__, self._postings), (PendingPosting.__table__, self._pending), (Entry.__table__, self._entries)):
            insert_rows(conn, table, rows)
        changed = [b for account_id, b in self.balances.items() if b != self._original.get(account_id)]
        update_totals(conn, Account.__table__, [(b.id, b.debits_posted, b.credits_posted, b.debits_pending, b.credits_pending) for b in changed])
        record(self.session, self.scope, self._events)
        self._original.update({b.id: b for b in changed})
        self._postings, self._entries, self._pending, self._events = [], [], [], []
