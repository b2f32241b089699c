"""Rails for intent tests: a funded customer, a merchant, sandbox providers on a route, a policy,
and the workers (router, sealer, evidencer) driven step by step."""

from __future__ import annotations

import asyncio
import ssl
import time
from dataclasses import dataclass
from datetime import timedelta

import httpx
from sqlalchemy import func, select

from backend.audit.sealer import seal
from backend.db import transactions
from backend.db.tables import Posting
from backend.intents import evidencer, router
from backend.outbound.connections import Connections
from backend.policy.versions import publish_policy
from backend.runtime import Runtime
from backend.tenancy.scope import Scope
from tests.conftest import Api

FUNDS = 1_000_000


@dataclass
class Rails:
    api: Api
    customer: str
    merchant: str
    providers: list[dict]


def sandbox_provider(api: Api, name: str, **behaviour) -> dict:
    r = api.post("/providers", {"name": name, "kind": "sandbox", "behaviour": {"latency_ms": 0, **behaviour}})
    assert r.status_code == 201, r.text
    return r.json()


def route(api: Api, providers: list[dict], corridor: str = "*") -> None:
    r = api.post("/routes", {"corridor": corridor, "providers": [p["id"] for p in providers]})
    assert r.status_code == 200, r.text


def rails(api: Api, *behaviours: dict) -> Rails:
    """A customer holding `FUNDS` USD, a merchant, and one sandbox provider per behaviour on the
    `*` route, in that order."""
    _, customer = api.funded_account(FUNDS)
    merchant = api.account("USD", customer="Merchant Ltd")
    providers = [sandbox_provider(api, f"Sandbox {i + 1}", **b) for i, b in enumerate(behaviours or ({},))]
    route(api, providers)
    return Rails(api, customer, merchant, providers)


def payment(rails: Rails, amount: int, key: str | None = None, **extra) -> httpx.Response:
    """A payment from the rails' customer to its merchant (`key`: the idempotency key)."""
    body = {"kind": "payment", "amount_minor": amount, "currency": "USD", "source": rails.customer, "destination": rails.merchant, "scope": "workspace_scope", **extra}
    return rails.api.post("/runtime/intents", body, key=key)


def set_policy(runtime: Runtime, scope: Scope, rules: dict) -> dict:
    return transactions.write(runtime.db, lambda s: publish_policy(s, scope, {"rules": rules}, runtime.now()))


def route_due(runtime: Runtime) -> int:
    """One pass of the routing worker, over real HTTP to the sandbox providers."""
    async def once() -> int:
        connections = Connections(ssl.create_default_context(), keep=router.OFFERS_IN_FLIGHT)
        try:
            return await router.route_due(runtime, connections)
        finally:
            connections.close()

    return asyncio.run(once())


def close_evidence(runtime: Runtime, later: timedelta = timedelta(0)) -> None:
    """Seal the audit chains, then one pass of the evidence worker (no stream in these tests),
    `later` than now (a retrying intent is looked at again after `evidencer.RETRY_CHECK`)."""
    seal(runtime.db)
    transactions.write(runtime.db, lambda s: evidencer.evidence_due(s, runtime.now() + later, stream=False))


def wait_for(api: Api, intent_id: str, *statuses: str, timeout: float = 20.0) -> dict:
    """Poll the intent until it reaches one of `statuses` (callbacks arrive over HTTP)."""
    deadline = time.monotonic() + timeout
    while True:
        intent = api.get(f"/runtime/intents/{intent_id}").json()
        if intent.get("status") in statuses:
            return intent
        assert time.monotonic() < deadline, f"intent {intent_id} stuck in {intent.get('status')}, wanted {statuses}"
        time.sleep(0.05)


def settle_to_evidence(runtime: Runtime, api: Api, intent_id: str) -> dict:
    """Route, wait for the provider's callback, then close the evidence."""
    route_due(runtime)
    wait_for(api, intent_id, "synchronized", "failed")
    close_evidence(runtime)
    close_evidence(runtime)
    return api.get(f"/runtime/intents/{intent_id}").json()


def postings_of(runtime: Runtime, intent_id: str) -> int:
    """Postings that carry the intent's id as correlation: its ledger effects."""
    query = select(func.count()).select_from(Posting).where(Posting.correlation_id == intent_id)
    return transactions.read(runtime.db, lambda s: s.execute(query).scalar_one())
