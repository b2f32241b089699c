"""The in-process store under threads, and its memory: buckets full again are forgotten."""

from __future__ import annotations

import asyncio
from concurrent.futures import ThreadPoolExecutor

from backend.ratelimit.buckets import InProcessBuckets, Limit
from tests.backend.ratelimit.support import ManualClock


def test_concurrent_threads_never_take_more_than_the_burst():
    buckets = InProcessBuckets(clock=ManualClock())
    limit = Limit(rate=1, burst=500)

    def take_many(_: int) -> int:
        return sum(asyncio.run(buckets.take([("key", limit), ("tenant", limit)])) is None for _ in range(100))

    with ThreadPoolExecutor(max_workers=8) as pool:
        admitted = sum(pool.map(take_many, range(16)))
    assert admitted == 500


async def test_idle_buckets_are_forgotten():
    clock = ManualClock()
    buckets = InProcessBuckets(clock=clock)
    limit = Limit(rate=1, burst=1)
    for i in range(2 * InProcessBuckets.MIN_SWEEP):
        await buckets.take([(f"once-{i}", limit)])
    clock.advance(limit.refill_seconds)
    for i in range(2 * InProcessBuckets.MIN_SWEEP + 1):
        await buckets.take([(f"later-{i}", limit)])
    assert len(buckets) <= 2 * InProcessBuckets.MIN_SWEEP + 1
    assert await buckets.take([("once-0", limit)]) is None  # a forgotten bucket is a full one
