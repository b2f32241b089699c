"""/v1/audit: the tenant's audit chain, newest first, filtered by actor, object, action and time."""

from __future__ import annotations

from fastapi import APIRouter, Request, Response

from backend.api.requests import page_params, read_scoped, time_param
from backend.audit.queries import AuditFilter, chain_status, records_page
from backend.audit.sealer import seal
from backend.errors import ZentraError
from backend.inputs import query_text
from backend.runtime import Runtime


def _before(request: Request) -> int | None:
    raw = request.query_params.get("before")
    if raw is None:
        return None
    if not (raw.isascii() and raw.isdigit() and len(raw) <= 18):
        raise ZentraError("validation_error", "before must be the next_before cursor of a previous page", "before")
    return int(raw)


def router(runtime: Runtime) -> APIRouter:
    api = APIRouter(tags=["audit"])

    @api.get("/audit")
    async def list_audit(request: Request) -> Response:
        """Sealed records of this key's tenant and mode; everything acknowledged so far is sealed first."""
        limit, _ = page_params(request)
        wanted = AuditFilter(
            actor=query_text(request.query_params.get("actor"), "actor", 80),
            object_id=query_text(request.query_params.get("object"), "object", 80),
            action=query_text(request.query_params.get("action"), "action", 64),
            since=time_param(request, "since"),
            until=time_param(request, "until"),
        )
        before = _before(request)
        query = lambda s, scope: records_page(s, scope.tenant_id, scope.mode, wanted, before=before, limit=limit)  # noqa: E731
        return await read_scoped(request, runtime, query, prepare=lambda scope: seal(runtime.db, scope.tenant_id))

    @api.get("/audit/status")
    async def status(request: Request) -> Response:
        """How far the tenant's chain is sealed and verified, and any break the verifier found."""
        return await read_scoped(request, runtime, lambda s, scope: chain_status(s, scope.tenant_id))

    return api
