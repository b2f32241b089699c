"""Sandbox webhook receivers: consumers this instance plays, so a rehearsal can take a consumer
down and bring it back without running a server of its own.

`PUT /sandbox/receivers/{name}` (the tenant's sandbox API key) sets what the receiver answers
(`{"status": 503}` for an outage, 200 when it is back) and returns its `url`;
`POST /sandbox/receivers/{tenant_id}/{name}` is that url: it counts each delivery and answers the
set status (200 for a receiver nobody set: consumers are up until taken down);
`GET /sandbox/receivers/{name}` shows the counts. Each receiver is a row (`sandbox_receivers`),
so every serving process answers a delivery the same way and an outage survives a restart; the
webhook attempts log stays the record of what was delivered.
"""

from __future__ import annotations

import re
from datetime import datetime

from fastapi import APIRouter, Request, Response
from fastapi.responses import JSONResponse
from sqlalchemy import func, select
from sqlmodel import Session
from starlette.concurrency import run_in_threadpool

from backend.api.requests import json_body
from backend.db import transactions
from backend.db.conflicts import insert_for
from backend.db.tables import SandboxReceiver, Tenant
from backend.errors import ZentraError
from backend.inputs import whole_number
from backend.runtime import Runtime
from backend.sandbox.access import sandbox_scope

NAME = re.compile(r"[a-z0-9_-]{1,40}")
MAX_RECEIVERS = 1_000  # per tenant


def _name(value: str) -> str:
    if not NAME.fullmatch(value):
        raise ZentraError("validation_error", "a receiver name is 1 to 40 of a-z, 0-9, _ and -", "name")
    return value


def _status(body: dict) -> int:
    return whole_number(body.get("status"), "status", 200, 599)


def _receiver(session: Session, tenant_id: str, name: str, now: datetime) -> SandboxReceiver:
    """The tenant's receiver `name`, locked, made (answering 200) if this is its first use."""
    if session.get(Tenant, tenant_id) is None:
        raise ZentraError("not_found", f"no sandbox receiver {name!r}", "name")
    row = session.execute(select(SandboxReceiver).where(SandboxReceiver.tenant_id == tenant_id, SandboxReceiver.name == name).with_for_update()).scalar_one_or_none()
    if row is not None:
        return row
    count = session.execute(select(func.count()).select_from(SandboxReceiver).where(SandboxReceiver.tenant_id == tenant_id)).scalar_one()
    if count >= MAX_RECEIVERS:
        raise ZentraError("validation_error", f"at most {MAX_RECEIVERS} sandbox receivers per tenant", "name")
    session.execute(insert_for(session, SandboxReceiver).values(tenant_id=tenant_id, name=name, status=200, received=0, answered_ok=0, updated_at=now).on_conflict_do_nothing())
    return session.execute(select(SandboxReceiver).where(SandboxReceiver.tenant_id == tenant_id, SandboxReceiver.name == name).with_for_update()).scalar_one()


def set_receiver(session: Session, tenant_id: str, name: str, status: int, now: datetime) -> SandboxReceiver:
    row = _receiver(session, tenant_id, name, now)
    row.status, row.updated_at = status, now
    return row


def receive(session: Session, tenant_id: str, name: str, now: datetime) -> int:
    """Count one delivery; answers the status the receiver gives it."""
    row = _receiver(session, tenant_id, name, now)
    row.received += 1
    row.answered_ok += 200 <= row.status < 300
    return row.status


def view(row: SandboxReceiver, api_url: str) -> dict:
    """The receiver as set, with the url to point a webhook endpoint at (this instance's address,
    as sandbox providers reach it)."""
    url = f"{api_url.rstrip('/')}/sandbox/receivers/{row.tenant_id}/{row.name}"
    return {"object": "sandbox_receiver", "name": row.name, "url": url, "status": row.status, "received": row.received, "answered_ok": row.answered_ok}


def router(runtime: Runtime) -> APIRouter:
    api = APIRouter()

    def write(unit):
        return run_in_threadpool(transactions.write, runtime.db, unit)

    @api.put("/receivers/{name}")
    async def put_receiver(request: Request, name: str) -> Response:
        scope = await sandbox_scope(runtime, request)
        name, status = _name(name), _status(await json_body(request))
        return JSONResponse(await write(lambda s: view(set_receiver(s, scope.tenant_id, name, status, runtime.now()), runtime.settings.api_url)))

    @api.get("/receivers/{name}")
    async def get_receiver(request: Request, name: str) -> Response:
        scope, name = await sandbox_scope(runtime, request), _name(name)

        def unit(session: Session) -> dict:
            row = session.get(SandboxReceiver, (scope.tenant_id, name))
            if row is None:
                raise ZentraError("not_found", f"no sandbox receiver {name!r}", "name")
            return view(row, runtime.settings.api_url)

        return JSONResponse(await run_in_threadpool(transactions.read, runtime.db, unit))

    @api.post("/receivers/{tenant_id}/{name}")
    async def deliver(tenant_id: str, name: str) -> Response:
        try:
            status = await write(lambda s: receive(s, tenant_id[:40], _name(name), runtime.now()))
        except ZentraError as err:
            return JSONResponse({"error": err.message}, status_code=404)
        return JSONResponse({"received": True} if status < 300 else {"error": "receiver is down"}, status_code=status)

    return api
