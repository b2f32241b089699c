"""What is waiting, by how long: open reviews by age (against their SLA) and active holds by time
to expiry, each bucket with its count and amount per currency."""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy import func, select
from sqlmodel import Session

from backend.db.tables import Hold, Review
from backend.tenancy.scope import Scope

REVIEW_AGES = (("under 15 min", timedelta(minutes=15)), ("15-60 min", timedelta(hours=1)), ("1-4 h", timedelta(hours=4)), ("over 4 h", None))
HOLD_EXPIRIES = (("under 5 min", timedelta(minutes=5)), ("5-60 min", timedelta(hours=1)), ("1-24 h", timedelta(hours=24)), ("over 24 h", None))


def _bucketed(session: Session, column, where: tuple, edges: tuple, now: datetime, *, ahead: bool) -> list[dict]:
    """Count and sum rows into labelled buckets of `column` measured from `now` (into the past
    for ages, into the future for expiries), one query per bucket over an indexed range."""
    rows, lower = [], timedelta(0)
    for label, upper in edges:
        bounds = []
        if ahead:
            bounds.append(column >= now + lower)
            if upper is not None:
                bounds.append(column < now + upper)
        else:
            bounds.append(column <= now - lower)
            if upper is not None:
                bounds.append(column > now - upper)
        model = column.class_
        query = select(model.currency, func.count(), func.sum(model.amount_minor)).where(*where, *bounds).group_by(model.currency).order_by(model.currency)
        rows += [{"bucket": label, "currency": c, "count": n, "amount_minor": int(a)} for c, n, a in session.execute(query)]
        lower = upper or lower
    return rows


def review_backlog(session: Session, scope: Scope, now: datetime) -> list[dict]:
    where = (Review.tenant_id == scope.tenant_id, Review.mode == scope.mode, Review.status == "open")
    return _bucketed(session, Review.created_at, where, REVIEW_AGES, now, ahead=False)


def holds_by_expiry(session: Session, scope: Scope, now: datetime) -> list[dict]:
    where = (Hold.tenant_id == scope.tenant_id, Hold.mode == scope.mode, Hold.status == "active")
    return _bucketed(session, Hold.expires_at, where, HOLD_EXPIRIES, now, ahead=True)
