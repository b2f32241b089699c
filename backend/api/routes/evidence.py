"""/v1/evidence: signed evidence packets for accounts and postings, and the key that signs them."""

from __future__ import annotations

from fastapi import APIRouter, Request, Response

from backend.api.requests import ok, read_scoped
from backend.audit.sealer import seal
from backend.evidence.packets import assemble
from backend.evidence.signing import public_key_info, signing_key
from backend.inputs import path_id
from backend.runtime import Runtime


def router(runtime: Runtime) -> APIRouter:
    api = APIRouter(tags=["evidence"])
    key = signing_key(runtime.settings)  # made on the first start, so it can be pinned before any packet

    @api.get("/evidence/public-key")
    async def public_key(request: Request) -> Response:
        """The evidence signing key, to pin with `zentra verify --public-key`; public, so no key is needed."""
        return ok(request, public_key_info(key))

    @api.get("/evidence/{object_id}")
    async def packet(request: Request, object_id: str) -> Response:
        """The signed packet for an account or posting of this key's tenant and mode; the chain is
        sealed first so every record acknowledged so far is in it. The body is the packet's
        canonical JSON: save it as it comes for `zentra verify`."""
        object_id = path_id(object_id, "object")
        query = lambda s, scope: assemble(s, scope, object_id, runtime.now(), key)  # noqa: E731
        return await read_scoped(request, runtime, query, prepare=lambda scope: seal(runtime.db, scope.tenant_id))

    return api
