"""The Redis store: one script for every worker, server time by default, keys that expire when
idle, and requests admitted (with a warning) when Redis cannot be reached."""

from __future__ import annotations

import asyncio
import logging

import pytest
from redis.asyncio import Redis

from backend.ratelimit.buckets import Limit
from backend.ratelimit.redis_buckets import RedisBuckets
from tests.backend.ratelimit.support import ManualClock, drop_namespace, new_namespace
from tests.conftest import free_port


@pytest.fixture
async def client(redis_url):
    client = Redis.from_url(redis_url)
    yield client
    await client.aclose()


@pytest.fixture
def prefix(redis_url):
    prefix = new_namespace()
    yield prefix
    drop_namespace(redis_url, prefix)


async def test_the_server_clock_is_used_when_none_is_given(client, prefix):
    buckets = RedisBuckets(client, prefix=prefix)
    limit = Limit(rate=0.01, burst=2)
    assert [await buckets.take([("k", limit)]) for _ in range(3)] == [None, None, 100]


async def test_keys_are_namespaced_and_expire_once_full_again(client, prefix):
    buckets = RedisBuckets(client, prefix=prefix)
    await buckets.take([("key:abc", Limit(rate=2, burst=10)), ("tenant:t1", Limit(rate=100, burst=10))])
    assert sorted(await client.keys(prefix + "*")) == [f"{prefix}key:abc".encode(), f"{prefix}tenant:t1".encode()]
    assert 4_000 < await client.pttl(prefix + "key:abc") <= 5_000  # 10 tokens at 2/s
    assert 0 < await client.pttl(prefix + "tenant:t1") <= 100


async def test_concurrent_takes_from_many_connections_never_exceed_the_burst(client, prefix):
    buckets = RedisBuckets(client, prefix=prefix, clock=ManualClock())
    limit = Limit(rate=1, burst=20)
    results = await asyncio.gather(*(buckets.take([("key", limit), ("tenant", limit)]) for _ in range(100)))
    assert results.count(None) == 20


async def test_an_unreachable_redis_admits_and_warns(caplog):
    client = Redis.from_url(f"redis://127.0.0.1:{free_port()}/0", socket_connect_timeout=0.5)
    buckets = RedisBuckets(client, prefix=new_namespace())
    with caplog.at_level(logging.WARNING, logger="zentra.ratelimit"):
        assert await buckets.take([("k", Limit(rate=1, burst=1))]) is None
        assert await buckets.take([("k", Limit(rate=1, burst=1))]) is None
    warnings = [r.getMessage() for r in caplog.records if r.name == "zentra.ratelimit"]
    assert len(warnings) == 1 and "Redis is unreachable" in warnings[0]  # once, not per request
    await client.aclose()
