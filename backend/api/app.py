"""The FastAPI application: routers under /v1, typed errors, request ids, and its OpenAPI document.

It is served alone by `zentra api` and inside the Reflex backend through `api_transformer`.
"""

from __future__ import annotations

import logging

from fastapi import FastAPI, Request, Response
from starlette.exceptions import HTTPException as StarletteHTTPException

from backend.api.requests import error_response
from backend.api.routes import accounts, events, holds, ledger_entries
from backend.errors import ZentraError
from backend.runtime import Runtime

log = logging.getLogger("zentra.api")


def create_api(runtime: Runtime) -> FastAPI:
    app = FastAPI(title="Zentra API", version="1", openapi_url="/v1/openapi.json", docs_url="/v1/docs", redoc_url=None)
    for module in (accounts, ledger_entries, holds, events):
        app.include_router(module.router(runtime), prefix="/v1")

    @app.exception_handler(ZentraError)
    async def _typed(request: Request, exc: ZentraError) -> Response:
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
