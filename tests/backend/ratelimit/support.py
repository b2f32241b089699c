"""A clock the tests move by hand, and private Redis namespaces that are cleaned up after use."""

from __future__ import annotations

import secrets

import redis


class ManualClock:
    """Seconds that pass only when a test says so (never at zero: a real clock never is)."""

    def __init__(self, start: float = 1_000_000.0):
        self.now = start

    def __call__(self) -> float:
        return self.now

    def advance(self, seconds: float) -> None:
        self.now += seconds


def new_namespace() -> str:
    """A key prefix no other test (or run) uses."""
    return f"zentra:rl:test:{secrets.token_hex(8)}:"


def drop_namespace(redis_url: str, prefix: str) -> None:
    with redis.Redis.from_url(redis_url) as client:
        keys = list(client.scan_iter(match=prefix + "*"))
        if keys:
            client.delete(*keys)
