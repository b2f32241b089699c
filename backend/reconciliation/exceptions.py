"""The exceptions queue: every mismatch a run found, until finance resolves it, once.

Resolving records finance's decision; it never moves money (the ledger is immutable: a correction
is a posting of its own, which the note can name). `accept_ledger`: the ledger is right, the
provider's line is not; `accept_report`: the provider is right and the ledger will be corrected;
`write_off`: the difference is written off (a note is required); `linked_manually`: finance
matched it by hand (a note is required, and an exception about a report line with no settlement
may name the `settlement_id` it belongs to, which then counts as matched). Resolving an exception
that is not open is `invalid_state_transition`; another scope's exception is `not_found` before
any role is considered; only people whose role manages reconciliation resolve (an API key is
nobody). `matched_later` is the system's own resolution, when a later run or a callback's arrival
matched what the exception was about.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import func, select, update
from sqlmodel import Session

from backend.audit.records import append, for_scope
from backend.clock import to_iso
from backend.db.tables import (
    ReconciliationException,
    ReconciliationLine,
    ReconciliationMatch,
    ReconciliationSettlement,
)
from backend.errors import ZentraError
from backend.events.outbox import PendingEvent, record
from backend.inputs import choice, optional_str, reject_unknown
from backend.intents.lifecycle import Trace
from backend.operators import roles
from backend.pagination import page
from backend.reconciliation import run_counts, settlements
from backend.reconciliation.matching import REASONS
from backend.tenancy.lookup import get_scoped
from backend.tenancy.scope import Scope

ACTIONS = ("accept_ledger", "accept_report", "write_off", "linked_manually")
NOTE_REQUIRED = frozenset({"write_off", "linked_manually"})
STATUSES = ("open", "resolved")
SYSTEM_RESOLUTION = "matched_later"
SYSTEM_ACTOR = "system:reconciliation"
X = ReconciliationException


@dataclass(frozen=True)
class Filters:
    """What the queue can be narrowed by; each has an index behind it or rides the scope's."""

    status: str | None = "open"
    reason: str | None = None
    provider_id: str | None = None
    run_id: str | None = None


def list_exceptions(session: Session, scope: Scope, filters: Filters, limit: int, offset: int) -> dict:
    """Oldest first: the queue is worked from its oldest item."""
    where = [X.tenant_id == scope.tenant_id, X.mode == scope.mode]
    if filters.status:
        where.append(X.status == filters.status)
    if filters.reason:
        where.append(X.reason == filters.reason)
    if filters.provider_id:
        where.append(X.provider_id == filters.provider_id)
    if filters.run_id:
        where.append(X.run_id == filters.run_id)
    total = session.execute(select(func.count()).select_from(X).where(*where)).scalar_one()
    rows = session.execute(select(X).where(*where).order_by(X.created_at, X.id).limit(limit).offset(offset)).scalars().all()
    return page(views(session, rows), total, limit, offset)


def get_exception(session: Session, scope: Scope, exception_id: str) -> dict:
    return views(session, [get_scoped(session, X, exception_id, scope, "reconciliation exception")])[0]


def counts_by_reason(session: Session, scope: Scope) -> dict[str, int]:
    """Open exceptions per reason, every reason present (zero when none)."""
    where = (X.tenant_id == scope.tenant_id, X.mode == scope.mode, X.status == "open")
    rows = session.execute(select(X.reason, func.count()).where(*where).group_by(X.reason)).all()
    return {**dict.fromkeys(REASONS, 0), **{reason: count for reason, count in rows}}


def resolve(session: Session, trace: Trace, exception_id: str, body: dict) -> dict:
    """Close an open exception with finance's `action` and `note`."""
    reject_unknown(body, {"action", "note", "settlement_id"})
    action = choice(body, "action", ACTIONS)
    note = optional_str(body, "note", max_length=500)
    settlement_id = optional_str(body, "settlement_id", max_length=40)
    scope = trace.scope
    exception = _locked(session, scope, exception_id)
    roles.require(scope.role, "reconciliation.manage")
    if exception.status != "open":
        raise ZentraError("invalid_state_transition", f"exception {exception.id} is already {exception.status} ({exception.resolution} by {exception.resolved_by})")
    if action in NOTE_REQUIRED and note is None:
        raise ZentraError("validation_error", f"{action} needs a note saying why", "note")
    if settlement_id is not None:
        _link(session, trace, exception, action, settlement_id)
    _close(session, scope, exception, action, scope.actor, note, trace.now)
    return views(session, [exception])[0]


def _locked(session: Session, scope: Scope, exception_id: str) -> ReconciliationException:
    """The exception, locked after its provider's reconciliation lock (the order an import takes
    them in, so the two never wait on each other)."""
    where = (X.id == exception_id, X.tenant_id == scope.tenant_id, X.mode == scope.mode)
    provider_id = session.execute(select(X.provider_id).where(*where)).scalar_one_or_none()
    if provider_id is None:
        raise ZentraError("not_found", f"no reconciliation exception {exception_id!r}", object_id=exception_id)
    settlements.lock_provider(session, scope, provider_id)
    return session.execute(select(X).where(*where).with_for_update()).scalar_one()


