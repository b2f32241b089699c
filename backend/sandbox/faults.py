"""`POST /sandbox/faults/nats-partition`: cut this instance's event relay off from NATS for
`seconds` (at most two minutes), for the `nats-outage` rehearsal. Refused with `forbidden` unless
the instance was started with `ZENTRA_SANDBOX_FAULTS=1` (see `backend.events.partition`)."""

from __future__ import annotations

from fastapi import APIRouter, Request, Response
from fastapi.responses import JSONResponse

from backend.api.requests import json_body
from backend.errors import ZentraError
from backend.events import partition
from backend.runtime import Runtime
from backend.sandbox.access import sandbox_scope


def _seconds(body: dict) -> float:
    seconds = body.get("seconds")
    if isinstance(seconds, bool) or not isinstance(seconds, (int, float)) or not 0 < seconds <= partition.MAX_SECONDS:
        raise ZentraError("validation_error", f"seconds must be a number above 0 and at most {partition.MAX_SECONDS:.0f}", "seconds")
    return float(seconds)


def router(runtime: Runtime) -> APIRouter:
    api = APIRouter()

    @api.post("/faults/nats-partition")
    async def nats_partition(request: Request) -> Response:
        await sandbox_scope(runtime, request)
        if not partition.faults_allowed():
            raise ZentraError("forbidden", f"fault injection is off on this instance (start it with {partition.FAULTS_SETTING}=1, as `zentra demo` does)")
        seconds = _seconds(await json_body(request))
        partition.partition_for(seconds)
        return JSONResponse({"object": "sandbox_fault", "fault": "nats-partition", "seconds": seconds})

    return api
