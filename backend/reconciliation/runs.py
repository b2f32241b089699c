"""Importing a provider's settlement report: parse it, match it against the provider's settlements,
and keep the run with its lines, matches and exceptions, in one transaction with its
`reconciliation.completed` event. A report that does not parse changes nothing.

The period a report covers is `period_start`..`period_end` when given, else its lines' first and
last value dates; settlements dated in it that no line matched are `missing_in_report`. The
tolerance (days, default 2) widens the dates a line may match by amount and date.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from datetime import date
from itertools import count

import orjson
from sqlalchemy import func, select
from sqlmodel import Session

from backend.clock import to_iso
from backend.db.bulk import insert_rows
from backend.db.tables import (
    Provider,
    ReconciliationException,
    ReconciliationLine,
    ReconciliationMatch,
    ReconciliationRun,
)
from backend.errors import ZentraError
from backend.events.outbox import PendingEvent, record
from backend.ids import new_id
from backend.inputs import optional_str, reject_unknown, required_str, whole_number
from backend.intents.lifecycle import Trace
from backend.pagination import page
from backend.reconciliation import continuous, exceptions, run_counts, settlements
from backend.reconciliation.mapping import (
    Mapping,
    ReportLine,
    parse_mapping,
    parse_report,
    stored_mapping,
)
from backend.reconciliation.matching import Outcome, reconcile
from backend.tenancy.lookup import get_scoped
from backend.tenancy.scope import Scope

DEFAULT_TOLERANCE_DAYS = 2
MAX_TOLERANCE_DAYS = 31
MAX_REPORT_CHARS = 64_000_000
FIELDS = {"provider_id", "report", "file_name", "period_start", "period_end", "tolerance_days", "mapping"}
SOURCES = ("import", "continuous")


@dataclass(frozen=True)
class ImportRequest:
    provider_id: str
    report: str
    file_name: str | None
    period: tuple[date, date] | None
    tolerance_days: int
    mapping: Mapping | None


def parse_import(body: dict) -> ImportRequest:
    """The import's fields, or the typed refusal naming the first bad one."""
    reject_unknown(body, FIELDS)
    report = body.get("report")
    if not isinstance(report, str) or len(report) > MAX_REPORT_CHARS:
        raise ZentraError("validation_error", "report must be the report's CSV text", "report")
    tolerance = whole_number(body.get("tolerance_days", DEFAULT_TOLERANCE_DAYS), "tolerance_days", 0, MAX_TOLERANCE_DAYS)
    return ImportRequest(
        provider_id=required_str(body, "provider_id", max_length=64),
        report=report,
        file_name=optional_str(body, "file_name", max_length=200),
        period=_period(body),
        tolerance_days=tolerance,
        mapping=None if body.get("mapping") is None else parse_mapping(body["mapping"]),
    )


def _period(body: dict) -> tuple[date, date] | None:
    given = [name for name in ("period_start", "period_end") if body.get(name) is not None]
    if not given:
        return None
    if len(given) == 1:
        raise ZentraError("validation_error", "period_start and period_end go together", given[0])
    start, end = (_day(body[name], name) for name in ("period_start", "period_end"))
    if end < start:
        raise ZentraError("validation_error", "period_end is before period_start", "period_end")
    return start, end


def _day(value: object, name: str) -> date:
    try:
        if isinstance(value, str) and len(value) == 10:
            return date.fromisoformat(value)
    except ValueError:
        pass
    raise ZentraError("validation_error", f"{name} must be a date such as 2026-11-21", name)


def import_report(session: Session, trace: Trace, body: dict) -> dict:
    """Reconcile one report of one provider; answers the run."""
    request = parse_import(body)
    scope = trace.scope
    provider = get_scoped(session, Provider, request.provider_id, scope, "provider", "provider_id")
    lines = parse_report(request.report, request.mapping or stored_mapping(provider.report_mapping_json))
    period = request.period or _report_period(lines)
    settlements.lock_provider(session, scope, provider.id)
    waiting = exceptions.open_on_settlements(session, scope, provider.id)
    expected = settlements.candidates(session, scope, provider.id, *settlements.widen(*period, request.tolerance_days), {line.reference for line in lines})
    reported = frozenset(e.settlement_id for e in waiting if e.reason == "missing_in_report")
    outcome = reconcile(lines, expected, period, request.tolerance_days, reported)
    run = _run(scope, trace, provider.id, request, period, lines, outcome)
    session.add(run)
    session.flush()
    _store(session, scope, run, lines, outcome, trace)
    settlements.mark_run_matched(session, run.id)
    matched_set = {sid for pairing in outcome.pairings for sid in pairing.settlement_ids}
    exceptions.supersede(session, trace, [e for e in waiting if e.settlement_id in matched_set], f"matched in run {run.id}")
    continuous.refresh_days(session, scope, provider.id, {e.value_date for e in expected if e.id in matched_set}, trace.now)
    shown = view_run(session, run)
    record(session, scope, [PendingEvent("reconciliation.completed", run.id, _event_data(shown), trace.now, run.id)])
    return shown


def _report_period(lines: list[ReportLine]) -> tuple[date, date]:
    if not lines:
        raise ZentraError("validation_error", "the report has no lines: give period_start and period_end to reconcile a day without settlements", "report")
    days = [line.value_date for line in lines]
    return min(days), max(days)


