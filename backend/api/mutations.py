"""The one path every mutating endpoint takes: auth, JSON body, idempotency key, then the service."""

from __future__ import annotations

from datetime import datetime
from typing import Callable

from fastapi import Request, Response
from sqlmodel import Session
from starlette.concurrency import run_in_threadpool

from backend.api.requests import json_body, request_id, respond, scope_of
from backend.idempotency import keys
from backend.runtime import Runtime
from backend.tenancy.scope import Scope

Service = Callable[[Session, Scope, dict, datetime], dict]


async def mutate(request: Request, runtime: Runtime, service: Service, status_code: int = 201) -> Response:
    """Authenticate, read the body, and run `service` once per idempotency key."""
    scope = await scope_of(request, runtime)
    body = await json_body(request)
    key = keys.parse_key(body.pop("idempotency_key", None), request.headers.get("idempotency-key"))
    rid = request_id(request)

    def mutation(session: Session) -> tuple[int, dict]:
        return status_code, service(session, scope, body, runtime.now())

    answer = await run_in_threadpool(keys.execute, runtime.db, scope, request.url.path, key, body, mutation, rid, runtime.now)
    return respond(request, answer)
