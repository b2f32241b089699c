"""The sandbox room's operator actions: the traffic dial and failure-scenario runs. Every role may
look (`sandbox.view`); admin and support may turn the dial and queue a scenario
(`sandbox.operate`), each recorded like every other operator action."""

from __future__ import annotations

from datetime import datetime

from sqlmodel import Session

from backend.db import transactions
from backend.operators.actions import Credential, check, perform
from backend.runtime import Runtime
from backend.sandbox import scenario_runs, traffic_dial
from backend.sandbox.scenario_worker import rehearsal_cast
from backend.tenancy.scope import Scope


def traffic(runtime: Runtime, credential: Credential, request_id: str | None = None) -> dict:
    operator = check(runtime, credential, "sandbox.view", request_id=request_id)
    return transactions.read(runtime.db, lambda s: traffic_dial.get_dial(s, operator.scope))


def set_traffic(runtime: Runtime, credential: Credential, body: dict, request_id: str | None = None) -> dict:
    def act(session: Session, scope: Scope, now: datetime) -> dict:
        return traffic_dial.set_dial(session, scope, body, now)

    return perform(runtime, credential, "sandbox.operate", act, object_id=lambda r: "sandbox_traffic", detail=dict(body), request_id=request_id)


def scenarios(runtime: Runtime, credential: Credential, limit: int, offset: int, request_id: str | None = None) -> tuple[dict, dict]:
    """The scenario catalogue with each one's latest run, and a page of the scope's runs."""
    operator = check(runtime, credential, "sandbox.view", request_id=request_id)
    return transactions.read(runtime.db, lambda s: (scenario_runs.catalogue(s, operator.scope), scenario_runs.list_runs(s, operator.scope, limit, offset)))


def run_scenario(runtime: Runtime, credential: Credential, scenario: str, request_id: str | None = None) -> dict:
    def act(session: Session, scope: Scope, now: datetime) -> dict:
        return scenario_runs.request_run(session, scope, {"scenario": scenario}, now, rehearsal_cast(runtime))

    return perform(runtime, credential, "sandbox.operate", act, object_id=lambda r: r["id"], detail={"scenario": scenario}, request_id=request_id)
