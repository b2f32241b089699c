"""Sending again: one message on request, or everything an endpoint missed since a moment.

`recover` compares the endpoint's subscribed events since `since` (from the event log, the
database's record of every event) with its messages: delivered ones were acknowledged by the
receiver (2xx) and are not sent again; failed ones, and events that never became a message
(the endpoint was disabled when they happened), would be sent; pending ones are still on their
schedule and left alone. `dry_run` only counts. A message sent again starts the retry schedule
afresh and keeps its id, so the receiver can deduplicate on `webhook-id`.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy import select, update
from sqlmodel import Session

from backend.clock import to_iso
from backend.db.tables import Event, WebhookEndpoint, WebhookMessage
from backend.errors import ZentraError
from backend.events.log import view as event_view
from backend.inputs import optional_bool, reject_unknown, timestamp
from backend.tenancy.scope import Scope
from backend.webhooks.endpoints import event_types, get_endpoint_row, subscribed
from backend.webhooks.history import message_view
from backend.webhooks.messages import insert_new, message_row, payload

MAX_RECOVERY_WINDOW = timedelta(days=7)


def _enabled(endpoint: WebhookEndpoint) -> None:
    if endpoint.status != "enabled":
        raise ZentraError("invalid_state_transition", f"webhook endpoint {endpoint.id} is disabled; enable it first")


def resend(session: Session, scope: Scope, endpoint_id: str, message_id: str, body: dict, now: datetime) -> dict:
    """Attempt a delivered or failed message again, now, with a fresh retry schedule."""
    reject_unknown(body, set())
    endpoint = get_endpoint_row(session, scope, endpoint_id, lock=True)
    message = session.get(WebhookMessage, message_id, with_for_update=True)
    if message is None or message.endpoint_id != endpoint.id:
        raise ZentraError("not_found", f"no webhook message {message_id!r} for endpoint {endpoint_id}", object_id=message_id)
    _enabled(endpoint)
    if message.status == "pending":
        raise ZentraError("invalid_state_transition", f"webhook message {message_id} is still being delivered (next attempt at {to_iso(message.next_attempt_at)})")
    message.status, message.step, message.next_attempt_at = "pending", 0, now
    session.flush()
    return message_view(message)


def recover(session: Session, scope: Scope, endpoint_id: str, body: dict, now: datetime) -> dict:
    """Send again what the endpoint missed since `since` (at most 7 days back); with `dry_run`,
    only count it."""
    reject_unknown(body, {"since", "dry_run"})
    dry_run = optional_bool(body, "dry_run", False)
    endpoint = get_endpoint_row(session, scope, endpoint_id, lock=not dry_run)
    if "since" not in body:
        raise ZentraError("validation_error", "since is required", "since")
    since = timestamp(body["since"], "since")
    if not now - MAX_RECOVERY_WINDOW <= since <= now:
        raise ZentraError("validation_error", "since must be within the last 7 days", "since")
    if not dry_run:
        _enabled(endpoint)
    start = max(since, endpoint.created_at)
    messages = {
        row.event_id: row
        for row in session.execute(
            select(WebhookMessage.id, WebhookMessage.event_id, WebhookMessage.status).where(WebhookMessage.endpoint_id == endpoint.id, WebhookMessage.event_occurred_at >= start)
        )
    }
    failed = [row.id for row in messages.values() if row.status == "failed"]
    missed = _missed_events(session, scope, endpoint, start, set(messages))
    if not dry_run:
        _send_again(session, endpoint, failed, missed, now)
    return {
        "object": "webhook_recovery",
        "endpoint_id": endpoint.id,
        "since": to_iso(since),
        "dry_run": dry_run,
        "would_send": len(failed) + len(missed),
        "already_acknowledged": sum(1 for row in messages.values() if row.status == "delivered"),
        "in_progress": sum(1 for row in messages.values() if row.status == "pending"),
    }


def _missed_events(session: Session, scope: Scope, endpoint: WebhookEndpoint, start: datetime, have: set[str]) -> list[Event]:
    """Events since `start` the endpoint subscribes to and has no message for."""
    filters = event_types(endpoint)
    rows = session.execute(
        select(Event).where(Event.tenant_id == scope.tenant_id, Event.mode == scope.mode, Event.occurred_at >= start).order_by(Event.seq)
    ).scalars()
    return [e for e in rows if e.id not in have and subscribed(filters, e.type)]


def _send_again(session: Session, endpoint: WebhookEndpoint, failed: list[str], missed: list[Event], now: datetime) -> None:
    if failed:
        session.execute(
            update(WebhookMessage.__table__)
            .where(WebhookMessage.id.in_(failed), WebhookMessage.status == "failed")
            .values(status="pending", step=0, next_attempt_at=now)
        )
    rows = []
    for event in missed:
        shown = event_view(event)
        rows.append(message_row(endpoint, shown, payload(shown), now, now))
    insert_new(session, rows)
