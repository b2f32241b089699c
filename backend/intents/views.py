"""Reading intents: the contract's answer shape, one intent with its history, and the paged table."""

from __future__ import annotations

import orjson
from sqlalchemy import Select, func, or_, select
from sqlmodel import Session

from backend.audit.records import unwritten
from backend.clock import to_iso
from backend.db.tables import AuditRecord, Event, Intent, IntentTransition, Review
from backend.errors import ZentraError
from backend.events.outbox import unwritten_objects
from backend.intents import money
from backend.pagination import capped_count_query, capped_total, page
from backend.tenancy.scope import Scope


def find(session: Session, scope: Scope, intent_id: str) -> Intent:
    """The intent with public id `intent_id` in `scope`, or `not_found`."""
    where = (Intent.tenant_id == scope.tenant_id, Intent.mode == scope.mode, Intent.intent_id == intent_id)
    intent = session.execute(select(Intent).where(*where)).scalar_one_or_none()
    if intent is None:
        raise ZentraError("not_found", f"no intent {intent_id!r}", object_id=intent_id)
    return intent


def _states(session: Session, intent: Intent) -> list[dict]:
    rows = session.execute(select(IntentTransition).where(IntentTransition.intent_row_id == intent.id).order_by(IntentTransition.seq)).scalars()
    return [{"state": t.to_state, "from": t.from_state, "event": t.event_type, "actor": t.actor, "reason": t.reason, "at": to_iso(t.at)} for t in rows]


def events_about(intent: Intent) -> tuple:
    """Where the intent's events are (with `unpublished_events`, those not yet on the stream)."""
    return (Event.tenant_id == intent.tenant_id, Event.mode == intent.mode, Event.object_id == intent.intent_id)


def unpublished_events(intent: Intent) -> tuple:
    return (*events_about(intent), Event.published_at.is_(None))


def unsealed_records(intent: Intent) -> tuple:
    """Where the intent's audit records not yet sealed into the tenant's chain are."""
    return (AuditRecord.chain == intent.tenant_id, AuditRecord.object_id == intent.intent_id, AuditRecord.seq.is_(None))


def _event_stream(session: Session, intent: Intent) -> str:
    """`synchronized` once every event about the intent is on the stream, else `pending`."""
    if intent.intent_id in unwritten_objects(session):
        return "pending"
    return "pending" if session.execute(select(Event.id).where(*unpublished_events(intent)).limit(1)).first() else "synchronized"


def _audit_packet(session: Session, intent: Intent) -> str:
    """`ready` once every audit record about the intent is sealed into the chain, else `sealing`."""
    if (intent.tenant_id, intent.intent_id) in unwritten(session):
        return "sealing"
    return "sealing" if session.execute(select(AuditRecord.id).where(*unsealed_records(intent)).limit(1)).first() else "ready"


def _review(session: Session, intent: Intent) -> dict | None:
    review = session.execute(select(Review).where(Review.intent_row_id == intent.id)).scalar_one_or_none()
    if review is None:
        return None
    return {"id": review.id, "status": review.status, "reason": review.reason, "required_approvals": review.required_approvals, "assignee": review.assignee, "due_at": to_iso(review.due_at)}


def summary(intent: Intent) -> dict:
    """One row of the intent table: what it is and where it stands, without its history."""
    postings = money.posting_ids(intent)
    return {
        "intent_id": intent.intent_id,
        "object": "intent",
        "kind": intent.kind,
        "status": intent.status,
        "amount_minor": intent.amount_minor,
        "currency": intent.currency,
        "source": intent.source_account_id,
        "destination": intent.destination,
        "counterparty": intent.counterparty,
        "corridor": intent.corridor,
        "provider_id": intent.provider_id,
        "hold_id": intent.hold_id,
        "ledger_state": postings[-1] if postings else None,
        "failure": {"code": intent.failure_code, "message": intent.failure_message} if intent.failure_code else None,
        "created_by": intent.created_by,
        "created_at": to_iso(intent.created_at),
        "updated_at": to_iso(intent.updated_at),
    }


def render(session: Session, intent: Intent) -> dict:
    """The contract's answer: `{intent_id, status, ledger_state, event_stream, audit_packet,
    states}` and everything an operator needs to follow the intent."""
    return {
        **summary(intent),
        "event_stream": _event_stream(session, intent),
        "audit_packet": _audit_packet(session, intent),
        "evidence_url": f"/v1/evidence/{intent.intent_id}",
        "scope": intent.scope_label,
        "money_model": intent.money_model,
        "primitives": orjson.loads(intent.primitives_json),
        "revision": intent.revision,
        "policy": orjson.loads(intent.decision_json),
        "review": _review(session, intent),
        "postings": money.posting_ids(intent),
        "routing": orjson.loads(intent.routing_json),
        "states": _states(session, intent),
    }


