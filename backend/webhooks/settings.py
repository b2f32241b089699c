"""Webhook delivery settings, read from the environment with the rest of `backend.config`.

The contract's retry schedule is the live default; sandbox gets a compressed one by default so
that failure cases play out in minutes, and tests compress both further.
"""

from __future__ import annotations

import os
from dataclasses import dataclass

from backend.ratelimit.buckets import Limit

# Immediately, 5 s, 5 min, 30 min, 2 h, 5 h, 10 h, 10 h: eight attempts over about 27.6 hours.
LIVE_SCHEDULE: tuple[float, ...] = (0, 5, 300, 1800, 7200, 18000, 36000, 36000)
SANDBOX_SCHEDULE: tuple[float, ...] = (0, 1, 5, 30, 120, 300, 600, 600)
FIVE_DAYS = 5 * 86400.0


def parse_schedule(text: str, name: str) -> tuple[float, ...]:
    """Comma-separated delays in seconds, the first one before the first attempt (usually 0)."""
    try:
        delays = tuple(float(part) for part in text.split(","))
    except ValueError:
        raise ValueError(f"{name} must be comma-separated seconds like 0,5,300; got {text!r}") from None
    if not delays or any(d < 0 or d != d or d == float("inf") for d in delays):
        raise ValueError(f"{name} needs at least one finite delay >= 0; got {text!r}")
    return delays


@dataclass(frozen=True)
class WebhookSettings:
    """How deliveries are paced and retried. `concurrency` and `rate_limit` apply per endpoint
    (an endpoint's own `rate_limit` overrides the rate); `lease_seconds` is how long a claimed
    message is left alone by other dispatchers before it counts as abandoned."""

    schedule: tuple[float, ...] = LIVE_SCHEDULE
    sandbox_schedule: tuple[float, ...] = SANDBOX_SCHEDULE
    jitter: float = 0.1
    timeout_seconds: float = 15.0
    disable_after_seconds: float = FIVE_DAYS
    concurrency: int = 16
    rate_limit: Limit = Limit(rate=100, burst=200)
    poll_seconds: float = 1.0
    lease_seconds: float = 300.0
    consumer: str = "zentra-webhooks"

    def schedule_for(self, mode: str) -> tuple[float, ...]:
        return self.sandbox_schedule if mode == "sandbox" else self.schedule

    @classmethod
    def from_env(cls) -> "WebhookSettings":
        """The settings, each overridable by its `ZENTRA_WEBHOOK_*` variable; a malformed value
        stops the start with a message naming it."""
        default = cls()
        return cls(
            schedule=_setting("ZENTRA_WEBHOOK_SCHEDULE", parse_schedule, default.schedule),
            sandbox_schedule=_setting("ZENTRA_WEBHOOK_SANDBOX_SCHEDULE", parse_schedule, default.sandbox_schedule),
            timeout_seconds=_setting("ZENTRA_WEBHOOK_TIMEOUT_SECONDS", _positive, default.timeout_seconds),
            disable_after_seconds=_setting("ZENTRA_WEBHOOK_DISABLE_AFTER_SECONDS", _positive, default.disable_after_seconds),
            concurrency=int(_setting("ZENTRA_WEBHOOK_CONCURRENCY", _positive, default.concurrency)),
            rate_limit=_setting("ZENTRA_WEBHOOK_RATE_LIMIT", Limit.parse, default.rate_limit),
        )


def _setting(name: str, parse, default):
    raw = os.environ.get(name, "").strip()
    return parse(raw, name) if raw else default


def _positive(raw: str, name: str) -> float:
    try:
        value = float(raw)
    except ValueError:
        value = -1.0
    if not 0 < value < float("inf"):
        raise ValueError(f"{name} must be a positive number; got {raw!r}")
    return value