def _run(scope: Scope, trace: Trace, provider_id: str, request: ImportRequest, period: tuple[date, date], lines: list[ReportLine], outcome: Outcome) -> ReconciliationRun:
    counts = outcome.counts()
    matched = outcome.matched_lines()
    return ReconciliationRun(
        id=new_id("rcn"),
        tenant_id=scope.tenant_id,
        mode=scope.mode,
        provider_id=provider_id,
        source="import",
        file_name=request.file_name,
        file_sha256=hashlib.sha256(request.report.encode()).hexdigest(),
        period_start=period[0],
        period_end=period[1],
        tolerance_days=request.tolerance_days,
        line_count=len(lines),
        matched_count=matched,
        exception_count=len(outcome.mismatches),
        match_rate_bp=run_counts.match_rate_bp(matched, len(lines), counts["missing_in_report"]),
        counts_json=orjson.dumps(counts).decode(),
        created_by=scope.actor,
        created_at=trace.now,
        completed_at=trace.now,
    )


def _store(session: Session, scope: Scope, run: ReconciliationRun, lines: list[ReportLine], outcome: Outcome, trace: Trace) -> None:
    """Lines, matches and exceptions, each in one bulk insert."""
    outcomes = {line_no: "matched" for pairing in outcome.pairings for line_no in pairing.line_nos}
    outcomes.update({m.line_no: m.reason for m in outcome.mismatches if m.line_no is not None})
    conn = session.connection()
    insert_rows(conn, ReconciliationLine.__table__, [
        {"run_id": run.id, "line_no": line.line_no, "reference": line.reference, "amount_minor": line.amount_minor, "currency": line.currency, "value_date": line.value_date, "counterparty": line.counterparty, "outcome": outcomes[line.line_no], "raw": line.raw}
        for line in lines
    ])
    groups = count(1)
    insert_rows(conn, ReconciliationMatch.__table__, [
        {"tenant_id": scope.tenant_id, "mode": scope.mode, "run_id": run.id, "line_no": line_no, "settlement_id": sid, "method": pairing.method, "group_no": group_no, "matched_at": trace.now}
        for pairing, group_no in zip(outcome.pairings, groups)
        for line_no in pairing.line_nos
        for sid in pairing.settlement_ids
    ])
    insert_rows(conn, ReconciliationException.__table__, [
        {
            "id": new_id("rcx"), "tenant_id": scope.tenant_id, "mode": scope.mode, "run_id": run.id, "provider_id": run.provider_id,
            "reason": m.reason, "reference": m.reference, "line_no": m.line_no, "settlement_id": m.settlement_id,
            "report_amount_minor": m.report_amount_minor, "ledger_amount_minor": m.ledger_amount_minor, "currency": m.currency,
            "detail": m.detail[:500], "status": "open", "resolution": None, "resolved_by": None, "resolved_at": None, "note": None, "created_at": trace.now,
        }
        for m in outcome.mismatches
    ])


def _event_data(shown: dict) -> dict:
    keys = ("id", "provider_id", "source", "line_count", "matched_count", "exception_count", "match_rate_bp", "counts", "period_start", "period_end")
    return {("run_id" if key == "id" else key): shown[key] for key in keys}


def view_run(session: Session, run: ReconciliationRun) -> dict:
    where = (ReconciliationException.run_id == run.id, ReconciliationException.status == "open")
    open_count = session.execute(select(func.count()).select_from(ReconciliationException).where(*where)).scalar_one()
    return {
        "id": run.id,
        "object": "reconciliation_run",
        "provider_id": run.provider_id,
        "source": run.source,
        "file_name": run.file_name,
        "file_sha256": run.file_sha256,
        "period_start": run.period_start.isoformat() if run.period_start else None,
        "period_end": run.period_end.isoformat() if run.period_end else None,
        "tolerance_days": run.tolerance_days,
        "line_count": run.line_count,
        "matched_count": run.matched_count,
        "exception_count": run.exception_count,
        "open_exceptions": open_count,
        "match_rate_bp": run.match_rate_bp,
        "match_rate": run_counts.shown_rate(run.match_rate_bp),
        "counts": orjson.loads(run.counts_json),
        "created_by": run.created_by,
        "created_at": to_iso(run.created_at),
        "completed_at": to_iso(run.completed_at),
    }


def get_run(session: Session, scope: Scope, run_id: str) -> dict:
    return view_run(session, get_scoped(session, ReconciliationRun, run_id, scope, "reconciliation run"))


def list_runs(session: Session, scope: Scope, provider_id: str | None, source: str | None, limit: int, offset: int) -> dict:
    """Newest first."""
    R = ReconciliationRun
    where = [R.tenant_id == scope.tenant_id, R.mode == scope.mode]
    if provider_id:
        where.append(R.provider_id == provider_id)
    if source:
        where.append(R.source == source)
    total = session.execute(select(func.count()).select_from(R).where(*where)).scalar_one()
    rows = session.execute(select(R).where(*where).order_by(R.created_at.desc(), R.id.desc()).limit(limit).offset(offset)).scalars().all()
    return page([view_run(session, r) for r in rows], total, limit, offset)
