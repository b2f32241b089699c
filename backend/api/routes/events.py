"""/v1/events: the tenant's event log in commit order, paged with `after` (an event id)."""

from __future__ import annotations

from fastapi import APIRouter, Request, Response
from starlette.concurrency import run_in_threadpool

from backend.api.requests import ok, page_params, scope_of
from backend.db import transactions
from backend.events.log import events_after
from backend.runtime import Runtime


def router(runtime: Runtime) -> APIRouter:
    api = APIRouter(tags=["events"])

    @api.get("/events")
    async def list_events(request: Request) -> Response:
        scope = await scope_of(request, runtime)
        limit, _ = page_params(request)
        after = request.query_params.get("after")
        return ok(request, await run_in_threadpool(transactions.read, runtime.db, lambda s: events_after(s, scope, after, limit)))

    return api
