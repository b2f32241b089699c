"""One ledger transaction's working set: the accounts it moves and the rows it will write.

An account whose available balance is limited (it does not `allow_negative`) is locked, in id
order, so concurrent transactions never deadlock on each other and the limit is checked against
its true balance. An account without a limit, such as the tenant's clearing accounts that every
intent passes through, is read without a lock: nothing is decided on its balance, so its changes
are added to its totals at the transaction's tail (backend.db.commit_tail), and the row is locked
only for the commit rather than for the whole transaction. Balance changes are computed in memory
by the pure rules, then written back with bulk statements when the unit of work flushes.
"""

from __future__ import annotations

import json
from dataclasses import replace
from datetime import datetime

from sqlalchemy import select
from sqlmodel import Session

from backend.db import commit_tail
from backend.db.bulk import TOTALS, add_to_totals, insert_rows, update_totals
from backend.db.tables import Account, Entry, PendingPosting, Posting
from backend.events.outbox import PendingEvent, record
from backend.ledger.balances import AccountBalance, Movement, apply
from backend.tenancy.scope import Scope

_COLUMNS = ("id", "currency", "normal_balance", "allow_negative", *TOTALS)
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
        self._unlocked: set[str] = set()
        self._postings: list[dict] = []
        self._entries: list[dict] = []
        self._pending: list[dict] = []
        self._events: list[PendingEvent] = []

    def lock(self, account_ids: set[str]) -> None:
        """Load the accounts of this scope among `account_ids`, locking (FOR UPDATE, sorted) those
        with a balance limit. Ids of other tenants or modes are simply not found, which callers
        report as unknown."""
        wanted = sorted(set(account_ids) - set(self.balances))
        if not wanted:
            return
        c = Account.__table__.c
        columns = [c[name] for name in _COLUMNS]
        in_scope = (c.id.in_(wanted), c.tenant_id == self.scope.tenant_id, c.mode == self.scope.mode)
        rows = list(self.session.execute(select(*columns).where(*in_scope, c.allow_negative.is_(False)).order_by(c.id).with_for_update()))
        for row in rows:
            self.balances[row.id] = self._original[row.id] = balance_of(row)
        if len(rows) < len(wanted):
            self._load_unlimited(select(*columns).where(*in_scope, c.allow_negative.is_(True)))

    def _load_unlimited(self, query) -> None:
        """Read accounts without a limit as the database shows them plus what this transaction
        has already added to them at its tail."""
        own = _summed(commit_tail.pending(self.session, ACCOUNT_TOTALS))
        for row in self.session.execute(query):
            balance = balance_of(row)
            if row.id in own:
                balance = replace(balance, **{n: getattr(balance, n) + d for n, d in zip(TOTALS, own[row.id])})
            self._unlocked.add(row.id)
            self.balances[row.id] = self._original[row.id] = balance

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
        update_totals(conn, Account.__table__, [(b.id, *_totals(b)) for b in changed if b.id not in self._unlocked])
        for b in changed:
            if b.id in self._unlocked:
                added = (after - was for after, was in zip(_totals(b), _totals(self._original[b.id])))
                commit_tail.defer(self.session, ACCOUNT_TOTALS, (b.id, *added))
        record(self.session, self.scope, self._events)
        self._original.update({b.id: b for b in changed})
        self._postings, self._entries, self._pending, self._events = [], [], [], []


def _totals(b: AccountBalance) -> tuple[int, ...]:
    """The four running totals, in the order of `backend.db.bulk.TOTALS`."""
    return tuple(getattr(b, n) for n in TOTALS)


def _summed(changes: list[tuple[str, int, int, int, int]]) -> dict[str, list[int]]:
    summed: dict[str, list[int]] = {}
    for account_id, *deltas in changes:
        current = summed.setdefault(account_id, [0, 0, 0, 0])
        for i, delta in enumerate(deltas):
            current[i] += delta
    return summed


def _add_totals(session: Session, changes: list[tuple[str, int, int, int, int]]) -> None:
    """Add every deferred change to its account's totals, one account at a time in id order (two
    tails touching the same accounts lock them in the same order)."""
    summed = _summed(changes)
    add_to_totals(session.connection(), Account.__table__, [(account_id, *summed[account_id]) for account_id in sorted(summed)])


# Before the events (rank 20): an event is the last write, so its commit-order lock is the last
# lock a transaction takes.
ACCOUNT_TOTALS = commit_tail.Step("account totals", rank=10, run=_add_totals)
