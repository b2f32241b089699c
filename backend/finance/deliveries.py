"""Webhook health per endpoint over a window: success rate per time bucket (counted by the
database) and latency percentiles over the window (from the newest attempts, as the webhooks
room computes them)."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import case, func, select
from sqlmodel import Session

from backend.clock import to_iso
from backend.db.tables import WebhookAttempt, WebhookEndpoint
from backend.finance.buckets import bucket_of, bucket_range, bucket_start
from backend.tenancy.scope import Scope
from backend.webhooks.health import MAX_SAMPLES, percentile


def _endpoints(session: Session, scope: Scope) -> list[WebhookEndpoint]:
    where = (WebhookEndpoint.tenant_id == scope.tenant_id, WebhookEndpoint.mode == scope.mode)
    return list(session.execute(select(WebhookEndpoint).where(*where).order_by(WebhookEndpoint.created_at)).scalars())


def webhook_health(session: Session, scope: Scope, since: datetime, until: datetime, bucket_seconds: int) -> dict:
    """Per endpoint: `series` of {bucket, attempts, succeeded, success_rate} and its p50/p95/p99
    latency over the window."""
    bucket = bucket_of(session, WebhookAttempt.attempted_at, bucket_seconds).label("bucket")
    succeeded = func.sum(case((WebhookAttempt.status == "succeeded", 1), else_=0))
    endpoints = []
    for endpoint in _endpoints(session, scope):
        in_window = (WebhookAttempt.endpoint_id == endpoint.id, WebhookAttempt.attempted_at >= since, WebhookAttempt.attempted_at < until)
        counted = session.execute(select(bucket, func.count(), succeeded).where(*in_window).group_by(bucket).order_by(bucket)).all()
        series = [{"bucket": to_iso(bucket_start(n, bucket_seconds)), "attempts": total, "succeeded": int(ok), "success_rate": round(int(ok) / total, 4)} for n, total, ok in counted]
        durations = sorted(session.execute(select(WebhookAttempt.duration_ms).where(*in_window).order_by(WebhookAttempt.attempted_at.desc()).limit(MAX_SAMPLES)).scalars())
        endpoints.append({
            "endpoint_id": endpoint.id,
            "url": endpoint.url,
            "status": endpoint.status,
            "series": series,
            "p50_ms": percentile(durations, 0.50),
            "p95_ms": percentile(durations, 0.95),
            "p99_ms": percentile(durations, 0.99),
        })
    buckets = [to_iso(bucket_start(n, bucket_seconds)) for n in bucket_range(since, until, bucket_seconds)]
    return {"since": to_iso(since), "until": to_iso(until), "bucket_seconds": bucket_seconds, "buckets": buckets, "endpoints": endpoints}
