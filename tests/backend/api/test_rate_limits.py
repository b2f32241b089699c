"""Rate limits per API key and per tenant: `429 rate_limited` with a Retry-After from the refill
rate, checked before anything runs (a refused request changes nothing), one tenant never
throttling another, and every key of a tenant drawing on the tenant's bucket."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, replace

import httpx
import pytest
import redis
from redis.asyncio import Redis
from sqlalchemy import func, select

from backend.api.app import create_api
from backend.db import transactions
from backend.db.tables import Account, IdempotencyRecord, Posting
from backend.ratelimit.admission import ApiRateLimiter, tenant_lookup
from backend.ratelimit.buckets import InProcessBuckets, Limit
from backend.ratelimit.redis_buckets import PREFIX, RedisBuckets
from backend.tenancy.api_keys import issue_key
from tests.backend.ratelimit.support import ManualClock, drop_namespace, new_namespace
from tests.conftest import REDIS_URL, Api, make_tenant, serving

KEY_LIMIT = Limit(rate=0.5, burst=3)  # an empty key bucket: Retry-After 2
TENANT_LIMIT = Limit(rate=0.25, burst=5)  # an empty tenant bucket: Retry-After 4
NO_REDIS = "ZENTRA_TEST_REDIS_URL is not set: this test needs a real Redis server"


@dataclass
class Limited:
    url: str
    clock: ManualClock

    def refill(self) -> None:
        self.clock.advance(3600)


@pytest.fixture(scope="module", params=["in_process", "redis"])
def limited(request, runtime) -> Limited:
    """The API with tiny limits on a hand-moved clock, over each bucket store."""
    clock = ManualClock()
    prefix = new_namespace()
    if request.param == "redis":
        if not REDIS_URL:
            pytest.skip(NO_REDIS)
        buckets = RedisBuckets(Redis.from_url(REDIS_URL), prefix=prefix, clock=clock)
    else:
        buckets = InProcessBuckets(clock=clock)
    limiter = ApiRateLimiter(buckets, KEY_LIMIT, TENANT_LIMIT, tenant_lookup(runtime.db))
    with serving(create_api(runtime, limiter)) as url:
        yield Limited(url, clock)
    if REDIS_URL:
        drop_namespace(REDIS_URL, prefix)


def count(runtime, table, tenant_id: str, *where) -> int:
    query = select(func.count()).select_from(table).where(table.tenant_id == tenant_id, *where)
    return transactions.read(runtime.db, lambda s: s.execute(query).scalar_one())


def statuses(api: Api, n: int) -> list[int]:
    return [api.get("/accounts").status_code for _ in range(n)]


def assert_rate_limited(response: httpx.Response, retry_after: int) -> None:
    assert response.status_code == 429, response.text
    error = response.json()["error"]
    assert error["code"] == "rate_limited" and error["request_id"] == response.headers["Request-Id"]
    assert response.headers["Retry-After"] == str(retry_after)


def test_requests_beyond_the_burst_are_refused_until_a_token_refills(limited, runtime):
    api = Api(limited.url, make_tenant(runtime).sandbox_key)
    assert statuses(api, 3) == [200, 200, 200]
    assert_rate_limited(api.get("/accounts"), retry_after=2)
    limited.clock.advance(1)
    assert_rate_limited(api.get("/accounts"), retry_after=1)
    limited.clock.advance(1)
    assert statuses(api, 2) == [200, 429]


def test_a_refused_mutation_changes_nothing_and_its_key_runs_once_later(limited, runtime):
    tenant = make_tenant(runtime)
    api = Api(limited.url, tenant.sandbox_key)
    source, customer = api.funded_account(1000)  # three requests: the key's whole burst
    account_body = {"customer": "c", "currency": "USD", "account_type": "operating"}
    posting_body = {"debit": source, "credit": customer, "amount_minor": 5}
    assert_rate_limited(api.post("/accounts", account_body, key="acct-1"), retry_after=2)
    assert_rate_limited(api.post("/ledger-entries", posting_body, key="pst-1"), retry_after=2)
    assert count(runtime, Account, tenant.tenant_id) == 2
    assert count(runtime, Posting, tenant.tenant_id) == 1
    assert count(runtime, IdempotencyRecord, tenant.tenant_id, IdempotencyRecord.key.in_(["acct-1", "pst-1"])) == 0

    limited.refill()
    created = api.post("/accounts", account_body, key="acct-1")
    posted = api.post("/ledger-entries", posting_body, key="pst-1")
    assert created.status_code == posted.status_code == 201
    limited.refill()
    assert api.post("/accounts", account_body, key="acct-1").content == created.content
    assert api.post("/ledger-entries", posting_body, key="pst-1").content == posted.content
    assert count(runtime, Account, tenant.tenant_id) == 3
    assert count(runtime, Posting, tenant.tenant_id) == 2


def test_one_tenant_exhausting_its_bucket_does_not_throttle_another(limited, runtime):
    busy, quiet = make_tenant(runtime), make_tenant(runtime)
    assert statuses(Api(limited.url, busy.sandbox_key), 3) == [200, 200, 200]
    live = Api(limited.url, busy.live_key)  # both modes draw on the tenant's one bucket
    assert statuses(live, 2) == [200, 200]
    assert_rate_limited(live.get("/accounts"), retry_after=4)
    assert statuses(Api(limited.url, quiet.sandbox_key), 3) == [200, 200, 200]


def test_a_second_key_of_the_tenant_is_limited_by_the_tenant_bucket(limited, runtime):
    tenant = make_tenant(runtime)
    second_key = transactions.write(runtime.db, lambda s: issue_key(s, tenant.tenant_id, "sandbox"))
    first, second = Api(limited.url, tenant.sandbox_key), Api(limited.url, second_key)
    assert statuses(first, 3) == [200, 200, 200]
    assert statuses(second, 2) == [200, 200]  # its own bucket still holds a token...
    assert_rate_limited(second.get("/accounts"), retry_after=4)  # ...the tenant's does not
    limited.clock.advance(4)
    assert statuses(second, 2) == [200, 429]  # the refusal took nothing from the second key


def test_a_key_that_authenticates_nothing_is_limited_by_its_own_bucket(limited):
    stranger = Api(limited.url, "zk_test_not-a-key")
    assert statuses(stranger, 4) == [401, 401, 401, 429]


@pytest.mark.parametrize("store", ["in_process", "redis"])
def test_the_api_takes_its_limits_and_store_from_the_settings(runtime, store):
    """No injected clock here: the buckets run on the process's (or Redis server's) own time."""
    if store == "redis" and not REDIS_URL:
        pytest.skip(NO_REDIS)
    settings = replace(runtime.settings, redis_url=REDIS_URL if store == "redis" else None, rate_limit_key=Limit(rate=0.01, burst=2))
    tenant = make_tenant(runtime)
    with serving(create_api(replace(runtime, settings=settings))) as url:
        api = Api(url, tenant.sandbox_key)
        assert statuses(api, 2) == [200, 200]
        assert_rate_limited(api.get("/accounts"), retry_after=100)
    if store == "redis":  # the key's bucket is in Redis (the tenant's, with the default limit, may have expired already)
        with redis.Redis.from_url(REDIS_URL) as client:
            assert client.delete(f"{PREFIX}key:{hashlib.sha256(tenant.sandbox_key.encode()).hexdigest()}") == 1
            client.delete(f"{PREFIX}tenant:{tenant.tenant_id}")


def test_unsigned_callbacks_to_a_provider_are_bounded_before_they_are_verified(limited, runtime):
    """Callbacks carry no API key: their provider's bucket stops a flood before any signature
    check, audit record or state change."""
    api = Api(limited.url, make_tenant(runtime).sandbox_key)
    provider = api.post("/providers", {"name": "flood"}).json()["id"]
    limited.refill()
    forged = {"webhook-id": "msg_x", "webhook-timestamp": "1", "webhook-signature": "v1,AAAA"}
    answers = [httpx.post(f"{limited.url}/v1/providers/{provider}/callbacks", content=b"{}", headers=forged).status_code for _ in range(4)]
    assert answers == [400, 400, 400, 429]
