"""Writes a transaction makes last, just before it commits.

Some writes lock something every money step of a tenant shares: the outbox's commit-order lock
(backend.events.outbox) and the running totals of the tenant's clearing accounts
(backend.ledger.book). Made where the work happens, each lock would be held for the rest of the
transaction, and a tenant's reservations and settlements would run one at a time, whole
transactions long. Deferred to the tail, each is held only for the last statements and the commit.

A deferred write belongs to the savepoint it was made in: if that savepoint is rolled back, the
write is dropped with it, as the rows it stands for would have been. The tail runs once, when the
outermost transaction commits, after the session's own pending changes are flushed (so no row
lock is taken after a tail lock), steps in rank order.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Callable

from sqlalchemy import event
from sqlalchemy.orm import Session, SessionTransaction

_ITEMS = "commit_tail.items"
_DROPPED = "commit_tail.dropped"


@dataclass(frozen=True)
class Step:
    """One kind of deferred write; `run` gets every item deferred in the transaction, in order."""

    name: str
    rank: int
    run: Callable[[Session, list[Any]], None]


def defer(session: Session, step: Step, item: Any) -> None:
    """Make `item` part of `step` when the transaction commits (unless its savepoint rolls back)."""
    current = session.get_nested_transaction() or session.get_transaction()
    session.info.setdefault(_ITEMS, []).append((current, step, item))


def pending(session: Session, step: Step) -> list[Any]:
    """The items of `step` deferred so far and still standing: what reads inside the transaction
    must add to what the database shows them."""
    return [item for _, s, item in _standing(session) if s is step]


def _standing(session: Session) -> list[tuple[SessionTransaction, Step, Any]]:
    dropped = session.info.get(_DROPPED, set())
    return [entry for entry in session.info.get(_ITEMS, ()) if not _within(entry[0], dropped)]


def _within(transaction: SessionTransaction | None, dropped: set[SessionTransaction]) -> bool:
    while transaction is not None:
        if transaction in dropped:
            return True
        transaction = transaction.parent
    return False


@event.listens_for(Session, "before_commit")
def _run(session: Session) -> None:
    if session.in_nested_transaction() or not session.info.get(_ITEMS):
        return  # a savepoint's release: its writes wait for the outermost commit
    session.flush()
    by_step: dict[Step, list[Any]] = {}
    for _, step, item in _standing(session):
        by_step.setdefault(step, []).append(item)
    session.info.pop(_ITEMS, None)
    for step in sorted(by_step, key=lambda s: s.rank):
        step.run(session, by_step[step])


@event.listens_for(Session, "after_soft_rollback")
def _drop(session: Session, previous: SessionTransaction) -> None:
    if previous.nested:
        session.info.setdefault(_DROPPED, set()).add(previous)


@event.listens_for(Session, "after_transaction_end")
def _forget(session: Session, transaction: SessionTransaction) -> None:
    if transaction.parent is None:
        session.info.pop(_ITEMS, None)
        session.info.pop(_DROPPED, None)