def _link(session: Session, trace: Trace, exception: ReconciliationException, action: str, settlement_id: str) -> None:
    """Match the exception's report line to a settlement by hand."""
    if action != "linked_manually":
        raise ZentraError("validation_error", "settlement_id goes with the linked_manually action only", "settlement_id")
    if exception.line_no is None or exception.settlement_id is not None:
        raise ZentraError("validation_error", "only an exception about a report line with no settlement can be linked to one", "settlement_id")
    settlement = get_scoped(session, ReconciliationSettlement, settlement_id, trace.scope, "settlement", "settlement_id")
    if settlement.provider_id != exception.provider_id or settlement.currency != exception.currency:
        raise ZentraError("validation_error", f"settlement {settlement_id} is not a {exception.currency} settlement of provider {exception.provider_id}", "settlement_id")
    if settlement.status == "matched":
        raise ZentraError("invalid_state_transition", f"settlement {settlement_id} is already matched", "settlement_id")
    session.add(ReconciliationMatch(tenant_id=exception.tenant_id, mode=exception.mode, run_id=exception.run_id, line_no=exception.line_no, settlement_id=settlement.id, method="manual", group_no=0, matched_at=trace.now))
    settlements.mark_matched(session, [settlement.id], exception.run_id)
    line_outcome(session, exception.run_id, exception.line_no, "matched")
    run_counts.add_matched(session, exception.run_id, 1)
    exception.settlement_id, exception.ledger_amount_minor = settlement.id, settlement.amount_minor


def _close(session: Session, scope: Scope, exception: ReconciliationException, resolution: str, actor: str, note: str | None, now: datetime) -> None:
    exception.status, exception.resolution, exception.resolved_by, exception.resolved_at, exception.note = "resolved", resolution, actor, now, note
    session.flush()
    data = {"exception_id": exception.id, "run_id": exception.run_id, "reason": exception.reason, "reference": exception.reference, "resolution": resolution, "resolved_by": actor, "note": note}
    record(session, scope, [PendingEvent("reconciliation.exception_resolved", exception.id, data, now, exception.run_id)])


def supersede(session: Session, trace: Trace, exceptions: list[ReconciliationException], why: str) -> None:
    """Resolve, as the system, open exceptions whose settlement a later run (`trace` the import's)
    or a callback's arrival (the worker's) matched; each with its event and audit record."""
    system = Scope(trace.scope.tenant_id, trace.scope.mode, actor=SYSTEM_ACTOR, role="system")
    for exception in exceptions:
        _close(session, system, exception, SYSTEM_RESOLUTION, SYSTEM_ACTOR, why, trace.now)
    append(session, [for_scope(system, "reconciliation.exception.superseded", e.id, trace.route, trace.now, trace.request_id, detail={"reason": e.reason, "note": why}) for e in exceptions])


def open_on_settlements(session: Session, scope: Scope, provider_id: str) -> list[ReconciliationException]:
    """The provider's open exceptions about a settlement (locked: a run may supersede them)."""
    where = (X.tenant_id == scope.tenant_id, X.mode == scope.mode, X.status == "open", X.provider_id == provider_id, X.settlement_id.is_not(None))
    return list(session.execute(select(X).where(*where).with_for_update()).scalars())


def line_outcome(session: Session, run_id: str, line_no: int, outcome: str) -> None:
    session.execute(update(ReconciliationLine).where(ReconciliationLine.run_id == run_id, ReconciliationLine.line_no == line_no).values(outcome=outcome))


def views(session: Session, rows: list[ReconciliationException]) -> list[dict]:
    """The exceptions as the queue shows them, each with its report line's text and its
    settlement's intent (read for the page at once)."""
    lines = _lines(session, rows)
    found = {s.id: s for s in _settlements(session, rows)}
    return [_view(row, lines.get((row.run_id, row.line_no)), found.get(row.settlement_id)) for row in rows]


def _lines(session: Session, rows: list[ReconciliationException]) -> dict[tuple[str, int], ReconciliationLine]:
    keys = {(r.run_id, r.line_no) for r in rows if r.line_no is not None}
    found = {}
    for run_id in {k[0] for k in keys}:
        numbers = [n for r, n in keys if r == run_id]
        for line in session.execute(select(ReconciliationLine).where(ReconciliationLine.run_id == run_id, ReconciliationLine.line_no.in_(numbers))).scalars():
            found[(line.run_id, line.line_no)] = line
    return found


def _settlements(session: Session, rows: list[ReconciliationException]) -> list[ReconciliationSettlement]:
    ids = sorted({r.settlement_id for r in rows if r.settlement_id})
    return list(session.execute(select(ReconciliationSettlement).where(ReconciliationSettlement.id.in_(ids))).scalars()) if ids else []


def _view(row: ReconciliationException, line: ReconciliationLine | None, settlement: ReconciliationSettlement | None) -> dict:
    return {
        "id": row.id,
        "object": "reconciliation_exception",
        "run_id": row.run_id,
        "provider_id": row.provider_id,
        "reason": row.reason,
        "reference": row.reference,
        "currency": row.currency,
        "report_amount_minor": row.report_amount_minor,
        "ledger_amount_minor": row.ledger_amount_minor,
        "detail": row.detail,
        "line": None if line is None else {"line_no": line.line_no, "value_date": line.value_date.isoformat(), "counterparty": line.counterparty, "raw": line.raw},
        "settlement": None if settlement is None else {"id": settlement.id, "intent_id": settlement.intent_id, "posting_id": settlement.posting_id, "value_date": settlement.value_date.isoformat(), "amount_minor": settlement.amount_minor},
        "status": row.status,
        "resolution": row.resolution,
        "resolved_by": row.resolved_by,
        "resolved_at": to_iso(row.resolved_at),
        "note": row.note,
        "created_at": to_iso(row.created_at),
    }
