"""Saved filters: an operator names the filter they set in a room and applies it again later.

A filter belongs to its operator, tenant and mode (another operator never sees it). Its query is
what the room's filter fields hold, as short strings; the room re-validates it when applied, like
any filter typed by hand, so a stale saved filter cannot smuggle anything past the room.
"""

from __future__ import annotations

from datetime import datetime

import orjson
from sqlalchemy import delete, select
from sqlalchemy.exc import IntegrityError
from sqlmodel import Session

from backend.clock import to_iso
from backend.db.tables import SavedFilter
from backend.errors import ZentraError
from backend.ids import new_id
from backend.inputs import required_str, storable_text
from backend.tenancy.scope import Scope

ROOMS = ("intents", "reviews", "accounts", "events", "audit", "webhooks")
MAX_FIELDS = 20
MAX_VALUE = 200
MAX_PER_ROOM = 50


def _operator_id(scope: Scope) -> str:
    kind, _, operator_id = scope.actor.partition(":")
    if kind != "operator":
        raise ZentraError("forbidden", "filters are saved by operators")
    return operator_id


def _room(value: object) -> str:
    if value not in ROOMS:
        raise ZentraError("validation_error", f"room must be one of {', '.join(ROOMS)}", "room")
    return value


def _query(value: object) -> dict[str, str]:
    if not isinstance(value, dict) or len(value) > MAX_FIELDS:
        raise ZentraError("validation_error", f"query must be an object of at most {MAX_FIELDS} fields", "query")
    for name, field in value.items():
        if not isinstance(field, str) or len(field) > MAX_VALUE or len(name) > 40:
            raise ZentraError("validation_error", f"query.{name[:40]} must be a string of at most {MAX_VALUE} characters", f"query.{name[:40]}")
        storable_text(name, "query")
        storable_text(field, f"query.{name}")
    return value


def _mine(scope: Scope, room: str) -> tuple:
    return (SavedFilter.operator_id == _operator_id(scope), SavedFilter.tenant_id == scope.tenant_id, SavedFilter.mode == scope.mode, SavedFilter.room == room)


def view(row: SavedFilter) -> dict:
    return {"id": row.id, "room": row.room, "name": row.name, "query": orjson.loads(row.query_json), "created_at": to_iso(row.created_at)}


def save(session: Session, scope: Scope, body: dict, now: datetime) -> dict:
    """Save (or replace, by name) a filter of one room."""
    room, name, query = _room(body.get("room")), required_str(body, "name", max_length=60), _query(body.get("query"))
    where = _mine(scope, room)
    existing = session.execute(select(SavedFilter).where(*where, SavedFilter.name == name)).scalar_one_or_none()
    if existing is None:
        if len(session.execute(select(SavedFilter.id).where(*where)).all()) >= MAX_PER_ROOM:
            raise ZentraError("validation_error", f"at most {MAX_PER_ROOM} saved filters per room: delete one first", "name")
        existing = SavedFilter(id=new_id("flt"), operator_id=_operator_id(scope), tenant_id=scope.tenant_id, mode=scope.mode, room=room, name=name, query_json="{}", created_at=now)
    existing.query_json = orjson.dumps(query).decode()
    try:
        with session.begin_nested():
            session.add(existing)
            session.flush()
    except IntegrityError:
        raise ZentraError("validation_error", f"a filter named {name!r} was saved at the same moment; try again", "name") from None
    return view(existing)


def list_saved(session: Session, scope: Scope, room: str) -> list[dict]:
    rows = session.execute(select(SavedFilter).where(*_mine(scope, _room(room))).order_by(SavedFilter.name)).scalars()
    return [view(r) for r in rows]


def remove(session: Session, scope: Scope, room: str, name: str) -> dict:
    deleted = session.execute(delete(SavedFilter).where(*_mine(scope, _room(room)), SavedFilter.name == name)).rowcount
    if not deleted:
        raise ZentraError("not_found", f"no saved filter {name!r} in {room}")
    return {"room": room, "name": name, "deleted": True}
