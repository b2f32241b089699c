"""Idempotency exactly as the contract says: scope, replay byte for byte, reuse, concurrency."""

from __future__ import annotations

import asyncio

import httpx
from sqlalchemy import func, select

from backend.db import transactions
from backend.db.tables import Posting


def posting_count(runtime, tenant_id: str) -> int:
    return transactions.read(runtime.db, lambda s: s.execute(select(func.count()).select_from(Posting).where(Posting.tenant_id == tenant_id)).scalar_one())


def test_replay_returns_the_first_response_byte_for_byte(api, runtime, tenant):
    _, customer = api.funded_account(1000)
    merchant = api.account()
    body = {"debit": customer, "credit": merchant, "amount_minor": 100}
    first = api.post("/ledger-entries", body, key="led_8172")
    before = posting_count(runtime, tenant.tenant_id)
    replay = api.post("/ledger-entries", body, key="led_8172")
    assert replay.status_code == first.status_code == 201
    assert replay.content == first.content
    assert replay.headers["Idempotent-Replayed"] == "true" and "Idempotent-Replayed" not in first.headers
    assert posting_count(runtime, tenant.tenant_id) == before
    assert api.balances(merchant)["posted"] == 100


def test_header_key_is_the_same_key_as_the_body_key(api):
    _, customer = api.funded_account(1000)
    merchant = api.account()
    body = {"debit": customer, "credit": merchant, "amount_minor": 100}
    first = api.client.post("/ledger-entries", json=body, headers={"Idempotency-Key": "hdr_1"})
    replay = api.post("/ledger-entries", body, key="hdr_1")
    assert first.status_code == 201 and replay.content == first.content
    clash = api.client.post("/ledger-entries", json={**body, "idempotency_key": "a"}, headers={"Idempotency-Key": "b"})
    assert clash.json()["error"]["param"] == "idempotency_key"


def test_same_key_with_a_different_payload_is_refused(api):
    _, customer = api.funded_account(1000)
    merchant = api.account()
    api.post("/ledger-entries", {"debit": customer, "credit": merchant, "amount_minor": 100}, key="k1")
    r = api.post("/ledger-entries", {"debit": customer, "credit": merchant, "amount_minor": 101}, key="k1")
    assert r.status_code == 409 and r.json()["error"]["code"] == "idempotency_key_reused"
    assert api.balances(merchant)["posted"] == 100


def test_a_used_key_with_a_malformed_body_is_reused_on_every_endpoint(api):
    _, customer = api.funded_account(1000)
    merchant = api.account()
    api.post("/ledger-entries", {"debit": customer, "credit": merchant, "amount_minor": 100}, key="K1")
    posting = api.post("/ledger-entries", {"debit": customer, "credit": merchant, "amount_minor": "100"}, key="K1")
    api.post("/accounts", {"customer": "c", "currency": "USD", "account_type": "t"}, key="K2")
    account = api.post("/accounts", {"customer": "c", "currency": "usd", "account_type": "t"}, key="K2")
    assert posting.status_code == account.status_code == 409
    assert posting.json()["error"]["code"] == account.json()["error"]["code"] == "idempotency_key_reused"


def test_a_refusal_is_replayed_too_but_a_malformed_request_is_not_kept(api):
    _, customer = api.funded_account(100)
    merchant = api.account()
    body = {"debit": customer, "credit": merchant, "amount_minor": 500}
    first = api.post("/ledger-entries", body, key="k2")
    assert first.json()["error"]["code"] == "insufficient_funds"
    api.post("/ledger-entries", {"debit": api.account(allow_negative=True), "credit": customer, "amount_minor": 1000})
    replay = api.post("/ledger-entries", body, key="k2")
    assert replay.content == first.content and replay.headers["Idempotent-Replayed"] == "true"
    bad = api.post("/ledger-entries", {**body, "amount_minor": 1.5}, key="k3")
    assert bad.json()["error"]["code"] == "amount_not_integer"
    fixed = api.post("/ledger-entries", {**body, "amount_minor": 5}, key="k3")
    assert fixed.status_code == 201


def test_key_scope_is_tenant_mode_and_endpoint(api_url, tenant, runtime):
    from tests.conftest import Api, make_tenant

    sandbox, live, other = Api(api_url, tenant.sandbox_key), Api(api_url, tenant.live_key), Api(api_url, make_tenant(runtime).sandbox_key)
    ids = {client.post("/accounts", {"customer": "c", "currency": "USD", "account_type": "t"}, key="shared").json()["id"] for client in (sandbox, live, other)}
    assert len(ids) == 3
    hold_key_on_other_endpoint = sandbox.post("/ledger-entries", {"debit": "acct_x", "credit": "acct_y", "amount_minor": 1}, key="shared")
    assert hold_key_on_other_endpoint.json()["error"]["code"] == "unknown_account"


def test_fifty_concurrent_duplicates_make_exactly_one_posting(api, api_url, tenant, runtime):
    _, customer = api.funded_account(10_000)
    merchant = api.account()
    body = {"debit": customer, "credit": merchant, "amount_minor": 700, "idempotency_key": "storm"}
    before = posting_count(runtime, tenant.tenant_id)

    async def storm() -> list[httpx.Response]:
        headers = {"Authorization": f"Bearer {tenant.sandbox_key}"}
        async with httpx.AsyncClient(base_url=api_url + "/v1", headers=headers, timeout=60, limits=httpx.Limits(max_connections=50)) as client:
            return await asyncio.gather(*(client.post("/ledger-entries", json=body) for _ in range(50)))

    responses = asyncio.run(storm())
    assert posting_count(runtime, tenant.tenant_id) == before + 1
    assert api.balances(merchant)["posted"] == 700
    created = [r for r in responses if r.status_code == 201]
    in_progress = [r for r in responses if r.status_code == 409]
    assert len(created) + len(in_progress) == 50
    assert len({r.json()["posting_id"] for r in created}) == 1
    assert sum(1 for r in created if "Idempotent-Replayed" not in r.headers) == 1
    assert all(r.json()["error"]["code"] == "request_in_progress" and r.headers["Retry-After"] for r in in_progress)
