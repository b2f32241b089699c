"""A sandbox provider's settlement report: the CSV of what it settled on one UTC day, in the
default report mapping (`backend.reconciliation.mapping`), as a real provider's daily settlement
file would be.

What a provider settled is what it told us it settled: its `intent.settled` callbacks received
that day (first receipts only: a duplicate is the same message), whatever our side made of them,
so a settlement refused here as stale still appears in its file, which is what reconciliation
exists to catch. The amount is the intent's: a sandbox provider settles what was submitted.
`GET /sandbox/providers/{provider_id}/settlement-report?date=YYYY-MM-DD` serves it to the
provider's tenant (its sandbox API key, as the other sandbox props take); another tenant's
provider, or one that is not a sandbox provider, is 404.
"""

from __future__ import annotations

import csv
import io
from datetime import date, datetime, time, timedelta, timezone

from fastapi import APIRouter, Request, Response
from sqlalchemy import select
from sqlmodel import Session
from starlette.concurrency import run_in_threadpool

from backend.db import transactions
from backend.db.tables import Intent, Provider, ProviderCallback
from backend.errors import ZentraError
from backend.inputs import path_id
from backend.reconciliation.mapping import DEFAULT_MAPPING, decimal_text
from backend.runtime import Runtime
from backend.sandbox.access import sandbox_scope
from backend.tenancy.scope import Scope

HEADER = (DEFAULT_MAPPING.reference, DEFAULT_MAPPING.amount, DEFAULT_MAPPING.currency, DEFAULT_MAPPING.value_date, DEFAULT_MAPPING.counterparty, "receipt")


def settlement_report(session: Session, scope: Scope, provider_id: str, day: date) -> str:
    """The report of `provider_id` (a sandbox provider of `scope`) for `day`."""
    provider = session.get(Provider, path_id(provider_id, "provider"))
    if provider is None or (provider.tenant_id, provider.mode) != (scope.tenant_id, scope.mode) or provider.kind != "sandbox":
        raise ZentraError("not_found", f"no sandbox provider {provider_id!r}")
    start = datetime.combine(day, time.min, tzinfo=timezone.utc)
    C = ProviderCallback
    query = (
        select(C.reference, C.webhook_id, C.occurred_at, C.received_at, Intent.amount_minor, Intent.currency, Intent.counterparty)
        .join(Intent, (Intent.id == C.reference) & (Intent.tenant_id == provider.tenant_id) & (Intent.mode == provider.mode))
        .where(C.provider_id == provider.id, C.received_at >= start, C.received_at < start + timedelta(days=1), C.type == "intent.settled", C.duplicate_of.is_(None))
        .order_by(C.received_at, C.id)
    )
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(HEADER)
    for row in session.execute(query):
        settled_on = (row.occurred_at or row.received_at).date().isoformat()
        writer.writerow((row.reference, decimal_text(row.amount_minor, row.currency), row.currency, settled_on, row.counterparty, row.webhook_id))
    return out.getvalue()


def _day(raw: str | None) -> date:
    try:
        if raw is not None and len(raw) == 10:
            return date.fromisoformat(raw)
    except ValueError:
        pass
    raise ZentraError("validation_error", "date must be a day such as 2026-11-21", "date")


def router(runtime: Runtime) -> APIRouter:
    api = APIRouter()

    @api.get("/providers/{provider_id}/settlement-report")
    async def report(request: Request, provider_id: str) -> Response:
        scope = await sandbox_scope(runtime, request)
        day = _day(request.query_params.get("date"))
        body = await run_in_threadpool(transactions.read, runtime.db, lambda s: settlement_report(s, scope, provider_id, day))
        headers = {"Content-Disposition": f'attachment; filename="{provider_id}-{day.isoformat()}.csv"'}
        return Response(body, media_type="text/csv", headers=headers)

    return api
