"""Write events in the same transaction as the change they describe (the outbox pattern)."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

from sqlmodel import Session

from backend.db.bulk import insert_rows
from backend.db.tables import Event
from backend.encoding import dumps
from backend.ids import new_id
from backend.tenancy.scope import Scope


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
