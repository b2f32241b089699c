"""Moving an intent from one state to the next: the only place an intent's status changes.

Each move checks the transition table, keeps the transition in the intent's history, emits its
event in the same transaction (the outbox) and files an audit record for the actor who caused it,
so the state, the event stream and the evidence never tell different stories. A rejected intent's
screening matches that nobody decided are closed with it.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlmodel import Session

from backend.audit.records import append, for_scope
from backend.db.tables import Intent, IntentTransition
from backend.events.outbox import PendingEvent, record
from backend.intents import states
from backend.screening import results as screening_results
from backend.tenancy.scope import Scope


@dataclass(frozen=True)
class Trace:
    """Who is acting, when, and through which request and route (for events and audit records)."""

    scope: Scope
    now: datetime
    request_id: str | None
    route: str


def move(session: Session, trace: Trace, intent: Intent, target: str, *, reason: str | None = None, data: dict | None = None, policy: dict | None = None) -> str:
    """Take `intent` to `target`, or raise `invalid_state_transition` (changing nothing).
    Answers the event type emitted."""
    event_type = states.event_for(intent.status, target)
    previous = intent.status
    intent.status, intent.updated_at = target, trace.now
    session.add(_transition(intent, previous, target, event_type, trace, reason))
    session.add(intent)
    payload = {"intent_id": intent.intent_id, "from": previous, "to": target, "reason": reason, "kind": intent.kind, "amount_minor": intent.amount_minor, "currency": intent.currency, **(data or {})}
    record(session, trace.scope, [PendingEvent(event_type, intent.intent_id, payload, trace.now, intent.intent_id)])
    detail = {"from": previous, "to": target, "event": event_type, "reason": reason}
    append(session, [for_scope(trace.scope, f"intent.{target}", intent.intent_id, trace.route, trace.now, trace.request_id, policy=policy, detail=detail)])
    if target == "rejected":
        screening_results.close_open(session, intent, trace.now)
    return event_type


def enter(session: Session, trace: Trace, intent: Intent) -> None:
    """Record a new intent's first state, `accepted`, with its `intent.accepted` event."""
    session.add(_transition(intent, None, "accepted", "intent.accepted", trace, None))
    payload = {"intent_id": intent.intent_id, "kind": intent.kind, "amount_minor": intent.amount_minor, "currency": intent.currency, "source": intent.source_account_id, "destination": intent.destination, "corridor": intent.corridor}
    record(session, trace.scope, [PendingEvent("intent.accepted", intent.intent_id, payload, trace.now, intent.intent_id)])
    append(session, [for_scope(trace.scope, "intent.accepted", intent.intent_id, trace.route, trace.now, trace.request_id, detail={"to": "accepted", "event": "intent.accepted"})])


def _transition(intent: Intent, previous: str | None, target: str, event_type: str, trace: Trace, reason: str | None) -> IntentTransition:
    return IntentTransition(
        intent_row_id=intent.id,
        tenant_id=intent.tenant_id,
        mode=intent.mode,
        currency=intent.currency,
        amount_minor=intent.amount_minor,
        from_state=previous,
        to_state=target,
        event_type=event_type,
        actor=trace.scope.actor,
        reason=reason,
        at=trace.now,
    )
