"""/v1/providers: register a provider (its signing secret shown once), rotate the secret, change a
sandbox provider's behaviour, read its callback receipts; and the provider's own callback URL,
which authenticates by signature, not by API key."""

from __future__ import annotations

from typing import Literal

from fastapi import APIRouter, Request, Response
from pydantic import BaseModel, Field
from starlette.concurrency import run_in_threadpool

from backend.api.mutations import mutate
from backend.api.requests import (
    MAX_BODY_BYTES,
    ok,
    page_params,
    read_scoped,
    request_id,
    route_of,
)
from backend.api.schemas import Idempotent, body_doc
from backend.errors import ZentraError
from backend.inputs import path_id
from backend.providers import callbacks, registry
from backend.runtime import Runtime


class Behaviour(BaseModel):
    latency_ms: int = Field(default=50, ge=0, le=60_000, description="Delay before each callback")
    failure_rate: float = Field(default=0.0, ge=0, le=1, description="Share of submissions answered 503")
    timeout_rate: float = Field(default=0.0, ge=0, le=1, description="Share held past the caller's timeout, never called back")
    decline_rate: float = Field(default=0.0, ge=0, le=1, description="Share accepted, then called back intent.failed")
    duplicate_rate: float = Field(default=0.0, ge=0, le=1, description="Share of callbacks sent twice with one webhook-id")
    out_of_order_rate: float = Field(default=0.0, ge=0, le=1, description="Share of settlements followed by a stale intent.failed")


class CreateProvider(Idempotent):
    name: str = Field(max_length=200)
    kind: Literal["external", "sandbox"] = Field(default="external", description="sandbox: played by Zentra itself, sandbox mode only")
    endpoint_url: str | None = Field(default=None, max_length=500, description="external only: where submissions are POSTed (https outside sandbox)")
    behaviour: Behaviour | None = Field(default=None, description="sandbox only; failure_rate + timeout_rate + decline_rate at most 1")


class SetBehaviour(Idempotent):
    behaviour: Behaviour


class RotateProviderSecret(Idempotent):
    overlap_seconds: int = Field(default=86400, ge=0, le=7 * 86400, description="How long the previous secret keeps verifying")


class ProviderCallback(BaseModel):
    type: Literal["hold.settled", "hold.failed"]
    reference: str = Field(description="The id of the object the callback is about (a hold)")
    sequence: int = Field(ge=0, description="The provider's sequence for this reference; only a higher one than the last applied applies")
    occurred_at: str = Field(description="ISO 8601 with offset")
    amount_minor: int | None = Field(default=None, gt=0, description="hold.settled only: capture part, release the rest")


SIGNED = {
    "parameters": [
        {"name": f"webhook-{name}", "in": "header", "required": True, "schema": {"type": "string"}, "description": text}
        for name, text in (("id", "The message id; copies of one message share it"), ("timestamp", "Unix seconds; at most 5 minutes from our clock"), ("signature", "v1,<base64 HMAC-SHA256 of id.timestamp.body>"))
    ],
    **body_doc(ProviderCallback),
}


def router(runtime: Runtime) -> APIRouter:
    api = APIRouter(tags=["providers"])

    @api.post("/providers", status_code=201, openapi_extra=body_doc(CreateProvider))
    async def create(request: Request) -> Response:
        return await mutate(request, runtime, registry.create_provider, "provider.create")

    @api.get("/providers/{provider_id}")
    async def get(request: Request, provider_id: str) -> Response:
        provider_id = path_id(provider_id, "provider")
        return await read_scoped(request, runtime, lambda s, scope: registry.get_provider(s, scope, provider_id))

    @api.post("/providers/{provider_id}/rotate-secret", openapi_extra=body_doc(RotateProviderSecret))
    async def rotate(request: Request, provider_id: str) -> Response:
        provider_id = path_id(provider_id, "provider")
        service = lambda s, scope, body, now: registry.rotate_secret(s, scope, provider_id, body, now)  # noqa: E731
        return await mutate(request, runtime, service, "provider.rotate_secret", status_code=200)

    @api.post("/providers/{provider_id}/behaviour", openapi_extra=body_doc(SetBehaviour))
    async def behaviour(request: Request, provider_id: str) -> Response:
        provider_id = path_id(provider_id, "provider")
        service = lambda s, scope, body, now: registry.set_behaviour(s, scope, provider_id, body, now)  # noqa: E731
        return await mutate(request, runtime, service, "provider.set_behaviour", status_code=200)

    @api.get("/providers/{provider_id}/callbacks")
    async def list_callbacks(request: Request, provider_id: str) -> Response:
        provider_id = path_id(provider_id, "provider")
        limit, offset = page_params(request)
        return await read_scoped(request, runtime, lambda s, scope: callbacks.list_callbacks(s, scope, provider_id, limit, offset))

    @api.post("/providers/{provider_id}/callbacks", openapi_extra=SIGNED)
    async def receive(request: Request, provider_id: str) -> Response:
        """A provider's signed callback: 200 with its receipt (`outcome`, `reason`) once verified."""
        provider_id = path_id(provider_id, "provider")
        await request.app.state.rate_limiter.admit_caller(f"provider:{provider_id}")
        body = await request.body()
        if len(body) > MAX_BODY_BYTES:
            raise ZentraError("invalid_request", "request body is larger than 1 MB")
        answer = await run_in_threadpool(callbacks.receive, runtime.db, provider_id, request.headers, body, runtime.now(), route_of(request), request_id(request))
        return ok(request, answer)

    return api
