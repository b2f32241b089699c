"""An endpoint's delivery health, from its attempts log: what the webhooks room shows.

Computed over the last 24 hours of attempts (at most the newest 10,000): success rate, p50 and
p99 latency, plus the backlog (messages waiting for an attempt) and a one-word state.
"""

from __future__ import annotations

import math
from datetime import datetime, timedelta

from sqlalchemy import func, select
from sqlmodel import Session

from backend.clock import to_iso
from backend.db.tables import WebhookAttempt, WebhookEndpoint, WebhookMessage

WINDOW = timedelta(hours=24)
MAX_SAMPLES = 10_000


def percentile(sorted_values: list[int], fraction: float) -> int | None:
    """Nearest-rank percentile of an ascending list (None when empty)."""
    if not sorted_values:
        return None
    return sorted_values[max(0, math.ceil(fraction * len(sorted_values)) - 1)]


def state(endpoint: WebhookEndpoint, attempts: int) -> str:
    """`disabled`, `failing` (no success since its first failure), `idle` (no attempt in the
    window) or `healthy`."""
    if endpoint.status == "disabled":
        return "disabled"
    if endpoint.failing_since is not None:
        return "failing"
    return "healthy" if attempts else "idle"


def health(session: Session, endpoint: WebhookEndpoint, now: datetime) -> dict:
    recent = session.execute(
        select(WebhookAttempt.status, WebhookAttempt.duration_ms, WebhookAttempt.attempted_at)
        .where(WebhookAttempt.endpoint_id == endpoint.id, WebhookAttempt.attempted_at >= now - WINDOW)
        .order_by(WebhookAttempt.attempted_at.desc())
        .limit(MAX_SAMPLES)
    ).all()
    backlog = session.execute(
        select(func.count()).select_from(WebhookMessage).where(WebhookMessage.endpoint_id == endpoint.id, WebhookMessage.status == "pending")
    ).scalar_one()
    durations = sorted(row.duration_ms for row in recent)
    succeeded = sum(1 for row in recent if row.status == "succeeded")
    return {
        "window_hours": int(WINDOW.total_seconds() // 3600),
        "attempts": len(recent),
        "succeeded": succeeded,
        "success_rate": round(succeeded / len(recent), 4) if recent else None,
        "p50_ms": percentile(durations, 0.50),
        "p99_ms": percentile(durations, 0.99),
        "backlog": backlog,
        "last_attempt_at": to_iso(recent[0].attempted_at) if recent else None,
        "state": state(endpoint, len(recent)),
    }


def summaries(session: Session, endpoint_ids: list[str], now: datetime) -> dict[str, dict]:
    """Backlog and one-word state of a page of endpoints, in two grouped reads (the webhooks
    room's list shows them for every row; `health` is the one-endpoint view)."""
    if not endpoint_ids:
        return {}
    endpoints = session.execute(select(WebhookEndpoint).where(WebhookEndpoint.id.in_(endpoint_ids))).scalars().all()
    backlog = dict(session.execute(
        select(WebhookMessage.endpoint_id, func.count()).where(WebhookMessage.endpoint_id.in_(endpoint_ids), WebhookMessage.status == "pending").group_by(WebhookMessage.endpoint_id)
    ).all())
    attempts = dict(session.execute(
        select(WebhookAttempt.endpoint_id, func.count()).where(WebhookAttempt.endpoint_id.in_(endpoint_ids), WebhookAttempt.attempted_at >= now - WINDOW).group_by(WebhookAttempt.endpoint_id)
    ).all())
    return {e.id: {"backlog": backlog.get(e.id, 0), "state": state(e, attempts.get(e.id, 0))} for e in endpoints}
