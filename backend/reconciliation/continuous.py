"""Reconciliation as callbacks arrive: a worker (in every serving process, like the evidence
worker) that looks at each settlement recorded since its last pass.

A settlement whose reference a report already listed without a match (an open
`missing_in_ledger` exception: the report came before the callback) is matched to that line at
once, the exception resolved `matched_later`, and the line's run credited; if the amounts differ
the exception becomes `amount_differs`. Any other settlement waits, `unmatched`, for a report.
Each provider and UTC day has one `continuous` run: its settlements (`line_count`), how many a
report or an arrival has matched so far, and the rate, kept current by this worker and by imports.
"""

from __future__ import annotations

import asyncio
import logging
from datetime import date, datetime

import orjson
from sqlalchemy import case, func, select, text, update
from sqlmodel import Session
from starlette.concurrency import run_in_threadpool

from backend.audit.records import append, for_scope
from backend.db import transactions
from backend.db.conflicts import insert_for
from backend.db.tables import (
    ReconciliationException,
    ReconciliationMatch,
    ReconciliationRun,
    ReconciliationSettlement,
)
from backend.events.outbox import PendingEvent, record
from backend.ids import new_id
from backend.intents.lifecycle import Trace
from backend.reconciliation import exceptions, run_counts, settlements
from backend.runtime import Runtime
from backend.tenancy.scope import Scope

log = logging.getLogger("zentra.reconciliation")

BATCH = 500
INTERVAL_SECONDS = 1.0
ACTOR = exceptions.SYSTEM_ACTOR
ROUTE = "worker:reconciliation"
S, X, R = ReconciliationSettlement, ReconciliationException, ReconciliationRun


def match_new(session: Session, now: datetime, limit: int = BATCH) -> int:
    """One pass over up to `limit` new settlements; answers how many were looked at."""
    providers = session.execute(select(S.tenant_id, S.mode, S.provider_id).where(S.status == "new").group_by(S.tenant_id, S.mode, S.provider_id).order_by(S.tenant_id, S.mode, S.provider_id)).all()
    seen = 0
    for tenant_id, mode, provider_id in providers:
        if seen >= limit:
            break
        scope = Scope(tenant_id, mode, actor=ACTOR, role="system")
        settlements.lock_provider(session, scope, provider_id)
        where = (S.status == "new", S.tenant_id == tenant_id, S.mode == mode, S.provider_id == provider_id)
        rows = list(session.execute(select(S).where(*where).order_by(S.recorded_at).limit(limit - seen).with_for_update(skip_locked=True)).scalars())
        _arrived(session, scope, provider_id, rows, now)
        seen += len(rows)
    return seen


def _arrived(session: Session, scope: Scope, provider_id: str, rows: list[ReconciliationSettlement], now: datetime) -> None:
    waiting = _waiting_lines(session, scope, provider_id, {r.reference for r in rows} | {r.intent_id for r in rows})
    matched = []
    for settlement in rows:
        exception = waiting.pop(settlement.reference, None) or waiting.pop(settlement.intent_id, None)
        settlement.status = "unmatched"
        if exception is None:
            continue
        exception.settlement_id, exception.ledger_amount_minor = settlement.id, settlement.amount_minor
        if (exception.report_amount_minor, exception.currency) == (settlement.amount_minor, settlement.currency):
            _match(session, exception, settlement, now)
            matched.append(exception)
        else:
            _reclassify(session, scope, exception, settlement, now)
    exceptions.supersede(session, Trace(scope, now, None, ROUTE), matched, "matched when the provider's settlement callback arrived")
    days = {r.value_date for r in rows}
    _open_day_runs(session, scope, provider_id, days, now)
    refresh_days(session, scope, provider_id, days, now)


def _waiting_lines(session: Session, scope: Scope, provider_id: str, references: set[str]) -> dict[str, ReconciliationException]:
    """The oldest open `missing_in_ledger` exception per reference, locked."""
    where = (X.tenant_id == scope.tenant_id, X.mode == scope.mode, X.provider_id == provider_id, X.reason == "missing_in_ledger", X.status == "open", X.reference.in_(sorted(references)))
    found: dict[str, ReconciliationException] = {}
    for exception in session.execute(select(X).where(*where).order_by(X.created_at, X.id).with_for_update()).scalars():
        found.setdefault(exception.reference, exception)
    return found


