"""/v1/reconciliation: import a provider's settlement report (an API key or a person who manages
reconciliation), read runs and the exceptions queue, and resolve an exception (a person only:
finance's decision needs someone to own it); each provider's report mapping."""

from __future__ import annotations

from typing import Literal

from fastapi import APIRouter, Request, Response
from pydantic import BaseModel, Field
from sqlmodel import Session

from backend.api.mutations import mutate
from backend.api.requests import page_params, read_scoped, request_id, route_of
from backend.api.schemas import Idempotent, body_doc
from backend.errors import ZentraError
from backend.inputs import path_id, query_text
from backend.intents.lifecycle import Trace
from backend.reconciliation import exceptions, report_mappings, runs
from backend.reconciliation.matching import REASONS
from backend.runtime import Runtime
from backend.tenancy.scope import Scope


class ReportMapping(BaseModel):
    reference: str = "reference"
    amount: str = "amount"
    currency: str = "currency"
    value_date: str = "value_date"
    counterparty: str | None = Field(default="counterparty", description="Optional column; without it one-to-many matches by counterparty are off")
    amount_format: Literal["decimal", "minor"] = Field(default="decimal", description="decimal: major units, at most the currency's exponent of decimals; minor: integer minor units")
    date_format: Literal["iso", "dd/mm/yyyy", "mm/dd/yyyy", "yyyymmdd"] = "iso"
    delimiter: Literal[",", ";", "\t", "|"] = ","


class ImportReport(Idempotent):
    provider_id: str
    report: str = Field(description="The report's CSV text, header first (the request body is at most 1 MB)")
    file_name: str | None = None
    period_start: str | None = Field(default=None, description="YYYY-MM-DD; with period_end, the days the report covers (default: its lines' first and last value dates)")
    period_end: str | None = None
    tolerance_days: int = Field(default=runs.DEFAULT_TOLERANCE_DAYS, ge=0, le=runs.MAX_TOLERANCE_DAYS, description="How far apart a line's and a settlement's value dates may be for an amount-and-date match")
    mapping: ReportMapping | None = Field(default=None, description="This import only; default: the provider's mapping")


class ResolveException(Idempotent):
    action: Literal["accept_ledger", "accept_report", "write_off", "linked_manually"]
    note: str | None = Field(default=None, max_length=500, description="Required for write_off and linked_manually")
    settlement_id: str | None = Field(default=None, description="linked_manually only, for an exception about a report line: the settlement it belongs to")


class SetMapping(Idempotent):
    mapping: ReportMapping | None = Field(description="null restores the default mapping")


def _exception_filters(request: Request) -> exceptions.Filters:
    params = request.query_params
    status = params.get("status", "open")
    if status not in (*exceptions.STATUSES, "all"):
        raise ZentraError("validation_error", "status must be open, resolved or all", "status")
    reason = params.get("reason")
    if reason is not None and reason not in REASONS:
        raise ZentraError("validation_error", f"reason must be one of {', '.join(REASONS)}", "reason")
    return exceptions.Filters(
        status=None if status == "all" else status,
        reason=reason,
        provider_id=query_text(params.get("provider_id"), "provider_id", 64),
        run_id=query_text(params.get("run_id"), "run_id", 64),
    )


def _source(request: Request) -> str | None:
    source = request.query_params.get("source")
    if source is not None and source not in runs.SOURCES:
        raise ZentraError("validation_error", "source must be import or continuous", "source")
    return source


def router(runtime: Runtime) -> APIRouter:
    api = APIRouter(tags=["reconciliation"])

    @api.post("/reconciliation/runs", openapi_extra=body_doc(ImportReport))
    async def import_report(request: Request) -> Response:
        rid, route = request_id(request), route_of(request)

        def run(session: Session, scope: Scope, body: dict, now) -> dict:
            return runs.import_report(session, Trace(scope, now, rid, route), body)

        return await mutate(request, runtime, run, "reconciliation.import", permission="reconciliation.manage")

    @api.get("/reconciliation/runs")
    async def list_runs(request: Request) -> Response:
        limit, offset = page_params(request)
        provider_id, source = query_text(request.query_params.get("provider_id"), "provider_id", 64), _source(request)
        return await read_scoped(request, runtime, lambda s, scope: runs.list_runs(s, scope, provider_id, source, limit, offset), permission="reconciliation.view")

    @api.get("/reconciliation/runs/{run_id}")
    async def get_run(request: Request, run_id: str) -> Response:
        run_id = path_id(run_id, "reconciliation run")
        return await read_scoped(request, runtime, lambda s, scope: runs.get_run(s, scope, run_id), permission="reconciliation.view")

    @api.get("/reconciliation/exceptions")
    async def list_exceptions(request: Request) -> Response:
        limit, offset = page_params(request)
        filters = _exception_filters(request)
        return await read_scoped(request, runtime, lambda s, scope: exceptions.list_exceptions(s, scope, filters, limit, offset), permission="reconciliation.view")

    @api.post("/reconciliation/exceptions/{exception_id}/resolve", openapi_extra=body_doc(ResolveException))
    async def resolve(request: Request, exception_id: str) -> Response:
        exception_id = path_id(exception_id, "reconciliation exception")
        rid, route = request_id(request), route_of(request)

        def run(session: Session, scope: Scope, body: dict, now) -> dict:
            return exceptions.resolve(session, Trace(scope, now, rid, route), exception_id, body)

        return await mutate(request, runtime, run, "reconciliation.resolve", status_code=200, permission="reconciliation.manage")

    @api.get("/reconciliation/providers/{provider_id}/mapping")
    async def get_mapping(request: Request, provider_id: str) -> Response:
        provider_id = path_id(provider_id, "provider")
        return await read_scoped(request, runtime, lambda s, scope: report_mappings.get_mapping(s, scope, provider_id), permission="reconciliation.view")

    @api.post("/reconciliation/providers/{provider_id}/mapping", openapi_extra=body_doc(SetMapping))
    async def set_mapping(request: Request, provider_id: str) -> Response:
        provider_id = path_id(provider_id, "provider")
        return await mutate(request, runtime, lambda s, scope, body, now: report_mappings.set_mapping(s, scope, provider_id, body, now), "reconciliation.set_mapping", status_code=200, permission="reconciliation.manage")

    return api
