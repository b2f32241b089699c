"""/v1/routes: which providers carry each corridor, first choice first."""

from __future__ import annotations

from fastapi import APIRouter, Request, Response
from pydantic import Field

from backend.api.mutations import mutate
from backend.api.requests import read_scoped
from backend.api.schemas import Idempotent, body_doc
from backend.routing import routes
from backend.runtime import Runtime


class SetRoute(Idempotent):
    corridor: str = Field(description="e.g. US-GB, or * for every corridor without its own route")
    providers: list[str] = Field(description="Provider ids, first choice first; the next is tried when one fails or times out")


def router(runtime: Runtime) -> APIRouter:
    api = APIRouter(tags=["routing"])

    @api.post("/routes", openapi_extra=body_doc(SetRoute))
    async def set_route(request: Request) -> Response:
        return await mutate(request, runtime, routes.set_route, "route.set", status_code=200)

    @api.get("/routes")
    async def list_routes(request: Request) -> Response:
        return await read_scoped(request, runtime, routes.list_routes)

    return api
