"""The API's rate-limit rule: a request with a bearer key takes a token from its key's bucket
and from its tenant's bucket (both modes share it), or is refused with `429 rate_limited`.

It runs before anything else reads the body or touches the database, so a refused request
changes nothing. The key's bucket is named by the key's SHA-256 (no database needed); its tenant
is looked up once per key and process and then kept in a bounded table, so the hot path makes no
query. A key that authenticates nothing is limited by its key bucket alone.
"""

from __future__ import annotations

import asyncio
import hashlib
from typing import Awaitable, Callable

from redis.asyncio import Redis

from backend.db import transactions
from backend.db.engine import Database
from backend.errors import ZentraError
from backend.ratelimit.buckets import Charge, InProcessBuckets, Limit, TokenBuckets
from backend.ratelimit.redis_buckets import RedisBuckets
from backend.runtime import Runtime
from backend.tenancy.api_keys import authenticate

TenantLookup = Callable[[str], Awaitable[str | None]]

MAX_KNOWN_KEYS = 10_000
REDIS_TIMEOUT_SECONDS = 0.5


class ApiRateLimiter:
    """Per-key and per-tenant limits over one bucket store; `admit` from the event loop."""

    def __init__(self, buckets: TokenBuckets, key_limit: Limit, tenant_limit: Limit, tenant_of: TenantLookup):
        self._buckets = buckets
        self._key_limit = key_limit
        self._tenant_limit = tenant_limit
        self._tenant_of = tenant_of
        self._tenants: dict[str, str | None] = {}

    async def admit(self, raw_key: str) -> None:
        """Take this request's tokens, or raise `rate_limited` with its Retry-After."""
        digest = hashlib.sha256(raw_key.encode()).hexdigest()
        charges: list[Charge] = [(f"key:{digest}", self._key_limit)]
        tenant_id = await self._tenant(digest, raw_key)
        if tenant_id is not None:
            charges.append((f"tenant:{tenant_id}", self._tenant_limit))
        wait = await self._buckets.take(charges)
        if wait is not None:
            raise ZentraError("rate_limited", f"too many requests for this API key or its tenant; retry in {wait} s", retry_after=wait)

    async def admit_caller(self, caller: str) -> None:
        """Take a token from the bucket of a caller without an API key (a provider posting
        callbacks, named by its id), with the per-key limit: unauthenticated traffic is bounded
        before it can verify, record or change anything."""
        wait = await self._buckets.take([(f"caller:{caller}", self._key_limit)])
        if wait is not None:
            raise ZentraError("rate_limited", f"too many requests for {caller}; retry in {wait} s", retry_after=wait)

    async def _tenant(self, digest: str, raw_key: str) -> str | None:
        """The key's tenant, from the table or looked up once; the oldest entry makes room."""
        if digest in self._tenants:
            return self._tenants[digest]
        tenant_id = await self._tenant_of(raw_key)
        if len(self._tenants) >= MAX_KNOWN_KEYS:
            del self._tenants[next(iter(self._tenants))]
        self._tenants[digest] = tenant_id
        return tenant_id


def tenant_lookup(db: Database) -> TenantLookup:
    """The tenant of a valid key (None for any other), read on a worker thread.

    A key's tenant never changes, so the answer can be kept; a key revoked later is still refused
    by the authentication every request goes through.
    """

    def read(raw_key: str) -> str | None:
        try:
            return transactions.read(db, lambda s: authenticate(s, raw_key).tenant_id)
        except ZentraError:
            return None

    async def tenant_of(raw_key: str) -> str | None:
        return await asyncio.to_thread(read, raw_key)

    return tenant_of


def open_rate_limiter(runtime: Runtime) -> ApiRateLimiter:
    """The limiter the settings ask for: shared in Redis when ZENTRA_REDIS_URL is set (every
    worker draws from the same buckets), otherwise in this process."""
    settings = runtime.settings
    if settings.redis_url:
        client = Redis.from_url(settings.redis_url, socket_timeout=REDIS_TIMEOUT_SECONDS, socket_connect_timeout=REDIS_TIMEOUT_SECONDS)
        buckets: TokenBuckets = RedisBuckets(client)
    else:
        buckets = InProcessBuckets()
    return ApiRateLimiter(buckets, settings.rate_limit_key, settings.rate_limit_tenant, tenant_lookup(runtime.db))
