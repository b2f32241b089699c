"""/v1/events: the tenant's event log in commit order, paged with `after` (an event id)."""

from __future__ import annotations

from fastapi import APIRouter, Request, Response

from backend.api.requests import page_params, read_scoped
from backend.events.log import events_after
from backend.inputs import query_text
from backend.runtime import Runtime


def router(runtime: Runtime) -> APIRouter:
    api = APIRouter(tags=["events"])

    @api.get("/events")
    async def list_events(request: Request) -> Response:
        limit, _ = page_params(request)
        after = query_text(request.query_params.get("after"), "after", 64)
        return await read_scoped(request, runtime, lambda s, scope: events_after(s, scope, after, limit))

    return api
