"""Time buckets computed by the database, so a chart over millions of rows returns one row per
bucket and series rather than the rows themselves."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone

from sqlalchemy import Integer, cast, func
from sqlalchemy.sql.elements import ColumnElement
from sqlmodel import Session

from backend.errors import ZentraError

# The windows the finance room offers, and the bucket each is drawn with (about 24-48 points).
WINDOWS = {"1h": (timedelta(hours=1), 150), "6h": (timedelta(hours=6), 900), "24h": (timedelta(hours=24), 1800), "7d": (timedelta(days=7), 6 * 3600)}


def window(name: str, now: datetime) -> tuple[datetime, datetime, int]:
    """(since, until, bucket seconds) of a named window ending now; an unknown name is refused."""
    if name not in WINDOWS:
        raise ZentraError("validation_error", f"window must be one of {', '.join(WINDOWS)}", "window")
    span, bucket = WINDOWS[name]
    return now - span, now, bucket


def bucket_of(session: Session, column: ColumnElement, seconds: int) -> ColumnElement:
    """The bucket number of a timestamp column: whole `seconds` since the Unix epoch."""
    if session.get_bind().dialect.name == "postgresql":
        return cast(func.floor(func.extract("epoch", column) / seconds), Integer)
    return cast(cast(func.strftime("%s", column), Integer) / seconds, Integer)


def bucket_start(number: int, seconds: int) -> datetime:
    return datetime.fromtimestamp(number * seconds, tz=timezone.utc)


def bucket_range(since: datetime, until: datetime, seconds: int) -> list[int]:
    """Every bucket number the window touches, so empty buckets still appear on a chart."""
    first, last = int(since.timestamp()) // seconds, int(until.timestamp()) // seconds
    return list(range(first, last + 1))
