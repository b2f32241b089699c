"""Operator actions on intents and the review queue, as the operations room performs them.

Each goes through `actions.perform` (session re-verified, role checked, audit record in the same
transaction) and calls the same service the HTTP API calls, so the room and the API cannot
disagree on a rule.
"""

from __future__ import annotations

from datetime import datetime
from typing import Callable

from sqlmodel import Session

from backend.errors import ZentraError
from backend.intents import intake, reviews, views
from backend.intents.lifecycle import Trace
from backend.intents.requests import parse_runtime_intent
from backend.operators.actions import Credential, perform
from backend.operators.audit import ROOM
from backend.runtime import Runtime
from backend.tenancy.scope import Scope

ReviewService = Callable[[Session, Trace, str, dict], dict]
REVIEW_ACTIONS: dict[str, tuple[ReviewService, str]] = {
    "claim": (reviews.claim, "reviews.decide"),
    "assign": (reviews.assign, "reviews.assign"),
    "release": (reviews.release, "reviews.decide"),
    "approve": (reviews.approve, "reviews.decide"),
    "reject": (reviews.reject, "reviews.decide"),
}


def create_intent(runtime: Runtime, credential: Credential, body: dict, request_id: str | None = None) -> dict:
    """Create an intent as the signed-in operator (`intents.create`); `body` as the HTTP API's."""
    def act(session: Session, scope: Scope, now: datetime) -> dict:
        return views.render(session, intake.create_intent(session, Trace(scope, now, request_id, ROOM), parse_runtime_intent(dict(body))))

    return perform(runtime, credential, "intents.create", act, object_id=lambda r: r["intent_id"], detail={"kind": body.get("kind"), "amount_minor": body.get("amount_minor")}, request_id=request_id)


def review_action(runtime: Runtime, credential: Credential, action: str, review_id: str, body: dict, request_id: str | None = None) -> dict:
    """Claim, assign, release, approve or reject one review."""
    service, permission = REVIEW_ACTIONS[action]

    def act(session: Session, scope: Scope, now: datetime) -> dict:
        return service(session, Trace(scope, now, request_id, ROOM), review_id, dict(body))

    return perform(runtime, credential, permission, act, object_id=review_id, detail={"action": action, **body}, request_id=request_id)


def bulk_review_action(runtime: Runtime, credential: Credential, action: str, items: list[tuple[str, dict]], request_id: str | None = None) -> list[dict]:
    """The same action on several reviews (each with its own body: an approval quotes the hash of
    the review it saw), each in its own transaction, so one refusal (maker-checker, a changed
    intent) neither undoes nor blocks the others. Answers one result per review, in order."""
    results = []
    for review_id, body in items:
        try:
            results.append({"review_id": review_id, "ok": True, "review": review_action(runtime, credential, action, review_id, body, request_id)})
        except ZentraError as err:
            results.append({"review_id": review_id, "ok": False, "code": err.code, "message": err.message})
    return results
