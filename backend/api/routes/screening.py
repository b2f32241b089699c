"""/v1/screening and /v1/customers: screening lists, customers' KYC status, and the matches found
on intents with compliance's decisions.

Loading a list and deciding a match take an operator's session token (compliance or admin): a
person answers for them, so an API key is `403 forbidden`. KYC statuses come from the
integrator's onboarding, so API keys may set them (operators need `screening.manage`). Reads
accept API keys and operators with `screening.view`.
"""

from __future__ import annotations

from typing import Literal

from fastapi import APIRouter, Request, Response
from pydantic import Field
from sqlmodel import Session

from backend.api.mutations import mutate
from backend.api.requests import page_params, read_scoped, request_id, route_of
from backend.api.schemas import Idempotent, body_doc
from backend.inputs import path_id, query_text
from backend.intents.lifecycle import Trace
from backend.runtime import Runtime
from backend.screening import customers, decisions, lists, results
from backend.tenancy.scope import Scope


class LoadList(Idempotent):
    name: str = Field(description="The list's name; loading a name again makes its next version")
    source: str | None = Field(default=None, description="Where the list came from, kept with it")
    csv: str = Field(description="The list file: a header row (name, aliases, country, reference; name required), then one entry per line; aliases separated by ;")


class UpsertCustomer(Idempotent):
    customer: str = Field(description="The customer string accounts carry")
    name: str | None = Field(default=None, description="The name screened; required the first time")
    kyc_status: Literal["unverified", "pending", "verified", "rejected"] | None = None


class SetKyc(Idempotent):
    kyc_status: Literal["unverified", "pending", "verified", "rejected"]


class DecideMatch(Idempotent):
    decision: Literal["clear", "confirm"]
    note: str = Field(description="Why: kept with the decision and in the audit chain")


def router(runtime: Runtime) -> APIRouter:
    api = APIRouter(tags=["screening"])

    @api.post("/screening/lists", status_code=201, openapi_extra=body_doc(LoadList))
    async def load_list(request: Request) -> Response:
        return await mutate(request, runtime, lists.load_list, "screening.load_list", permission="screening.manage")

    @api.get("/screening/lists")
    async def list_lists(request: Request) -> Response:
        limit, offset = page_params(request)
        name = query_text(request.query_params.get("name"), "name", 80)
        return await read_scoped(request, runtime, lambda s, scope: lists.list_lists(s, scope, name=name, limit=limit, offset=offset), permission="screening.view")

    @api.get("/screening/lists/{list_id}")
    async def get_list(request: Request, list_id: str) -> Response:
        list_id = path_id(list_id, "screening list")
        limit, offset = page_params(request)
        return await read_scoped(request, runtime, lambda s, scope: lists.get_list(s, scope, list_id, limit=limit, offset=offset), permission="screening.view")

    @api.get("/screening/results")
    async def list_results(request: Request) -> Response:
        limit, offset = page_params(request)
        intent_id = query_text(request.query_params.get("intent"), "intent", 80)
        decision = query_text(request.query_params.get("decision"), "decision", 16)
        return await read_scoped(request, runtime, lambda s, scope: results.list_results(s, scope, intent_id=intent_id, decision=decision, limit=limit, offset=offset), permission="screening.view")

    @api.get("/screening/results/{result_id}")
    async def get_result(request: Request, result_id: str) -> Response:
        result_id = path_id(result_id, "screening result")
        return await read_scoped(request, runtime, lambda s, scope: results.get_result(s, scope, result_id), permission="screening.view")

    @api.post("/screening/results/{result_id}/decision", openapi_extra=body_doc(DecideMatch))
    async def decide(request: Request, result_id: str) -> Response:
        result_id = path_id(result_id, "screening result")
        rid, route = request_id(request), route_of(request)

        def run(session: Session, scope: Scope, body: dict, now) -> dict:
            return decisions.decide(session, Trace(scope, now, rid, route), result_id, body)

        return await mutate(request, runtime, run, "screening.decide", status_code=200, permission="screening.decide")

    @api.post("/customers", openapi_extra=body_doc(UpsertCustomer))
    async def upsert_customer(request: Request) -> Response:
        return await mutate(request, runtime, customers.upsert_customer, "customer.upsert", status_code=200, permission="screening.manage")

    @api.get("/customers")
    async def list_customers(request: Request) -> Response:
        limit, offset = page_params(request)
        params = request.query_params
        customer, kyc_status = query_text(params.get("customer"), "customer"), query_text(params.get("kyc_status"), "kyc_status", 16)
        return await read_scoped(request, runtime, lambda s, scope: customers.list_customers(s, scope, customer=customer, kyc_status=kyc_status, limit=limit, offset=offset), permission="screening.view")

    @api.get("/customers/{customer_id}")
    async def get_customer(request: Request, customer_id: str) -> Response:
        customer_id = path_id(customer_id, "customer")
        return await read_scoped(request, runtime, lambda s, scope: customers.get_customer(s, scope, customer_id), permission="screening.view")

    @api.post("/customers/{customer_id}/kyc", openapi_extra=body_doc(SetKyc))
    async def set_kyc(request: Request, customer_id: str) -> Response:
        customer_id = path_id(customer_id, "customer")
        return await mutate(request, runtime, lambda s, scope, body, now: customers.set_kyc(s, scope, customer_id, body, now), "customer.set_kyc", status_code=200, permission="screening.manage")

    return api
