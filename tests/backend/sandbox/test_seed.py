"""The demo tenant is seeded with a working runtime: providers on a route, a policy, the merchant's
webhook consumer, and intents that went through it (some waiting for review), all through the
API's own services."""

from __future__ import annotations

from collections import Counter

from backend.db import transactions
from backend.intents.views import list_intents
from backend.policy.versions import get_policy
from backend.routing.routes import list_routes
from backend.sandbox.seed import (
    CURRENCIES,
    DEMO_CONSUMER,
    DEMO_CONSUMER_EVENTS,
    DEMO_POLICY,
    DEMO_PROVIDERS,
    ensure_demo_tenant,
)
from backend.tenancy.scope import Scope
from backend.webhooks.endpoints import list_endpoints


def test_the_demo_tenant_has_providers_a_policy_and_intents_under_it(runtime):
    access = ensure_demo_tenant(runtime)
    scope = Scope(access.tenant_id, "sandbox")

    def read(session):
        return list_routes(session, scope), get_policy(session, scope), list_intents(session, scope, limit=100), list_endpoints(session, scope, runtime.now(), limit=10, offset=0)

    routes, policy, intents, endpoints = transactions.read(runtime.db, read)
    [consumer] = endpoints["data"]
    assert consumer["url"].endswith(f"/sandbox/receivers/{access.tenant_id}/{DEMO_CONSUMER}") and consumer["event_types"] == DEMO_CONSUMER_EVENTS
    assert [r["corridor"] for r in routes["data"]] == ["*"] and len(routes["data"][0]["providers"]) == len(DEMO_PROVIDERS)
    assert policy["version"] == 1 and policy["rules"]["review_threshold"] == DEMO_POLICY["review_threshold"]
    assert intents["total"] == 5 * len(CURRENCIES)
    statuses = Counter(i["status"] for i in intents["data"])
    # the high-value intent of each currency waits for a person; the others were ledgered (and a
    # running app's router may have taken them further since)
    assert statuses["review"] == len(CURRENCIES)
    assert statuses["rejected"] == 0
