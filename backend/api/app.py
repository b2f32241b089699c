"""The FastAPI application: routers under /v1, typed errors, request ids, and its OpenAPI document.

It is served alone by `zentra api` and inside the Reflex backend through `api_transformer`.
"""

from __future__ import annotations

import logging

from fastapi import FastAPI, Request, Response
from starlette.concurrency import run_in_threadpool
from starlette.exceptions import HTTPException as StarletteHTTPException

from backend.api.requests import API_PREFIX, error_response, request_id, route_of
from backend.api.routes import (
    accounts,
    audit,
    events,
    evidence,
    holds,
    intents,
    ledger_entries,
    operator_sessions,
    policy,
    providers,
    reconciliation,
    reviews,
    routing,
    sandbox,
    screening,
    webhooks,
)
from backend.audit.denials import unauthenticated
from backend.audit.records import record_alone
from backend.errors import ZentraError
from backend.operators.audit import Denied
from backend.ratelimit.admission import ApiRateLimiter, open_rate_limiter
from backend.runtime import Runtime
from backend.sandbox.providers import sandbox_app

log = logging.getLogger("zentra.api")


def create_api(runtime: Runtime, rate_limiter: ApiRateLimiter | None = None) -> FastAPI:
    """The API over `runtime`, with its rate limiter (built from the settings unless given)."""
    app = FastAPI(title="Zentra API", version="1", openapi_url="/v1/openapi.json", docs_url="/v1/docs", redoc_url=None)
    app.state.rate_limiter = rate_limiter or open_rate_limiter(runtime)
    for module in (accounts, ledger_entries, holds, intents, reviews, routing, policy, events, audit, evidence, providers, webhooks, sandbox, operator_sessions, screening, reconciliation):
        app.include_router(module.router(runtime), prefix=API_PREFIX)
    app.mount("/sandbox", sandbox_app(runtime))  # sandbox providers, outside the API's OpenAPI document

    @app.exception_handler(ZentraError)
    async def _typed(request: Request, exc: ZentraError) -> Response:
        if exc.code == "unauthorized" and not isinstance(exc, Denied):
            await run_in_threadpool(_record_unauthenticated, runtime, request)
        return error_response(request, exc)

    @app.exception_handler(StarletteHTTPException)
    async def _http(request: Request, exc: StarletteHTTPException) -> Response:
        code = "not_found" if exc.status_code == 404 else "invalid_request"
        response = error_response(request, ZentraError(code, "no such endpoint" if exc.status_code == 404 else str(exc.detail)))
        response.status_code = exc.status_code
        return response

    @app.exception_handler(Exception)
    async def _unexpected(request: Request, exc: Exception) -> Response:
        log.exception("unhandled error in %s %s", request.method, request.url.path)
        return error_response(request, ZentraError("internal_error", "internal error; quote the request_id to support"))

    return app


def _record_unauthenticated(runtime: Runtime, request: Request) -> None:
    """File a refused credential in the platform chain, naming at most the key's public prefix."""
    _, _, credential = request.headers.get("authorization", "").partition(" ")
    hint = credential.strip()[:12] or None
    reason = "bad_api_key" if hint else "missing_api_key"
    record_alone(runtime.db, [unauthenticated(route_of(request), reason, hint, request_id(request), runtime.now())])
