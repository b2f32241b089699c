"""Sandbox webhook receivers: consumers this instance plays, so a rehearsal can take a consumer
down and bring it back without running a server of its own.

`PUT /sandbox/receivers/{name}` (the tenant's sandbox API key) sets what the receiver answers
(`{"status": 503}` for an outage, 200 when it is back) and returns its `url`;
`POST /sandbox/receivers/{tenant_id}/{name}` is that url: it counts each delivery and answers the
set status (200 for a receiver nobody set: consumers are up until taken down); `GET /sandbox/receivers/{name}` shows the counts. State lives in this process only (a
restart forgets it, and with several workers each keeps its own): it is a rehearsal prop, not a
store of record; the webhook attempts log is the record.
"""

from __future__ import annotations

import re
from dataclasses import asdict, dataclass

from fastapi import APIRouter, Request, Response
from fastapi.responses import JSONResponse

from backend.api.requests import json_body
from backend.errors import ZentraError
from backend.inputs import whole_number
from backend.runtime import Runtime
from backend.sandbox.access import sandbox_scope

NAME = re.compile(r"[a-z0-9_-]{1,40}")
MAX_RECEIVERS = 1_000


@dataclass
class Receiver:
    status: int = 200
    received: int = 0
    answered_ok: int = 0


def _name(value: str) -> str:
    if not NAME.fullmatch(value):
        raise ZentraError("validation_error", "a receiver name is 1 to 40 of a-z, 0-9, _ and -", "name")
    return value


def _status(body: dict) -> int:
    return whole_number(body.get("status"), "status", 200, 599)


class Receivers:
    """Every tenant's receivers in this process, by (tenant, name)."""

    def __init__(self, runtime: Runtime):
        self.runtime = runtime
        self.by_key: dict[tuple[str, str], Receiver] = {}

    def set(self, tenant_id: str, name: str, status: int) -> Receiver:
        receiver = self.by_key.get((tenant_id, name))
        if receiver is None:
            if len(self.by_key) >= MAX_RECEIVERS:
                raise ZentraError("validation_error", f"at most {MAX_RECEIVERS} sandbox receivers per process", "name")
            receiver = self.by_key[(tenant_id, name)] = Receiver()
        receiver.status = status
        return receiver

    def receiving(self, tenant_id: str, name: str) -> Receiver:
        """The receiver a delivery reached: one nobody set is up (200), as a consumer is until
        a rehearsal takes it down, and so is every receiver after this process restarts."""
        return self.by_key.get((tenant_id, name)) or self.set(tenant_id, name, 200)

    def view(self, tenant_id: str, name: str) -> dict:
        """The receiver as set, with the url to point a webhook endpoint at (this instance's
        address, as sandbox providers reach it)."""
        receiver = self.by_key.get((tenant_id, name))
        if receiver is None:
            raise ZentraError("not_found", f"no sandbox receiver {name!r}", "name")
        return {"object": "sandbox_receiver", "name": name, "url": f"{self.runtime.settings.api_url.rstrip('/')}/sandbox/receivers/{tenant_id}/{name}", **asdict(receiver)}


def router(runtime: Runtime) -> APIRouter:
    receivers = Receivers(runtime)
    api = APIRouter()

    @api.put("/receivers/{name}")
    async def set_receiver(request: Request, name: str) -> Response:
        scope = await sandbox_scope(runtime, request)
        receivers.set(scope.tenant_id, _name(name), _status(await json_body(request)))
        return JSONResponse(receivers.view(scope.tenant_id, name))

    @api.get("/receivers/{name}")
    async def get_receiver(request: Request, name: str) -> Response:
        scope = await sandbox_scope(runtime, request)
        return JSONResponse(receivers.view(scope.tenant_id, _name(name)))

    @api.post("/receivers/{tenant_id}/{name}")
    async def deliver(tenant_id: str, name: str) -> Response:
        try:
            receiver = receivers.receiving(tenant_id, _name(name))
        except ZentraError as err:
            return JSONResponse({"error": err.message}, status_code=404)
        receiver.received += 1
        receiver.answered_ok += 200 <= receiver.status < 300
        return JSONResponse({"received": True} if receiver.status < 300 else {"error": "receiver is down"}, status_code=receiver.status)

    return api
