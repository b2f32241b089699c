"""Failure-scenario runs as records: ask for one, let a worker claim it, keep its verdict.

A run is a row before it is a thread, so the sandbox room and `POST /v1/sandbox/scenario-runs`
only queue; a serving process's scenario worker (`backend.sandbox.scenario_worker`) claims what
is queued and plays it. That makes a repeated request (an idempotent retry, a double click)
unable to start a scenario twice, lets any of several serving processes play it, and leaves a
record of every rehearsal the room can page through. A run whose process stopped mid-play is
marked `interrupted` once it is older than any scenario can take, so it never blocks the next.
"""

from __future__ import annotations

from datetime import datetime, timedelta

import orjson
from sqlalchemy import func, select, text, update
from sqlmodel import Session

from backend.clock import to_iso
from backend.db.conflicts import insert_for
from backend.db.tables import SandboxScenarioRun as Run
from backend.errors import ZentraError
from backend.events.outbox import PendingEvent, record
from backend.ids import new_id
from backend.inputs import choice, object_body, reject_unknown
from backend.pagination import page
from backend.sandbox.cast import Cast
from backend.sandbox.mode import sandbox_only
from backend.sandbox.scenarios.catalogue import SCENARIOS
from backend.tenancy.lookup import get_scoped
from backend.tenancy.scope import Scope

ACTIVE = ("queued", "running")
# Longer than the slowest scenario can take (a handful of 60 s waits, 30 s per HTTP call).
RUN_LIMIT = timedelta(minutes=15)
REHEARSED = "failure scenarios are rehearsed"


def _overdue(now: datetime):
    """Active runs older than any scenario can take: the process playing them stopped."""
    return Run.status.in_(ACTIVE) & (Run.created_at < now - RUN_LIMIT)


def catalogue(session: Session, scope: Scope) -> dict:
    """Every scenario with its summary and its latest run in this scope (if any)."""
    sandbox_only(scope, REHEARSED)
    latest = session.execute(
        select(Run).where(Run.tenant_id == scope.tenant_id, Run.mode == scope.mode).order_by(Run.created_at.desc(), Run.id.desc()).limit(200)
    ).scalars().all()
    last: dict[str, Run] = {}
    for run in latest:
        last.setdefault(run.scenario, run)
    data = [{"object": "sandbox_scenario", "name": name, "summary": s.summary, "last_run": view(last[name]) if name in last else None} for name, s in SCENARIOS.items()]
    return {"object": "list", "data": data}


def request_run(session: Session, scope: Scope, body: object, now: datetime, cast: Cast | None) -> dict:
    """Queue `body["scenario"]` for this tenant. Refused when it is not sandbox, when the tenant
    has no rehearsal cast (the scenario acts through the cast's operators and keys), or when
    the same scenario is already queued or running here."""
    sandbox_only(scope, REHEARSED)
    body = object_body(body)
    reject_unknown(body, {"scenario"})
    name = choice(body, "scenario", tuple(SCENARIOS))
    if cast is None or cast.tenant_id != scope.tenant_id:
        raise ZentraError("invalid_request", "this tenant has no rehearsal cast: scenarios run on the demo tenant `zentra demo` (or `zentra sandbox seed`) seeded", "scenario")
    expire(session, now)
    run_id = new_id("srun")
    values = {"id": run_id, "tenant_id": scope.tenant_id, "mode": scope.mode, "scenario": name, "status": "queued", "requested_by": scope.actor, "created_at": now}
    stmt = insert_for(session, Run).values(values).on_conflict_do_nothing(index_elements=["tenant_id", "mode", "scenario"], index_where=text("status IN ('queued', 'running')")).returning(Run.id)
    if session.execute(stmt).scalar_one_or_none() is None:
        raise ZentraError("invalid_state_transition", f"{name} is already queued or running in this tenant; wait for its verdict", "scenario")
    run = session.get(Run, run_id)
    record(session, scope, [PendingEvent("sandbox.scenario_requested", run_id, {"run_id": run_id, "scenario": name}, now)])
    return {**view(run), "event": "sandbox.scenario_requested"}


def has_work(session: Session, now: datetime) -> bool:
    """Whether a run is queued or overdue: the worker's cheap read before it takes a write lock."""
    waiting = (Run.status == "queued") | _overdue(now)
    return session.execute(select(Run.id).where(waiting).limit(1)).first() is not None


def claim(session: Session, now: datetime, limit: int) -> list[tuple[Scope, str, str]]:
    """(scope, run id, scenario) of up to `limit` queued runs, now `running` for this caller
    only: the row lock (SKIP LOCKED on PostgreSQL; SQLite writes one at a time) keeps two
    workers from claiming one run."""
    expire(session, now)
    rows = session.execute(select(Run).where(Run.status == "queued").order_by(Run.created_at).limit(limit).with_for_update(skip_locked=True)).scalars().all()
    claimed = []
    for run in rows:
        run.status, run.started_at = "running", now
        scope = Scope(run.tenant_id, run.mode, actor=run.requested_by)
        record(session, scope, [PendingEvent("sandbox.scenario_started", run.id, {"run_id": run.id, "scenario": run.scenario}, now)])
        claimed.append((scope, run.id, run.scenario))
    session.flush()
    return claimed


def finish(session: Session, scope: Scope, run_id: str, verdict: dict, now: datetime) -> dict:
    """Keep the verdict of a run this worker claimed; `passed` only when every check held."""
    run = session.execute(select(Run).where(Run.id == run_id, Run.tenant_id == scope.tenant_id).with_for_update()).scalar_one()
    if run.status != "running":
        raise ZentraError("invalid_state_transition", f"scenario run {run_id} is {run.status}, not running", "run_id")
    run.status = "passed" if verdict.get("passed") else "failed"
    run.finished_at, run.verdict_json = now, orjson.dumps(verdict).decode()
    session.flush()
    record(session, scope, [PendingEvent("sandbox.scenario_finished", run.id, {"run_id": run.id, "scenario": run.scenario, "status": run.status}, now)])
    return view(run)


def expire(session: Session, now: datetime) -> int:
    """Mark active runs older than `RUN_LIMIT` `interrupted`: the process playing them (or the
    only one that could have claimed them) stopped."""
    stale = session.execute(
        update(Run).where(_overdue(now)).values(status="interrupted", finished_at=now).execution_options(synchronize_session=False)
    )
    return stale.rowcount or 0


def list_runs(session: Session, scope: Scope, limit: int, offset: int) -> dict:
    """The scope's runs, newest first, a page at a time."""
    sandbox_only(scope, REHEARSED)
    where = (Run.tenant_id == scope.tenant_id, Run.mode == scope.mode)
    total = session.execute(select(func.count()).select_from(Run).where(*where)).scalar_one()
    rows = session.execute(select(Run).where(*where).order_by(Run.created_at.desc(), Run.id.desc()).limit(limit).offset(offset)).scalars().all()
    return page([view(r) for r in rows], total, limit, offset)


def get_run(session: Session, scope: Scope, run_id: str) -> dict:
    return view(get_scoped(session, Run, run_id, scope, "scenario run", "run_id"))


def view(run: Run) -> dict:
    return {
        "id": run.id,
        "object": "sandbox_scenario_run",
        "scenario": run.scenario,
        "status": run.status,
        "requested_by": run.requested_by,
        "created_at": to_iso(run.created_at),
        "started_at": to_iso(run.started_at),
        "finished_at": to_iso(run.finished_at),
        "verdict": orjson.loads(run.verdict_json) if run.verdict_json else None,
    }