def _match(session: Session, exception: ReconciliationException, settlement: ReconciliationSettlement, now: datetime) -> None:
    session.add(ReconciliationMatch(tenant_id=exception.tenant_id, mode=exception.mode, run_id=exception.run_id, line_no=exception.line_no, settlement_id=settlement.id, method="exact_id", group_no=0, matched_at=now))
    settlement.status, settlement.matched_run_id = "matched", exception.run_id
    exceptions.line_outcome(session, exception.run_id, exception.line_no, "matched")
    run_counts.add_matched(session, exception.run_id, 1)


def _reclassify(session: Session, scope: Scope, exception: ReconciliationException, settlement: ReconciliationSettlement, now: datetime) -> None:
    """The line's settlement arrived with another amount: the exception is now about that."""
    exception.reason = "amount_differs"
    exception.detail = f"report says {exception.report_amount_minor} {exception.currency}, ledger settled {settlement.amount_minor} {settlement.currency} (callback arrived after the report)"
    exceptions.line_outcome(session, exception.run_id, exception.line_no, "amount_differs")
    data = {"exception_id": exception.id, "run_id": exception.run_id, "reason": "amount_differs", "reference": exception.reference, "settlement_id": settlement.id}
    record(session, scope, [PendingEvent("reconciliation.exception_updated", exception.id, data, now, exception.run_id)])
    append(session, [for_scope(scope, "reconciliation.exception.reclassified", exception.id, ROUTE, now, None, detail={"reason": "amount_differs", "settlement_id": settlement.id})])


def _open_day_runs(session: Session, scope: Scope, provider_id: str, days: set[date], now: datetime) -> None:
    """The provider's continuous run for each day, created once however many workers race."""
    for day in sorted(days):
        values = {
            "id": new_id("rcn"), "tenant_id": scope.tenant_id, "mode": scope.mode, "provider_id": provider_id, "source": "continuous",
            "period_start": day, "period_end": day, "tolerance_days": 0, "line_count": 0, "matched_count": 0, "exception_count": 0,
            "match_rate_bp": 0, "counts_json": "{}", "created_by": ACTOR, "created_at": now, "completed_at": now,
        }
        stmt = insert_for(session, R).values(values).on_conflict_do_nothing(index_elements=["tenant_id", "mode", "provider_id", "period_start"], index_where=text("source = 'continuous'"))
        session.execute(stmt)


def refresh_days(session: Session, scope: Scope, provider_id: str, days: set[date], now: datetime) -> None:
    """Recount the provider's continuous runs of `days` (those that exist) from its settlements."""
    if not days:
        return
    matched = func.sum(case((S.status == "matched", 1), else_=0))
    where = (S.tenant_id == scope.tenant_id, S.mode == scope.mode, S.provider_id == provider_id, S.value_date.in_(sorted(days)))
    for day, recorded, done in session.execute(select(S.value_date, func.count(), matched).where(*where).group_by(S.value_date)).all():
        counts = {"settled": recorded, "matched": int(done), "awaiting_report": recorded - int(done)}
        run = (R.tenant_id == scope.tenant_id, R.mode == scope.mode, R.provider_id == provider_id, R.source == "continuous", R.period_start == day)
        values = {"line_count": recorded, "matched_count": int(done), "exception_count": 0, "match_rate_bp": run_counts.match_rate_bp(int(done), recorded, 0), "counts_json": orjson.dumps(counts).decode(), "completed_at": now}
        session.execute(update(R).where(*run).values(values))


async def run_forever(runtime: Runtime) -> None:
    while True:
        try:
            await run_in_threadpool(transactions.write, runtime.db, lambda s: match_new(s, runtime.now()))
        except Exception:  # noqa: BLE001 - upkeep must survive a bad pass
            log.exception("reconciliation pass failed")
        await asyncio.sleep(INTERVAL_SECONDS)
