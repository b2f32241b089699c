"""What a packet says about its subject, read with the same service functions as the HTTP API.

A subject is named by its id's prefix. Each kind renders its object as the API does, with its
events, and whatever else an auditor needs to check it (an account's postings). Lists that grow
with the object's life are capped, newest postings first and events in log order, and say how
many there were, so a packet never grows without bound. An intent's packet holds the intent with
its states, policy decision and routing, its postings, its events, the webhook attempts that
carried those events, the provider callbacks about it, and its screening matches with
compliance's decisions.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Callable

from sqlalchemy import func, select
from sqlmodel import Session

from backend.db.tables import (
    Event,
    Intent,
    Posting,
    ProviderCallback,
    WebhookAttempt,
    WebhookMessage,
)
from backend.errors import ZentraError
from backend.events.log import view as event_view
from backend.intents import views as intent_views
from backend.ledger import accounts, postings
from backend.ledger.queries import postings_for_account
from backend.providers.callbacks import callback_view
from backend.screening import results as screening_results
from backend.tenancy.scope import Scope
from backend.webhooks.history import attempt_view

MAX_EVENTS = 100
MAX_POSTINGS = 100
MAX_ATTEMPTS = 100


@dataclass(frozen=True)
class Subject:
    """A kind of object packets can be made for: its packet type and how to read its contents."""

    type: str
    contents: Callable[[Session, Scope, str, datetime], dict]


def capped(data: list, total: int) -> dict:
    """A bounded list: the rows kept, how many there are in all, and whether some were left out."""
    return {"data": data, "total": total, "truncated": total > len(data)}


def events_of(session: Session, scope: Scope, object_id: str) -> dict:
    """The events whose object is `object_id`, in log order, the first `MAX_EVENTS` of them."""
    where = (Event.tenant_id == scope.tenant_id, Event.mode == scope.mode, Event.object_id == object_id)
    total = session.execute(select(func.count()).select_from(Event).where(*where)).scalar_one()
    rows = session.execute(select(Event).where(*where).order_by(Event.seq).limit(MAX_EVENTS)).scalars()
    return capped([event_view(e) for e in rows], total)


def posting_contents(session: Session, scope: Scope, posting_id: str, now: datetime) -> dict:
    """The posting as `GET /v1/ledger-entries/{id}` renders it (entries included), and its events."""
    return {"posting": postings.read_posting(session, scope, posting_id), "events": events_of(session, scope, posting_id)}


def account_contents(session: Session, scope: Scope, account_id: str, now: datetime) -> dict:
    """The account with its balances at `now`, its events, and its latest `MAX_POSTINGS` postings."""
    account = accounts.get_account(session, scope, account_id, now)
    latest = postings_for_account(session, scope, account_id, limit=MAX_POSTINGS)
    return {"account": account, "events": events_of(session, scope, account_id), "postings": capped(latest["data"], latest["total"])}


def intent_contents(session: Session, scope: Scope, intent_id: str, now: datetime) -> dict:
    """The intent as `GET /v1/runtime/intents/{id}` renders it, with its postings, events,
    webhook attempts, provider callbacks and screening matches."""
    intent = intent_views.find(session, scope, intent_id)
    rendered = intent_views.render(session, intent)
    ids = rendered["postings"][:MAX_POSTINGS]
    rows = list(session.execute(select(Posting).where(Posting.id.in_(ids))).scalars())
    by_id = {p["posting_id"]: p for p in postings.render(session, rows)}
    return {
        "intent": rendered,
        "events": events_of(session, scope, intent_id),
        "postings": capped([by_id[i] for i in ids], len(rendered["postings"])),
        "webhook_attempts": _attempts(session, scope, intent_id),
        "callbacks": _callbacks(session, intent),
        "screening": _screening(session, intent),
    }


def _attempts(session: Session, scope: Scope, intent_id: str) -> dict:
    """Every delivery attempt of a webhook that carried one of the intent's events, in order."""
    events = select(Event.id).where(Event.tenant_id == scope.tenant_id, Event.mode == scope.mode, Event.object_id == intent_id)
    where = (WebhookMessage.event_id.in_(events),)
    joined = select(WebhookAttempt, WebhookMessage.event_type).join(WebhookMessage, WebhookMessage.id == WebhookAttempt.message_id).where(*where)
    total = session.execute(select(func.count()).select_from(joined.subquery())).scalar_one()
    rows = session.execute(joined.order_by(WebhookAttempt.attempted_at, WebhookAttempt.id).limit(MAX_ATTEMPTS)).all()
    return capped([attempt_view(a, event_type) for a, event_type in rows], total)


def _callbacks(session: Session, intent: Intent) -> dict:
    where = (ProviderCallback.tenant_id == intent.tenant_id, ProviderCallback.mode == intent.mode, ProviderCallback.reference == intent.id)
    total = session.execute(select(func.count()).select_from(ProviderCallback).where(*where)).scalar_one()
    rows = session.execute(select(ProviderCallback).where(*where).order_by(ProviderCallback.received_at, ProviderCallback.id).limit(MAX_ATTEMPTS)).scalars()
    return capped([callback_view(r) for r in rows], total)


def _screening(session: Session, intent: Intent) -> dict:
    """Every list match found on the intent, as `GET /v1/screening/results?intent=` shows it
    (screening keeps at most five per list and name, so this stays small)."""
    matches = screening_results.intent_views(session, intent.id)
    return capped(matches, len(matches))


SUBJECTS = {
    "acct": Subject("account", account_contents),
    "pst": Subject("posting", posting_contents),
    "intent": Subject("intent", intent_contents),
}


def subject_of(object_id: str) -> Subject:
    """The kind of subject `object_id` names, or `not_found` (evidence exists for no other kind)."""
    subject = SUBJECTS.get(object_id.partition("_")[0])
    if subject is None:
        raise ZentraError("not_found", f"no evidence for {object_id!r}: packets exist for accounts, postings and intents", object_id=object_id)
    return subject
