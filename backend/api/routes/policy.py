"""/v1/policy: the tenant's current policy (or an older version) and its version history.

Read-only: policy is published by admins in the operations room (`policy.manage`), where the
editor validates the whole document and the audit chain names who published which version.
"""

from __future__ import annotations

from fastapi import APIRouter, Request, Response

from backend.api.requests import page_params, read_scoped
from backend.errors import ZentraError
from backend.policy import versions
from backend.runtime import Runtime


def _version(request: Request) -> int | None:
    """`?version=N` (0 is the built-in defaults); absent means the current version."""
    raw = request.query_params.get("version")
    if raw is None:
        return None
    if not (raw.isascii() and raw.isdigit() and len(raw) <= 9):
        raise ZentraError("validation_error", "version must be a non-negative integer", "version")
    return int(raw)


def router(runtime: Runtime) -> APIRouter:
    api = APIRouter(tags=["policy"])

    @api.get("/policy")
    async def current(request: Request) -> Response:
        version = _version(request)
        return await read_scoped(request, runtime, lambda s, scope: versions.get_policy(s, scope, version), permission="policy.view")

    @api.get("/policy/versions")
    async def history(request: Request) -> Response:
        limit, offset = page_params(request)
        return await read_scoped(request, runtime, lambda s, scope: versions.list_versions(s, scope, limit, offset), permission="policy.view")

    return api
