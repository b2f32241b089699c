"""The traffic worker: sends what the dial owes through the real intake, once per number, and
keeps customers funded."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor
from datetime import timedelta

from sqlalchemy import func, select

from backend.db import transactions
from backend.db.tables import Intent, SandboxTraffic
from backend.sandbox import traffic_worker
from backend.sandbox.traffic_dial import set_dial
from backend.tenancy.scope import Scope


def _book(api, currency: str = "USD", funds: int = 10_000_000) -> None:
    funding = api.account(currency, customer="treasury", account_type="funding", allow_negative=True)
    for i in range(3):
        customer = api.account(currency, customer=f"customer_{i}", account_type="customer_wallet")
        assert api.post("/ledger-entries", {"debit": funding, "credit": customer, "amount_minor": funds}).status_code == 201
    for i in range(2):
        api.account(currency, customer=f"merchant_{i}", account_type="merchant")


def _start(runtime, tenant, rate: int, seconds_ago: float) -> None:
    scope = Scope(tenant.tenant_id, "sandbox", actor="test")
    transactions.write(runtime.db, lambda s: set_dial(s, scope, {"running": True, "rate_per_minute": rate}, runtime.now() - timedelta(seconds=seconds_ago)))


def _stop(runtime, tenant) -> None:
    scope = Scope(tenant.tenant_id, "sandbox", actor="test")
    transactions.write(runtime.db, lambda s: set_dial(s, scope, {"running": False}, runtime.now()))


def _intents(runtime, tenant) -> list[Intent]:
    return transactions.read(runtime.db, lambda s: s.execute(select(Intent).where(Intent.tenant_id == tenant.tenant_id)).scalars().all())


def test_a_pass_sends_what_the_rate_owes_with_seeded_ids(runtime, tenant, api):
    _book(api)
    _start(runtime, tenant, rate=60, seconds_ago=5)
    try:
        outcomes = traffic_worker.generate_due(runtime)
    finally:
        _stop(runtime, tenant)
    made = _intents(runtime, tenant)
    assert 5 <= len(made) <= 6 and sum(outcomes.values()) == len(made)
    assert sorted(i.intent_id for i in made) == sorted(f"intent_sbx_7_{n}" for n in range(len(made)))
    assert {i.created_by for i in made} == {"sandbox_traffic"}


def test_two_workers_at_once_never_send_one_number_twice(runtime, tenant, api):
    _book(api)
    _start(runtime, tenant, rate=600, seconds_ago=3)
    try:
        with ThreadPoolExecutor(2) as pool:
            list(pool.map(lambda _: traffic_worker.generate_due(runtime), range(2)))
    finally:
        _stop(runtime, tenant)
    ids = [i.intent_id for i in _intents(runtime, tenant)]
    sent = transactions.read(runtime.db, lambda s: s.get(SandboxTraffic, tenant.tenant_id)).sequence
    assert len(ids) == len(set(ids)) == sent >= 29


def test_a_dial_left_running_while_down_resumes_at_its_rate_without_a_burst(runtime, tenant, api):
    _book(api)
    _start(runtime, tenant, rate=60, seconds_ago=3600)
    try:
        assert traffic_worker.generate_due(runtime) == {}
    finally:
        _stop(runtime, tenant)
    assert _intents(runtime, tenant) == []


def test_a_dry_customer_is_topped_up_from_its_funding_account(runtime, tenant, api):
    _book(api, funds=1)
    _start(runtime, tenant, rate=60, seconds_ago=3)
    try:
        outcomes = traffic_worker.generate_due(runtime)
    finally:
        _stop(runtime, tenant)
    assert "insufficient_funds" not in outcomes and sum(outcomes.values()) >= 3
    count = transactions.read(runtime.db, lambda s: s.execute(select(func.count()).select_from(Intent).where(Intent.tenant_id == tenant.tenant_id)).scalar_one())
    assert count == sum(outcomes.values())
