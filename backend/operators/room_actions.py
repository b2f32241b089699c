"""The operations room's everyday comforts, as operator actions: global search by any id, and
saved filters. Both check the session and role like every other action; saving and deleting a
filter are recorded, searching is a read."""

from __future__ import annotations

from datetime import datetime

from sqlmodel import Session

from backend.db import transactions
from backend.operators import saved_filters
from backend.operators.actions import Credential, check, perform
from backend.runtime import Runtime
from backend.search.lookup import find
from backend.tenancy.scope import Scope


def search(runtime: Runtime, credential: Credential, text: str, request_id: str | None = None) -> list[dict]:
    """What `text` names in the operator's tenant and mode (`ledger.view`)."""
    operator = check(runtime, credential, "ledger.view", request_id=request_id)
    return transactions.read(runtime.db, lambda s: find(s, operator.scope, text))


def saved(runtime: Runtime, credential: Credential, room: str, request_id: str | None = None) -> list[dict]:
    """The operator's saved filters of `room`."""
    operator = check(runtime, credential, "filters.save", request_id=request_id)
    return transactions.read(runtime.db, lambda s: saved_filters.list_saved(s, operator.scope, room))


def save_filter(runtime: Runtime, credential: Credential, room: str, name: str, query: dict, request_id: str | None = None) -> dict:
    def act(session: Session, scope: Scope, now: datetime) -> dict:
        return saved_filters.save(session, scope, {"room": room, "name": name, "query": query}, now)

    return perform(runtime, credential, "filters.save", act, object_id=lambda r: r["id"], detail={"room": room, "name": name}, request_id=request_id)


def delete_filter(runtime: Runtime, credential: Credential, room: str, name: str, request_id: str | None = None) -> dict:
    def act(session: Session, scope: Scope, now: datetime) -> dict:
        return saved_filters.remove(session, scope, room, name)

    return perform(runtime, credential, "filters.save", act, object_id=None, detail={"room": room, "name": name, "change": "delete"}, request_id=request_id)
