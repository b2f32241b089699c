"""Token buckets: the limit type, the interface both stores share, and the in-process store.

A request names several buckets (its API key's and its tenant's) and is admitted only if every
one of them holds a token; a refused request takes from none, so a caller throttled by its tenant
does not also drain its key, and retrying later is never penalised by the refusal itself.
"""

from __future__ import annotations

import math
import re
import threading
import time
from dataclasses import dataclass
from typing import Callable, Protocol, Sequence

_LIMIT = re.compile(r"\s*(\d+(?:\.\d+)?)\s*/\s*(\d+)\s*")


@dataclass(frozen=True)
class Limit:
    """`rate` tokens per second refill a bucket that holds at most `burst` tokens."""

    rate: float
    burst: int

    def __post_init__(self) -> None:
        if not (self.rate > 0 and math.isfinite(self.rate)) or self.burst < 1:
            raise ValueError(f"a rate limit needs rate > 0 and burst >= 1, got {self.rate}/{self.burst}")

    @classmethod
    def parse(cls, text: str, name: str) -> "Limit":
        """`RATE/BURST` (for example `2000/4000`), or a ValueError naming the setting."""
        match = _LIMIT.fullmatch(text)
        if match is None or float(match[1]) <= 0 or int(match[2]) < 1:
            raise ValueError(f"{name} must be RATE/BURST: requests per second (> 0) and a whole burst (>= 1), like 2000/4000; got {text!r}")
        return cls(float(match[1]), int(match[2]))

    @property
    def refill_seconds(self) -> float:
        """How long an empty bucket takes to fill: after that, a forgotten bucket is a full one."""
        return self.burst / self.rate


Charge = tuple[str, Limit]


def retry_after(wait_seconds: float) -> int:
    """Whole seconds until a token is back, at least 1 (HTTP's Retry-After has no fractions)."""
    return max(1, math.ceil(wait_seconds))


class TokenBuckets(Protocol):
    async def take(self, charges: Sequence[Charge]) -> int | None:
        """Take one token from each named bucket, all or none: None when taken, otherwise the
        Retry-After (whole seconds) until every one of them holds a token again."""


@dataclass
class _Level:
    tokens: float
    at: float
    forget_at: float


class InProcessBuckets:
    """Buckets in this process's memory, for a single process (no ZENTRA_REDIS_URL).

    Thread-safe: the check and the take happen under one lock. Buckets full again are forgotten,
    so keys seen once do not accumulate; the sweep runs when the table has doubled since the
    last one, which keeps its cost constant per request.
    """

    MIN_SWEEP = 1024

    def __init__(self, clock: Callable[[], float] = time.monotonic):
        self._clock = clock
        self._lock = threading.Lock()
        self._levels: dict[str, _Level] = {}
        self._sweep_above = self.MIN_SWEEP

    async def take(self, charges: Sequence[Charge]) -> int | None:
        with self._lock:
            now = self._clock()
            levels = [self._refilled(name, limit, now) for name, limit in charges]
            wait = max(((1 - level) / limit.rate for level, (_, limit) in zip(levels, charges) if level < 1), default=None)
            if wait is not None:
                return retry_after(wait)
            for level, (name, limit) in zip(levels, charges):
                self._levels[name] = _Level(level - 1, now, now + limit.refill_seconds)
            self._sweep(now)
            return None

    def _refilled(self, name: str, limit: Limit, now: float) -> float:
        level = self._levels.get(name)
        if level is None:
            return float(limit.burst)
        return min(float(limit.burst), level.tokens + max(0.0, now - level.at) * limit.rate)

    def _sweep(self, now: float) -> None:
        if len(self._levels) <= self._sweep_above:
            return
        self._levels = {name: level for name, level in self._levels.items() if level.forget_at > now}
        self._sweep_above = max(self.MIN_SWEEP, 2 * len(self._levels))

    def __len__(self) -> int:
        return len(self._levels)
