"""The one path every mutating endpoint takes: auth, JSON body, idempotency key, then the service."""

from __future__ import annotations

from datetime import datetime
from typing import Callable

from fastapi import Request, Response
from sqlmodel import Session
from starlette.concurrency import run_in_threadpool

from backend.api.callers import caller_scope
from backend.api.requests import admitted_key, json_body, request_id, respond, route_of
from backend.audit.denials import cross_scope
from backend.audit.records import append, for_scope
from backend.db import transactions
from backend.errors import ZentraError
from backend.idempotency import keys
from backend.operators import audit
from backend.runtime import Runtime
from backend.tenancy.scope import Scope

Service = Callable[[Session, Scope, dict, datetime], dict]


async def mutation_input(request: Request) -> tuple[str, dict, str]:
    """What every mutating request carries: its bearer key, its JSON body (without the
    idempotency key) and its idempotency key, in the order their refusals take precedence
    (a rate-limited request is refused before its body is read)."""
    raw_key = await admitted_key(request)
    body = await json_body(request)
    return raw_key, body, keys.parse_key(body.pop("idempotency_key", None), request.headers.get("idempotency-key"))


async def mutate(request: Request, runtime: Runtime, service: Service, action: str, status_code: int = 201, permission: str | None = None) -> Response:
    """Authenticate, read the body, and run `service` once per idempotency key, with its audit
    record (or, when it was refused for reaching into another scope or for the caller's role,
    the denial's) in the same transaction. With a `permission`, operators may call the endpoint
    with their session token (see `backend.api.callers`).

    The key check and the mutation run on one worker thread: each hop to the thread pool costs
    more than the authentication query itself.
    """
    raw_key, body, key = await mutation_input(request)
    rid = request_id(request)
    route = route_of(request)

    def run() -> keys.Answer:
        with audit.recorded(runtime.db):
            scope = transactions.read(runtime.db, lambda s: caller_scope(s, runtime, raw_key, permission, rid))

        def mutation(session: Session) -> tuple[int, dict]:
            payload = service(session, scope, body, runtime.now())
            append(session, [for_scope(scope, action, _audited_object(request, payload), route, runtime.now(), rid)])
            return status_code, payload

        def refused(session: Session, err: ZentraError) -> None:
            if err.code == "forbidden":
                denial = for_scope(scope, action, _audited_object(request, {}), route, runtime.now(), rid, policy={"decision": "denied", "reason": "forbidden"}, detail={"message": err.message})
            else:
                denial = cross_scope(session, scope, err, route, rid, runtime.now())
            append(session, [denial] if denial else [])

        return keys.execute(runtime.db, scope, request.url.path, key, body, mutation, rid, runtime.now, refused)

    return respond(request, await run_in_threadpool(run))


def _audited_object(request: Request, payload: dict) -> str | None:
    """The object a mutation acted on: the one its path names, else the one it created."""
    named = next(iter(request.path_params.values()), None)
    return named or payload.get("id") or payload.get("posting_id") or payload.get("intent_id")
