"""Both bucket stores keep the same rule: a burst, a refill rate, all-or-none takes across
buckets, and a Retry-After in whole seconds from the refill rate."""

from __future__ import annotations

import pytest
from redis.asyncio import Redis

from backend.ratelimit.buckets import InProcessBuckets, Limit
from backend.ratelimit.redis_buckets import RedisBuckets
from tests.backend.ratelimit.support import ManualClock, drop_namespace, new_namespace

KEY = Limit(rate=0.5, burst=3)
TENANT = Limit(rate=0.25, burst=1)


@pytest.fixture
def clock() -> ManualClock:
    return ManualClock()


@pytest.fixture
async def redis_buckets(redis_url, clock):
    prefix = new_namespace()
    client = Redis.from_url(redis_url)
    yield RedisBuckets(client, prefix=prefix, clock=clock)
    await client.aclose()
    drop_namespace(redis_url, prefix)


@pytest.fixture(params=["in_process", "redis"])
def buckets(request, clock):
    if request.param == "in_process":
        return InProcessBuckets(clock=clock)
    return request.getfixturevalue("redis_buckets")


async def takes(buckets, charges, n: int) -> list[int | None]:
    return [await buckets.take(charges) for _ in range(n)]


async def test_a_burst_is_admitted_then_refused_until_a_token_refills(buckets, clock):
    assert await takes(buckets, [("k", KEY)], 4) == [None, None, None, 2]
    clock.advance(1.5)
    assert await buckets.take([("k", KEY)]) == 1  # 0.75 of a token back: 0.5 s to go, rounded up
    clock.advance(0.5)
    assert await takes(buckets, [("k", KEY)], 2) == [None, 2]


async def test_retry_after_follows_the_refill_rate(buckets, clock):
    slow = Limit(rate=0.1, burst=1)
    assert await takes(buckets, [("slow", slow)], 2) == [None, 10]
    clock.advance(4)
    assert await buckets.take([("slow", slow)]) == 6
    fast = Limit(rate=50, burst=1)
    assert await takes(buckets, [("fast", fast)], 2) == [None, 1]  # 20 ms, but never below 1 s


async def test_an_idle_bucket_refills_only_up_to_its_burst(buckets, clock):
    await takes(buckets, [("k", KEY)], 3)
    clock.advance(3600)
    assert await takes(buckets, [("k", KEY)], 4) == [None, None, None, 2]


async def test_a_refused_take_consumes_from_no_bucket(buckets, clock):
    both = [("key", KEY), ("tenant", TENANT)]
    assert await takes(buckets, both, 2) == [None, 4]  # the tenant's bucket is empty
    assert await takes(buckets, [("key", KEY)], 3) == [None, None, 2]  # the refusal left the key's 2 tokens
    clock.advance(4)  # the key's bucket has 2 tokens again, the tenant's 1
    assert await takes(buckets, [("key", KEY)], 2) == [None, None]
    assert await buckets.take(both) == 2  # now the key's bucket refuses...
    assert await buckets.take([("tenant", TENANT)]) is None  # ...and the tenant's token was left in place


async def test_retry_after_waits_for_the_emptiest_bucket(buckets):
    assert await takes(buckets, [("key", KEY)], 3) == [None] * 3
    assert await buckets.take([("tenant", TENANT)]) is None
    assert await buckets.take([("key", KEY), ("tenant", TENANT)]) == 4


async def test_buckets_are_independent_by_name(buckets):
    assert await takes(buckets, [("a", TENANT)], 2) == [None, 4]
    assert await buckets.take([("b", TENANT)]) is None
