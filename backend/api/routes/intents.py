"""/v1/runtime/intents and /v1/transfers: take a financial intent in and follow it to evidence."""

from __future__ import annotations

import asyncio
from typing import Callable, Literal

from fastapi import APIRouter, Request, Response
from pydantic import Field
from sqlmodel import Session

from backend.api.mutations import mutate
from backend.api.requests import page_params, read_scoped, request_id, route_of
from backend.api.schemas import Idempotent, body_doc
from backend.inputs import choice, path_id, query_text
from backend.intents import intake, reviews, views
from backend.intents.lifecycle import Trace
from backend.intents.requests import (
    KINDS,
    IntentRequest,
    parse_runtime_intent,
    parse_transfer,
)
from backend.intents.states import STATES
from backend.runtime import Runtime
from backend.tenancy.scope import Scope

# New intents taken in at once by one process. The rest wait on the event loop, so the worker
# threads stay free for what finishes intents already taken: provider callbacks, the router and the
# evidence worker. Without the bound, a burst of new intents held every thread, providers' callbacks
# queued behind them until the providers gave up, and intents stopped half way (`routed` for good).
INTAKE_SLOTS = 8


class CreateIntent(Idempotent):
    intent_id: str | None = Field(default=None, description="`intent_…`, unique in the tenant and mode; generated when absent")
    scope: str | None = Field(default=None, description="The workspace scope the intent acts in, kept with its evidence")
    money_model: Literal["minor_units + ledger_currency"] = "minor_units + ledger_currency"
    primitives: list[str] = Field(default=["policy", "ledger", "events", "accounts", "routes", "evidence"], description="Must include policy, ledger and events")
    kind: Literal["payment", "transfer", "card_authorization", "payout"]
    amount_minor: int = Field(gt=0, le=2**63 - 1)
    currency: str
    source: str = Field(description="The customer account the money comes from")
    destination: str = Field(description="An account of the tenant (payment, transfer) or the outside party (payout, card_authorization)")
    counterparty: str | None = Field(default=None, description="The destination's name, screened against the policy's blocked list")
    corridor: str = Field(default="*", description="e.g. US-GB; chooses the providers")


class CreateTransfer(Idempotent):
    source_account: str
    destination_account: str
    amount_minor: int = Field(gt=0, le=2**63 - 1)
    currency: str
    corridor: str = "*"


class AmendIntent(Idempotent):
    amount_minor: int = Field(gt=0, le=2**63 - 1)


def _create(request: Request, parse: Callable[[dict], IntentRequest]):
    rid, route = request_id(request), route_of(request)

    def service(session: Session, scope: Scope, body: dict, now) -> dict:
        intent = intake.create_intent(session, Trace(scope, now, rid, route), parse(body))
        return views.render(session, intent)

    return service


def router(runtime: Runtime) -> APIRouter:
    api = APIRouter(tags=["intents"])
    intake_slots = asyncio.Semaphore(INTAKE_SLOTS)

    async def take_in(request: Request, parse: Callable[[dict], IntentRequest]) -> Response:
        async with intake_slots:
            return await mutate(request, runtime, _create(request, parse), "intent.create", permission="intents.create")

    @api.post("/runtime/intents", status_code=201, openapi_extra=body_doc(CreateIntent))
    async def create_intent(request: Request) -> Response:
        return await take_in(request, parse_runtime_intent)

    @api.post("/transfers", status_code=201, openapi_extra=body_doc(CreateTransfer))
    async def create_transfer(request: Request) -> Response:
        return await take_in(request, parse_transfer)

    @api.get("/runtime/intents")
    async def list_intents(request: Request) -> Response:
        limit, offset = page_params(request)
        params = request.query_params
        status = choice(dict(params), "status", STATES) if "status" in params else None
        kind = choice(dict(params), "kind", KINDS) if "kind" in params else None
        search = query_text(params.get("search"), "search", 80)
        return await read_scoped(request, runtime, lambda s, scope: views.list_intents(s, scope, status=status, kind=kind, search=search, limit=limit, offset=offset), permission="intents.view")

    @api.get("/runtime/intents/{intent_id}")
    async def get_intent(request: Request, intent_id: str) -> Response:
        intent_id = path_id(intent_id, "intent")
        return await read_scoped(request, runtime, lambda s, scope: views.get_intent(s, scope, intent_id), permission="intents.view")

    @api.post("/runtime/intents/{intent_id}/amend", openapi_extra=body_doc(AmendIntent))
    async def amend(request: Request, intent_id: str) -> Response:
        intent_id = path_id(intent_id, "intent")
        rid, route = request_id(request), route_of(request)

        def service(session: Session, scope: Scope, body: dict, now) -> dict:
            return reviews.amend(session, Trace(scope, now, rid, route), intent_id, body)

        return await mutate(request, runtime, service, "intent.amend", status_code=200, permission="intents.create")

    return api
