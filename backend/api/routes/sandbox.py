"""/v1/sandbox: the sandbox traffic dial (start, pause, rate), for scripts and the sandbox room."""

from __future__ import annotations

from fastapi import APIRouter, Request, Response
from pydantic import Field

from backend.api.mutations import mutate
from backend.api.requests import read_scoped
from backend.api.schemas import Idempotent, body_doc
from backend.runtime import Runtime
from backend.sandbox import traffic_dial


class SetTraffic(Idempotent):
    running: bool | None = Field(default=None, description="start (true) or pause (false) the generator")
    rate_per_minute: int | None = Field(default=None, description="intents per minute, 1 to 600")
    seed: int | None = Field(default=None, description="a new seed restarts the seeded sequence: the same seed replays the same traffic")


def router(runtime: Runtime) -> APIRouter:
    api = APIRouter(tags=["sandbox"])

    @api.get("/sandbox/traffic")
    async def get_traffic(request: Request) -> Response:
        return await read_scoped(request, runtime, traffic_dial.get_dial, permission="sandbox.view")

    @api.post("/sandbox/traffic", openapi_extra=body_doc(SetTraffic))
    async def set_traffic(request: Request) -> Response:
        return await mutate(request, runtime, traffic_dial.set_dial, "sandbox.traffic", status_code=200, permission="sandbox.operate")

    return api
