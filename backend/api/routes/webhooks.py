"""/v1/webhook-endpoints: where a tenant's events are delivered, their health, attempts and
messages, secret rotation, and sending again (one message, or everything since a moment)."""

from __future__ import annotations

from typing import Callable, Literal

from fastapi import APIRouter, Request, Response
from pydantic import BaseModel, Field

from backend.api.mutations import mutate
from backend.api.requests import page_params, read_scoped
from backend.api.schemas import Idempotent, body_doc
from backend.inputs import path_id, query_text
from backend.runtime import Runtime
from backend.webhooks import endpoints, history, recovery


class CreateEndpoint(Idempotent):
    url: str = Field(description="https (http allowed in sandbox); private and loopback addresses only in sandbox")
    event_types: list[str] = Field(description="Exact types, prefix wildcards like ledger.*, or *")
    signing: Literal["hmac", "ed25519"] = Field(default="hmac", description="v1 HMAC-SHA256 with a whsec_ secret, or v1a ed25519 (public key whpk_)")
    description: str | None = None
    rate_limit: int | None = Field(default=None, ge=1, le=10_000, description="Deliveries per second; default from ZENTRA_WEBHOOK_RATE_LIMIT")


class UpdateEndpoint(Idempotent):
    url: str | None = None
    event_types: list[str] | None = None
    description: str | None = None
    rate_limit: int | None = Field(default=None, ge=1, le=10_000)


class RotateSecret(Idempotent):
    overlap_seconds: int = Field(default=86400, ge=0, le=7 * 86400, description="How long the previous key keeps signing beside the new one")


class Recover(Idempotent):
    since: str = Field(description="ISO 8601 with offset, within the last 7 days")
    dry_run: bool = Field(default=False, description="Only count what would be sent and what was already acknowledged")


Service = Callable[..., dict]


def router(runtime: Runtime) -> APIRouter:
    api = APIRouter(tags=["webhooks"])

    @api.post("/webhook-endpoints", status_code=201, openapi_extra=body_doc(CreateEndpoint))
    async def create(request: Request) -> Response:
        return await mutate(request, runtime, endpoints.create_endpoint, "webhook.endpoint.create")

    @api.get("/webhook-endpoints")
    async def list_endpoints(request: Request) -> Response:
        limit, offset = page_params(request)
        return await read_scoped(request, runtime, lambda s, scope: endpoints.list_endpoints(s, scope, runtime.now(), limit=limit, offset=offset))

    @api.get("/webhook-endpoints/{endpoint_id}")
    async def get(request: Request, endpoint_id: str) -> Response:
        endpoint_id = path_id(endpoint_id, "webhook endpoint")
        return await read_scoped(request, runtime, lambda s, scope: endpoints.get_endpoint(s, scope, endpoint_id, runtime.now()))

    @api.get("/webhook-endpoints/{endpoint_id}/attempts")
    async def attempts(request: Request, endpoint_id: str) -> Response:
        endpoint_id = path_id(endpoint_id, "webhook endpoint")
        limit, offset = page_params(request)
        message, status = query_text(request.query_params.get("message"), "message", 64), query_text(request.query_params.get("status"), "status", 16)
        return await read_scoped(request, runtime, lambda s, scope: history.list_attempts(s, scope, endpoint_id, message_id=message, status=status, limit=limit, offset=offset))

    @api.get("/webhook-endpoints/{endpoint_id}/messages")
    async def messages(request: Request, endpoint_id: str) -> Response:
        endpoint_id = path_id(endpoint_id, "webhook endpoint")
        limit, offset = page_params(request)
        status = query_text(request.query_params.get("status"), "status", 16)
        return await read_scoped(request, runtime, lambda s, scope: history.list_messages(s, scope, endpoint_id, status=status, limit=limit, offset=offset))

    @api.post("/webhook-endpoints/{endpoint_id}/messages/{message_id}/resend", openapi_extra=body_doc(Idempotent))
    async def resend(request: Request, endpoint_id: str, message_id: str) -> Response:
        endpoint_id, message_id = path_id(endpoint_id, "webhook endpoint"), path_id(message_id, "webhook message")
        return await mutate(request, runtime, lambda s, scope, body, now: recovery.resend(s, scope, endpoint_id, message_id, body, now), "webhook.message.resend", status_code=200)

    api.add_api_route("/webhook-endpoints/{endpoint_id}", _action(runtime, endpoints.update_endpoint, "webhook.endpoint.update"), methods=["POST"], openapi_extra=body_doc(UpdateEndpoint), name="update_webhook_endpoint")
    actions: dict[str, tuple[Service, type[BaseModel]]] = {
        "rotate-secret": (endpoints.rotate_secret, RotateSecret),
        "disable": (endpoints.disable_endpoint, Idempotent),
        "enable": (endpoints.enable_endpoint, Idempotent),
        "recover": (recovery.recover, Recover),
    }
    for name, (service, schema) in actions.items():
        action = f"webhook.endpoint.{name.replace('-', '_')}"
        api.add_api_route(f"/webhook-endpoints/{{endpoint_id}}/{name}", _action(runtime, service, action), methods=["POST"], openapi_extra=body_doc(schema), name=f"{name}_webhook_endpoint")
    return api


def _action(runtime: Runtime, service: Service, action: str):
    async def endpoint(request: Request, endpoint_id: str) -> Response:
        endpoint_id = path_id(endpoint_id, "webhook endpoint")
        return await mutate(request, runtime, lambda s, scope, body, now: service(s, scope, endpoint_id, body, now), action, status_code=200)

    return endpoint
