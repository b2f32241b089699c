"""/v1/operator-sessions: an operator signs in over HTTP and gets the session token the API takes
on the endpoints a person may use (reviews, holds, intents), as the operations room's sign-in does.

Scripts that act as people (the sandbox rehearsals' maker and checkers) use it; every refusal is
recorded by `sign_in` itself, with the same answer for an unknown email and a wrong password.
"""

from __future__ import annotations

from datetime import datetime, timezone

from fastapi import APIRouter, Request, Response
from pydantic import BaseModel, Field
from starlette.concurrency import run_in_threadpool

from backend.api.requests import json_body, ok, request_id
from backend.api.schemas import body_doc
from backend.clock import to_iso
from backend.inputs import reject_unknown
from backend.operators.sessions import sign_in
from backend.runtime import Runtime


class SignIn(BaseModel):
    email: str
    password: str
    tenant_id: str | None = Field(default=None, description="default: the operator's first tenant by name")
    mode: str = Field(default="sandbox", description="sandbox or live")


def router(runtime: Runtime) -> APIRouter:
    api = APIRouter(tags=["operators"])

    @api.post("/operator-sessions", openapi_extra=body_doc(SignIn))
    async def open_session(request: Request) -> Response:
        body = await json_body(request)
        reject_unknown(body, {"email", "password", "tenant_id", "mode"})
        rid = request_id(request)
        signed = await run_in_threadpool(lambda: sign_in(runtime, body.get("email"), body.get("password"), tenant_id=body.get("tenant_id"), mode=body.get("mode", "sandbox"), request_id=rid))
        who = signed.operator
        return ok(request, {"object": "operator_session", "token": signed.token, "operator_id": who.operator_id, "tenant_id": who.tenant_id, "mode": who.mode, "role": who.role, "expires_at": to_iso(datetime.fromtimestamp(who.expires_at, tz=timezone.utc))}, 201)

    return api
