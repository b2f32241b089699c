"""State volume over time: how many intents, and how much money, entered each state per time
bucket and currency (one indexed range scan over `intent_transitions`)."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import func, select
from sqlmodel import Session

from backend.clock import to_iso
from backend.db.tables import IntentTransition
from backend.finance.buckets import bucket_of, bucket_range, bucket_start
from backend.tenancy.scope import Scope


def state_volume(session: Session, scope: Scope, since: datetime, until: datetime, bucket_seconds: int) -> dict:
    """`rows`: one per bucket, state and currency that saw any transition; `buckets`: every bucket
    start in the window (for an x axis without gaps)."""
    bucket = bucket_of(session, IntentTransition.at, bucket_seconds).label("bucket")
    where = (IntentTransition.tenant_id == scope.tenant_id, IntentTransition.mode == scope.mode, IntentTransition.at >= since, IntentTransition.at < until)
    query = (
        select(bucket, IntentTransition.to_state, IntentTransition.currency, func.count(), func.sum(IntentTransition.amount_minor))
        .where(*where)
        .group_by(bucket, IntentTransition.to_state, IntentTransition.currency)
        .order_by(bucket, IntentTransition.to_state, IntentTransition.currency)
    )
    rows = [
        {"bucket": to_iso(bucket_start(number, bucket_seconds)), "state": state, "currency": currency, "count": count, "amount_minor": int(amount)}
        for number, state, currency, count, amount in session.execute(query)
    ]
    buckets = [to_iso(bucket_start(n, bucket_seconds)) for n in bucket_range(since, until, bucket_seconds)]
    return {"since": to_iso(since), "until": to_iso(until), "bucket_seconds": bucket_seconds, "buckets": buckets, "rows": rows}


def totals(session: Session, scope: Scope, since: datetime, until: datetime) -> list[dict]:
    """Per currency and state, the money that entered each state in the window (the headline tile)."""
    where = (IntentTransition.tenant_id == scope.tenant_id, IntentTransition.mode == scope.mode, IntentTransition.at >= since, IntentTransition.at < until)
    query = select(IntentTransition.currency, IntentTransition.to_state, func.count(), func.sum(IntentTransition.amount_minor)).where(*where).group_by(IntentTransition.currency, IntentTransition.to_state).order_by(IntentTransition.currency, IntentTransition.to_state)
    return [{"currency": c, "state": s, "count": n, "amount_minor": int(a)} for c, s, n, a in session.execute(query)]
