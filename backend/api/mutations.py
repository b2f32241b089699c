"""The one path every mutating endpoint takes: auth, JSON body, idempotency key, then the service."""

from __future__ import annotations

from datetime import datetime
from typing import Callable

from fastapi import Request, Response
from sqlmodel import Session
from starlette.concurrency import run_in_threadpool

from backend.api.requests import bearer_key, json_body, request_id, respond
from backend.db import transactions
from backend.idempotency import keys
from backend.runtime import Runtime
from backend.tenancy.api_keys import authenticate
from backend.tenancy.scope import Scope

Service = Callable[[Session, Scope, dict, datetime], dict]


async def mutation_input(request: Request) -> tuple[str, dict, str]:
    """What every mutating request carries: its bearer key, its JSON body (without the
    idempotency key) and its idempotency key, in the order their refusals take precedence."""
    raw_key = bearer_key(request)
    body = await json_body(request)
    return raw_key, body, keys.parse_key(body.pop("idempotency_key", None), request.headers.get("idempotency-key"))


async def mutate(request: Request, runtime: Runtime, service: Service, status_code: int = 201) -> Response:
    """Authenticate, read the body, and run `service` once per idempotency key.

    The key check and the mutation run on one worker thread: each hop to the thread pool costs
    more than the authentication query itself.
    """
    raw_key, body, key = await mutation_input(request)
    rid = request_id(request)

    def run() -> keys.Answer:
        scope = transactions.read(runtime.db, lambda s: authenticate(s, raw_key))
        return keys.execute(runtime.db, scope, request.url.path, key, body, lambda s: (status_code, service(s, scope, body, runtime.now())), rid, runtime.now)

    return respond(request, await run_in_threadpool(run))
