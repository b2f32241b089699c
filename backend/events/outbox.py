"""Write events in the same transaction as the change they describe (the outbox pattern)."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field
from datetime import datetime

from sqlalchemy import text
from sqlmodel import Session

from backend.db.bulk import insert_rows
from backend.db.tables import Event
from backend.encoding import dumps
from backend.ids import new_id
from backend.tenancy.scope import Scope


def _in_commit_order(session: Session, scope: Scope) -> None:
    """Make `seq` order equal commit order within a tenant and mode.

    A sequence hands out numbers at insert time, so on PostgreSQL a transaction that inserted
    earlier could commit later, behind a reader's `after` cursor, and be skipped for good. A
    transaction-scoped advisory lock per tenant and mode, taken just before the insert and held
    to commit, closes that window; it only orders the tail of transactions that emit events for
    the same tenant. SQLite already commits one writer at a time.
    """
    if session.get_bind().dialect.name != "postgresql":
        return
    digest = hashlib.sha256(f"zentra.events|{scope.tenant_id}|{scope.mode}".encode()).digest()
    session.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": int.from_bytes(digest[:8], "big", signed=True)})


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
    """Insert `events` for `scope` in one statement, in order."""
    if not events:
        return
    _in_commit_order(session, scope)
    insert_rows(
        session.connection(),
        Event.__table__,
        [
            {
                "id": e.id,
                "tenant_id": scope.tenant_id,
                "mode": scope.mode,
                "type": e.type,
                "object_id": e.object_id,
                "data_json": dumps(e.data).decode(),
                "correlation_id": e.correlation_id,
                "occurred_at": e.occurred_at,
            }
            for e in events
        ],
    )
