"""Per-request plumbing: request ids, JSON bodies, bearer auth, pagination and typed responses."""

from __future__ import annotations

import json
from datetime import datetime
from typing import Callable

from fastapi import Request, Response
from sqlmodel import Session
from starlette.concurrency import run_in_threadpool

from backend.api.callers import caller_scope
from backend.audit.denials import cross_scope
from backend.audit.records import append
from backend.db import transactions
from backend.errors import ZentraError
from backend.idempotency.keys import Answer, encode
from backend.ids import new_id
from backend.inputs import object_body, timestamp
from backend.operators import audit
from backend.runtime import Runtime
from backend.tenancy.scope import Scope

MAX_BODY_BYTES = 1_000_000
API_PREFIX = "/v1"


def request_id(request: Request) -> str:
    if not hasattr(request.state, "request_id"):
        request.state.request_id = new_id("req")
    return request.state.request_id


def route_of(request: Request) -> str:
    """The endpoint a request reached, as its route template (`POST /v1/holds/{hold_id}/capture`)."""
    route = request.scope.get("route")
    if route is None:
        return f"{request.method} {request.url.path}"
    return f"{request.method} {route.path if route.path.startswith(API_PREFIX) else API_PREFIX + route.path}"


def _reject_constant(name: str) -> None:
    raise ZentraError("invalid_request", f"{name} is not valid JSON for money")


async def json_body(request: Request) -> dict:
    """The request's JSON object; NaN/Infinity, oversized and non-object bodies are refused."""
    raw = await request.body()
    if len(raw) > MAX_BODY_BYTES:
        raise ZentraError("invalid_request", "request body is larger than 1 MB")
    if not raw.strip():
        return {}
    try:
        value = json.loads(raw, parse_constant=_reject_constant)
    except (ValueError, UnicodeDecodeError):
        raise ZentraError("invalid_request", "request body is not valid JSON") from None
    except RecursionError:
        raise ZentraError("invalid_request", "request body is nested too deeply") from None
    return object_body(value)


def bearer_key(request: Request) -> str:
    scheme, _, raw_key = request.headers.get("authorization", "").partition(" ")
    if scheme.lower() != "bearer" or not raw_key.strip():
        raise ZentraError("unauthorized", "send Authorization: Bearer <api key>")
    return raw_key.strip()


async def admitted_key(request: Request) -> str:
    """The bearer key, once the API's rate limiter has taken this request's tokens (or refused
    it with `rate_limited`): every endpoint asks here first, so a refused request changes nothing."""
    raw_key = bearer_key(request)
    await request.app.state.rate_limiter.admit(raw_key)
    return raw_key


async def read_scoped(request: Request, runtime: Runtime, query: Callable[[Session, Scope], dict], prepare: Callable[[Scope], None] | None = None, permission: str | None = None) -> Response:
    """Authenticate and run `query` in one read transaction, on one worker thread; a lookup that
    reached into another tenant's or mode's object is recorded as a denied attempt. `prepare`
    runs first, for the authenticated scope, in transactions of its own (to seal the audit
    chain before reading it, say). With a `permission`, operators may read with their session
    token (see `backend.api.callers`)."""
    raw_key = await admitted_key(request)
    rid = request_id(request)

    def who(session: Session) -> Scope:
        return caller_scope(session, runtime, raw_key, permission, rid)

    if prepare is not None:
        scope = await run_in_threadpool(_authenticated, runtime, who)
        await run_in_threadpool(prepare, scope)
    scopes: list[Scope] = []

    def unit(session: Session) -> dict:
        scopes.append(who(session))
        return query(session, scopes[0])

    try:
        with audit.recorded(runtime.db):
            return ok(request, await run_in_threadpool(transactions.read, runtime.db, unit))
    except ZentraError as err:
        if scopes and err.object_id:
            await run_in_threadpool(_record_denial, runtime, scopes[0], err, route_of(request), request_id(request))
        raise


def _authenticated(runtime: Runtime, who: Callable[[Session], Scope]) -> Scope:
    with audit.recorded(runtime.db):
        return transactions.read(runtime.db, who)


def _record_denial(runtime: Runtime, scope: Scope, err: ZentraError, route: str, rid: str) -> None:
    def unit(session: Session) -> None:
        denial = cross_scope(session, scope, err, route, rid, runtime.now())
        append(session, [denial] if denial else [])

    transactions.write(runtime.db, unit)


def respond(request: Request, answer: Answer) -> Response:
    headers = {"Request-Id": request_id(request)}
    if answer.replayed:
        headers["Idempotent-Replayed"] = "true"
    return Response(content=answer.body, status_code=answer.status_code, media_type="application/json", headers=headers)


def ok(request: Request, payload: dict, status_code: int = 200) -> Response:
    return respond(request, Answer(status_code, encode(payload)))


def error_response(request: Request, err: ZentraError) -> Response:
    response = ok(request, err.body(request_id(request)), err.status)
    if err.retry_after is not None:
        response.headers["Retry-After"] = str(err.retry_after)
    return response


def page_params(request: Request) -> tuple[int, int]:
    """`limit` (1-100, default 25) and `offset` (>= 0) query parameters."""
    return _int_param(request, "limit", 25, 1, 100), _int_param(request, "offset", 0, 0, 10**9)


def _int_param(request: Request, name: str, default: int, low: int, high: int) -> int:
    raw = request.query_params.get(name)
    if raw is None:
        return default
    if not (raw.isascii() and raw.isdigit() and len(raw) <= 12) or not low <= int(raw) <= high:
        raise ZentraError("validation_error", f"{name} must be an integer from {low} to {high}", name)
    return int(raw)


def time_param(request: Request, name: str) -> datetime | None:
    raw = request.query_params.get(name)
    return None if raw is None else timestamp(raw, name)