def get_intent(session: Session, scope: Scope, intent_id: str) -> dict:
    return render(session, find(session, scope, intent_id))


def list_intents(session: Session, scope: Scope, *, status: str | None = None, kind: str | None = None, search: str | None = None, limit: int = 25, offset: int = 0) -> dict:
    """The intent table, newest first, filtered on the server (each filter rides an index)."""
    found, _ = _page(session, scope, status, kind, search, limit, offset)
    return found


def table_page(session: Session, scope: Scope, *, status: str | None = None, kind: str | None = None, search: str | None = None, limit: int = 25, offset: int = 0) -> dict:
    """`list_intents` with what the operations room's table also shows per row, read for the whole
    page at once (three queries, whatever the page size): the states each intent went through
    (`states`, oldest first), `audit_packet` and `event_stream`. Its `total` is counted only
    `COUNT_AHEAD` rows past the page (`total_exact` says whether it is the whole count), so a
    page's time does not grow with the tenant's intents."""
    found, rows = _page(session, scope, status, kind, search, limit, offset, capped=True)
    if not rows:
        return found
    by_row = {r.id: r.intent_id for r in rows}
    public = list(by_row.values())
    transitions = session.execute(select(IntentTransition.intent_row_id, IntentTransition.to_state).where(IntentTransition.intent_row_id.in_(list(by_row))).order_by(IntentTransition.seq))
    states: dict[str, list[dict]] = {}
    for row_id, state in transitions:
        states.setdefault(by_row[row_id], []).append({"state": state})
    sealing = set(session.execute(select(AuditRecord.object_id).where(AuditRecord.chain == scope.tenant_id, AuditRecord.object_id.in_(public), AuditRecord.seq.is_(None)).distinct()).scalars())
    where = (Event.tenant_id == scope.tenant_id, Event.mode == scope.mode, Event.object_id.in_(public), Event.published_at.is_(None))
    pending = set(session.execute(select(Event.object_id).where(*where).distinct()).scalars())
    for view in found["data"]:
        i = view["intent_id"]
        view.update(states=states.get(i, []), audit_packet="sealing" if i in sealing else "ready", event_stream="pending" if i in pending else "synchronized")
    return found


NEWEST_FIRST = (Intent.created_at.desc(), Intent.id.desc())


def table_statements(scope: Scope, *, status: str | None = None, kind: str | None = None, search: str | None = None, limit: int = 25, offset: int = 0) -> tuple[Select, Select]:
    """The room's two reads of a page: its capped count and its rows (bench/ui.py explains both)."""
    where = _filters(scope, status, kind, search)
    return _capped_count(where, offset), _rows(where, limit, offset)


def _filters(scope: Scope, status: str | None, kind: str | None, search: str | None) -> list:
    where = [Intent.tenant_id == scope.tenant_id, Intent.mode == scope.mode]
    if status:
        where.append(Intent.status == status)
    if kind:
        where.append(Intent.kind == kind)
    if search:
        where.append(or_(Intent.intent_id == search, Intent.id == search))
    return where


def _rows(where: list, limit: int, offset: int) -> Select:
    return select(Intent).where(*where).order_by(*NEWEST_FIRST).limit(limit).offset(offset)


def _capped_count(where: list, offset: int) -> Select:
    return capped_count_query(select(Intent.id).where(*where).order_by(*NEWEST_FIRST), offset)


def _page(session: Session, scope: Scope, status: str | None, kind: str | None, search: str | None, limit: int, offset: int, capped: bool = False) -> tuple[dict, list[Intent]]:
    """A page and its rows; `capped`: the room's count (see `table_page`), else the API's exact one."""
    where = _filters(scope, status, kind, search)
    rows = list(session.execute(_rows(where, limit, offset)).scalars().all())
    data = [summary(r) for r in rows]
    if not capped:
        return page(data, session.execute(select(func.count()).select_from(Intent).where(*where)).scalar_one(), limit, offset), rows
    total, exact = capped_total(session.execute(_capped_count(where, offset)).scalar_one(), offset)
    found = page(data, total, limit, offset) | {"total_exact": exact}
    found["has_more"] = found["has_more"] or not exact
    return found, rows
