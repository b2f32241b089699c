"""When the next attempt happens (pure): the retry schedule, jitter and `Retry-After`.

The schedule lists the delay before each attempt; the first is normally 0 (immediately). After
attempt n fails, attempt n+1 waits the schedule's n-th delay (0-based), spread by ±`jitter` so
that receivers that failed together are not retried together, and never less than what the
receiver asked for with `Retry-After` (capped at a day, so a receiver cannot park a message
forever). Once the schedule is used up the message has failed.
"""

from __future__ import annotations

import random
from datetime import datetime, timedelta
from email.utils import parsedate_to_datetime

MAX_RETRY_AFTER_SECONDS = 86400.0
_RNG = random.Random()


def next_delay(schedule: tuple[float, ...], attempts_made: int, retry_after: float | None, jitter: float, rng: random.Random = _RNG) -> float | None:
    """Seconds until the next attempt after `attempts_made` attempts of this run, or None when
    the schedule is exhausted."""
    if attempts_made >= len(schedule):
        return None
    base = schedule[attempts_made]
    delay = base * (1 + rng.uniform(-jitter, jitter))
    if retry_after is not None:
        delay = max(delay, min(retry_after, MAX_RETRY_AFTER_SECONDS))
    return delay


def next_attempt_at(now: datetime, delay: float | None) -> datetime | None:
    return None if delay is None else now + timedelta(seconds=delay)


def parse_retry_after(value: str | None, now: datetime) -> float | None:
    """`Retry-After` as seconds from `now`: delta-seconds or an HTTP date; None if absent or
    unreadable (an unreadable header is ignored, as browsers do)."""
    if not value:
        return None
    value = value.strip()
    if value.isdigit():
        return float(value)
    try:
        when = parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    if when.tzinfo is None:
        return None
    return max(0.0, (when - now).total_seconds())
