"""Write events in the same transaction as the change they describe (the outbox pattern).

Events are written at the transaction's tail (backend.db.commit_tail), after every other write,
so the commit-order lock below is held only for their insert and the commit.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field
from datetime import datetime

from sqlalchemy import text
from sqlmodel import Session

from backend.db import commit_tail
from backend.db.bulk import insert_rows
from backend.db.tables import Event
from backend.encoding import dumps
from backend.ids import new_id
from backend.tenancy.scope import Scope


def _in_commit_order(session: Session, scopes: list[tuple[str, str]]) -> None:
    """Make `seq` order equal commit order within a tenant and mode.

    A sequence hands out numbers at insert time, so on PostgreSQL a transaction that inserted
    earlier could commit later, behind a reader's `after` cursor, and be skipped for good. A
    transaction-scoped advisory lock per tenant and mode, taken just before the insert and held
    to commit, closes that window; it only orders the tail of transactions that emit events for
    the same tenant. A transaction writing for several tenants takes their locks in key order.
    SQLite already commits one writer at a time.
    """
    if session.get_bind().dialect.name != "postgresql":
        return
    keys = sorted(int.from_bytes(hashlib.sha256(f"zentra.events|{tenant}|{mode}".encode()).digest()[:8], "big", signed=True) for tenant, mode in scopes)
    for key in keys:
        session.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": key})


@dataclass
class PendingEvent:
    """An event to be written with the transaction that caused it."""

    type: str
    object_id: str
    data: dict
    occurred_at: datetime
    correlation_id: str | None = None
    id: str = field(default_factory=lambda: new_id("evt"))


def record(session: Session, scope: Scope, events: list[PendingEvent]) -> None:
    """Write `events` for `scope` with the transaction, after everything recorded before them
    (each is encoded now, so a later change to its data dict cannot change what was recorded)."""
    for e in events:
        row = {
            "id": e.id,
            "tenant_id": scope.tenant_id,
            "mode": scope.mode,
            "type": e.type,
            "object_id": e.object_id,
            "data_json": dumps(e.data).decode(),
            "correlation_id": e.correlation_id,
            "occurred_at": e.occurred_at,
        }
        commit_tail.defer(session, EVENTS, row)


def unwritten_objects(session: Session) -> set[str]:
    """Objects with events recorded in this transaction and not yet in the table (their events
    are as unpublished as any row the table shows)."""
    return {row["object_id"] for row in commit_tail.pending(session, EVENTS)}


def _write(session: Session, rows: list[dict]) -> None:
    """Insert every deferred event in one statement, in the order they were recorded."""
    _in_commit_order(session, list({(row["tenant_id"], row["mode"]) for row in rows}))
    insert_rows(session.connection(), Event.__table__, rows)


EVENTS = commit_tail.Step("events", rank=20, run=_write)
