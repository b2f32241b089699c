"""/v1/holds: reserve funds, then capture (partly), release or extend; holds also expire alone."""

from __future__ import annotations

from datetime import timedelta

from fastapi import APIRouter, Request, Response

from backend.api.mutations import mutate
from backend.api.requests import page_params, read_scoped
from backend.api.schemas import (
    CaptureHold,
    CreateHold,
    ExtendHold,
    HoldAction,
    body_doc,
)
from backend.errors import ZentraError
from backend.inputs import path_id, query_text
from backend.ledger import holds
from backend.runtime import Runtime


def router(runtime: Runtime) -> APIRouter:
    api = APIRouter(tags=["holds"])

    @api.post("/holds", status_code=201, openapi_extra=body_doc(CreateHold))
    async def create(request: Request) -> Response:
        return await mutate(request, runtime, holds.create_hold, "hold.create")

    @api.get("/holds")
    async def list_holds(request: Request) -> Response:
        limit, offset = page_params(request)
        account, status = query_text(request.query_params.get("account"), "account", 64), query_text(request.query_params.get("status"), "status", 16)
        within = _seconds(request.query_params.get("expiring_within_seconds"))
        expiring_before = runtime.now() + timedelta(seconds=within) if within is not None else None
        return await read_scoped(request, runtime, lambda s, scope: holds.list_holds(s, scope, account_id=account, status=status, expiring_before=expiring_before, limit=limit, offset=offset))

    @api.get("/holds/{hold_id}")
    async def get(request: Request, hold_id: str) -> Response:
        hold_id = path_id(hold_id, "hold")
        return await read_scoped(request, runtime, lambda s, scope: holds.get_hold(s, scope, hold_id))

    actions = {"capture": (holds.capture_hold, CaptureHold), "release": (holds.release_hold, HoldAction), "extend": (holds.extend_hold, ExtendHold)}
    for name, (service, schema) in actions.items():
        api.add_api_route(f"/holds/{{hold_id}}/{name}", _action(runtime, service, f"hold.{name}"), methods=["POST"], openapi_extra=body_doc(schema), name=f"{name}_hold")
    return api


def _seconds(raw: str | None) -> int | None:
    """`expiring_within_seconds`: active holds that expire within that many seconds (at most 30 days)."""
    if raw is None:
        return None
    if not (raw.isascii() and raw.isdigit()) or int(raw) > holds.MAX_TTL.total_seconds():
        raise ZentraError("validation_error", "expiring_within_seconds must be an integer from 0 to 2592000", "expiring_within_seconds")
    return int(raw)


def _action(runtime: Runtime, service, action: str):
    async def endpoint(request: Request, hold_id: str) -> Response:
        hold_id = path_id(hold_id, "hold")
        return await mutate(request, runtime, lambda s, scope, body, now: service(s, scope, hold_id, body, now), action, status_code=200)

    return endpoint
