"""The one source of "now": timezone-aware UTC datetimes, as every table stores them."""

from __future__ import annotations

from datetime import datetime, timezone


def utcnow() -> datetime:
    """Current time, aware, in UTC, with microseconds."""
    return datetime.now(timezone.utc)


def to_iso(value: datetime | None) -> str | None:
    """Render a datetime as ISO 8601 UTC with a `Z` suffix and microseconds."""
    if value is None:
        return None
    return value.astimezone(timezone.utc).strftime("%Y-%m-%dT%H:%M:%S.%fZ")
