"""Operator actions on reconciliation, as the operations room performs them.

Each goes through `actions.perform` (session re-verified, role checked, audit record in the same
transaction) and calls the same services as `/v1/reconciliation`, so the room and the API cannot
disagree on a rule.
"""

from __future__ import annotations

from datetime import date, datetime

from sqlmodel import Session

from backend.intents.lifecycle import Trace
from backend.operators.actions import Credential, perform
from backend.operators.audit import ROOM
from backend.reconciliation import exceptions, runs
from backend.runtime import Runtime
from backend.sandbox.reports import settlement_report
from backend.tenancy.scope import Scope

PERMISSION = "reconciliation.manage"


def import_report(runtime: Runtime, credential: Credential, body: dict, request_id: str | None = None) -> dict:
    """Reconcile an uploaded report; `body` as `POST /v1/reconciliation/runs` without the key."""
    def act(session: Session, scope: Scope, now: datetime) -> dict:
        return runs.import_report(session, Trace(scope, now, request_id, ROOM), dict(body))

    detail = {"action": "import", "provider_id": body.get("provider_id"), "file_name": body.get("file_name")}
    return perform(runtime, credential, PERMISSION, act, object_id=lambda r: r["id"], detail=detail, request_id=request_id)


def reconcile_sandbox_day(runtime: Runtime, credential: Credential, provider_id: str, day: date, request_id: str | None = None) -> dict:
    """Fetch a sandbox provider's settlement report for `day` and reconcile it, in one step."""
    def act(session: Session, scope: Scope, now: datetime) -> dict:
        report = settlement_report(session, scope, provider_id, day)
        body = {"provider_id": provider_id, "report": report, "file_name": f"{provider_id}-{day.isoformat()}.csv", "period_start": day.isoformat(), "period_end": day.isoformat()}
        return runs.import_report(session, Trace(scope, now, request_id, ROOM), body)

    detail = {"action": "import_sandbox_report", "provider_id": provider_id, "day": day.isoformat()}
    return perform(runtime, credential, PERMISSION, act, object_id=lambda r: r["id"], detail=detail, request_id=request_id)


def resolve_exception(runtime: Runtime, credential: Credential, exception_id: str, body: dict, request_id: str | None = None) -> dict:
    """Resolve one exception with finance's action and note."""
    def act(session: Session, scope: Scope, now: datetime) -> dict:
        return exceptions.resolve(session, Trace(scope, now, request_id, ROOM), exception_id, dict(body))

    return perform(runtime, credential, PERMISSION, act, object_id=exception_id, detail={"action": "resolve", **body}, request_id=request_id)
