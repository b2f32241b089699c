"""Fetching one object by id within a scope: another tenant's or mode's object does not exist."""

from __future__ import annotations

from typing import TypeVar

from sqlmodel import Session

from backend.errors import ZentraError
from backend.tenancy.scope import Scope

Row = TypeVar("Row")


def get_scoped(session: Session, model: type[Row], object_id: object, scope: Scope, noun: str, param: str | None = None) -> Row:
    """The `model` row with `object_id` in `scope`, or `not_found` (the same answer either way)."""
    row = session.get(model, object_id) if isinstance(object_id, str) else None
    if row is None or row.tenant_id != scope.tenant_id or row.mode != scope.mode:
        raise ZentraError("not_found", f"no {noun} {object_id!r}", param, object_id=object_id if isinstance(object_id, str) else None)
    return row
