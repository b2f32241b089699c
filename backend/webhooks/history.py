"""Reading back an endpoint's messages and attempts, newest first, one page at a time."""

from __future__ import annotations

from sqlalchemy import func, select
from sqlmodel import Session

from backend.clock import to_iso
from backend.db.tables import WebhookAttempt, WebhookMessage
from backend.errors import ZentraError
from backend.pagination import page
from backend.tenancy.scope import Scope
from backend.webhooks.endpoints import get_endpoint_row

MESSAGE_STATUSES = ("pending", "delivered", "failed")
ATTEMPT_STATUSES = ("succeeded", "failed")


def _status(value: str | None, allowed: tuple[str, ...]) -> str | None:
    if value is not None and value not in allowed:
        raise ZentraError("validation_error", f"status must be one of {', '.join(allowed)}", "status")
    return value


def message_view(m: WebhookMessage) -> dict:
    return {
        "id": m.id,
        "object": "webhook_message",
        "endpoint_id": m.endpoint_id,
        "event_id": m.event_id,
        "event_type": m.event_type,
        "event_occurred_at": to_iso(m.event_occurred_at),
        "status": m.status,
        "attempts": m.attempts,
        "next_attempt_at": to_iso(m.next_attempt_at) if m.status == "pending" else None,
        "last_attempt_at": to_iso(m.last_attempt_at),
        "delivered_at": to_iso(m.delivered_at),
        "created_at": to_iso(m.created_at),
    }


def attempt_view(a: WebhookAttempt, event_type: str) -> dict:
    return {
        "id": a.id,
        "object": "webhook_attempt",
        "endpoint_id": a.endpoint_id,
        "message_id": a.message_id,
        "event_type": event_type,
        "attempt": a.attempt,
        "attempted_at": to_iso(a.attempted_at),
        "status": a.status,
        "duration_ms": a.duration_ms,
        "response_code": a.response_code,
        "error_kind": a.error_kind,
        "error": a.error,
        "response_excerpt": a.response_excerpt,
        "next_attempt_at": to_iso(a.next_attempt_at),
    }


def list_messages(session: Session, scope: Scope, endpoint_id: str, *, status: str | None = None, limit: int, offset: int) -> dict:
    """The endpoint's messages, newest event first, optionally only one status."""
    get_endpoint_row(session, scope, endpoint_id)
    where = [WebhookMessage.endpoint_id == endpoint_id]
    if _status(status, MESSAGE_STATUSES):
        where.append(WebhookMessage.status == status)
    total = session.execute(select(func.count()).select_from(WebhookMessage).where(*where)).scalar_one()
    rows = session.execute(
        select(WebhookMessage).where(*where).order_by(WebhookMessage.event_occurred_at.desc(), WebhookMessage.id.desc()).limit(limit).offset(offset)
    ).scalars().all()
    return page([message_view(m) for m in rows], total, limit, offset)


def list_attempts(session: Session, scope: Scope, endpoint_id: str, *, message_id: str | None = None, status: str | None = None, limit: int, offset: int) -> dict:
    """The endpoint's attempts, newest first, optionally of one message or one outcome."""
    get_endpoint_row(session, scope, endpoint_id)
    where = [WebhookAttempt.endpoint_id == endpoint_id]
    if message_id:
        where.append(WebhookAttempt.message_id == message_id)
    if _status(status, ATTEMPT_STATUSES):
        where.append(WebhookAttempt.status == status)
    total = session.execute(select(func.count()).select_from(WebhookAttempt).where(*where)).scalar_one()
    rows = session.execute(
        select(WebhookAttempt, WebhookMessage.event_type)
        .join(WebhookMessage, WebhookMessage.id == WebhookAttempt.message_id)
        .where(*where)
        .order_by(WebhookAttempt.attempted_at.desc(), WebhookAttempt.id.desc())
        .limit(limit)
        .offset(offset)
    ).all()
    return page([attempt_view(a, event_type) for a, event_type in rows], total, limit, offset)
