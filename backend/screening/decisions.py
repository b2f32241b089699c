"""Compliance's decision on a screening match: clear it (not the listed party) or confirm it.

Deciding needs a person whose role has `screening.decide` (compliance, admin); an API key is
refused, as for reviews. The match's review and intent are locked first, in the review queue's
order, then the match, so a decision and a reviewer's action on the same intent happen one after
the other. Clearing needs someone other than the intent's creator (maker-checker), and a note
saying why. Confirming rejects the intent through the review queue's own rejection
(`reviews.close_rejected`, code `screening_confirmed`), which closes the intent's other undecided
matches. Each decision is an event and an audit record about the intent, so its evidence packet
carries the decision and who made it.
"""

from __future__ import annotations

from sqlalchemy import select
from sqlmodel import Session

from backend.audit.records import append, for_scope
from backend.db.tables import ScreeningResult
from backend.errors import ZentraError
from backend.events.outbox import PendingEvent, record
from backend.inputs import choice, reject_unknown, required_str
from backend.intents import reviews
from backend.intents.lifecycle import Trace
from backend.operators import roles
from backend.screening import results

OUTCOMES = {"clear": "cleared", "confirm": "confirmed"}
CONFIRMED_CODE = "screening_confirmed"


def decide(session: Session, trace: Trace, result_id: str, body: dict) -> dict:
    """Clear or confirm screening result `result_id` (`decision`: clear | confirm, `note`)."""
    reject_unknown(body, {"decision", "note"})
    action = choice(body, "decision", tuple(OUTCOMES))
    note = required_str(body, "note", max_length=500)
    found = results.find(session, trace.scope, result_id)
    roles.require(trace.scope.role, "screening.decide")
    review, intent = reviews.locked_for_intent(session, found.intent_row_id)
    row = session.execute(select(ScreeningResult).where(ScreeningResult.id == found.id).with_for_update().execution_options(populate_existing=True)).scalar_one()
    if row.decision != "pending":
        raise ZentraError("invalid_state_transition", f"screening result {row.id} is already {row.decision}")
    if action == "clear" and trace.scope.actor == intent.created_by:
        raise ZentraError("forbidden", "maker-checker: nobody clears a screening match on an intent they created")
    row.decision, row.decided_by, row.decided_at, row.note = OUTCOMES[action], trace.scope.actor, trace.now, note
    session.flush()
    event_type = f"screening.match_{row.decision}"
    detail = {"result_id": row.id, "matched_name": row.matched_name, "score": row.score, "method": row.method, "note": note}
    record(session, trace.scope, [PendingEvent(event_type, intent.intent_id, {"intent_id": intent.intent_id, **detail, "decided_by": trace.scope.actor}, trace.now, intent.intent_id)])
    append(session, [for_scope(trace.scope, event_type, intent.intent_id, trace.route, trace.now, trace.request_id, detail=detail)])
    if action == "confirm":
        reviews.close_rejected(session, trace, review, intent, CONFIRMED_CODE, note)
    return {**results.views(session, [row])[0], "intent_status": intent.status, "event": event_type}
