"""Every object lives in exactly one tenant and mode: from anywhere else it is `404 not_found`
(or `unknown_account` where it is named inside a body), and nothing changes."""

from __future__ import annotations

import pytest

from tests.conftest import Api, make_tenant


@pytest.fixture
def world(api_url, runtime, tenant):
    """Objects of one tenant's sandbox, and clients for its live mode and for another tenant."""
    owner = Api(api_url, tenant.sandbox_key)
    funding, customer = owner.funded_account(10_000)
    merchant = owner.account()
    posting = owner.post("/ledger-entries", {"debit": customer, "credit": merchant, "amount_minor": 100}).json()["posting_id"]
    pending = owner.post("/ledger-entries", {"debit": customer, "credit": merchant, "amount_minor": 100, "pending": True}).json()["posting_id"]
    hold = owner.post("/holds", {"account": customer, "amount_minor": 50, "ttl_seconds": 600, "reason": "r", "source_request": "s"}).json()["id"]
    intruders = {"live mode": Api(api_url, tenant.live_key), "other tenant": Api(api_url, make_tenant(runtime, "Other").sandbox_key)}
    return owner, intruders, {"customer": customer, "merchant": merchant, "posting": posting, "pending": pending, "hold": hold}


def test_reads_of_another_scope_are_not_found(world):
    owner, intruders, ids = world
    for intruder in intruders.values():
        for path in (f"/accounts/{ids['customer']}", f"/ledger-entries/{ids['posting']}", f"/holds/{ids['hold']}"):
            r = intruder.get(path)
            assert r.status_code == 404 and r.json()["error"]["code"] == "not_found", path
        assert intruder.get("/ledger-entries", params={"account": ids["customer"]}).status_code == 404
        assert intruder.get("/accounts").json()["total"] == 0
        assert intruder.get("/holds").json()["total"] == 0
        assert intruder.get("/events").json()["data"] == []


def test_mutations_from_another_scope_change_nothing(world):
    owner, intruders, ids = world
    before = {k: owner.balances(ids[k]) for k in ("customer", "merchant")}
    for intruder in intruders.values():
        own = intruder.account(allow_negative=True)
        attempts = [
            intruder.post("/ledger-entries", {"debit": ids["customer"], "credit": own, "amount_minor": 1}),
            intruder.post("/ledger-entries", {"debit": own, "credit": ids["customer"], "amount_minor": 1}),
            intruder.post("/ledger-entries/batch", {"postings": [{"debit": ids["customer"], "credit": own, "amount_minor": 1}]}),
            intruder.post("/holds", {"account": ids["customer"], "amount_minor": 1, "ttl_seconds": 60, "reason": "r", "source_request": "s"}),
        ]
        assert [a.json()["error"]["code"] for a in attempts] == ["unknown_account"] * 4
        lifecycle = [
            intruder.post(f"/ledger-entries/{ids['pending']}/post", {}),
            intruder.post(f"/ledger-entries/{ids['pending']}/void", {}),
            intruder.post(f"/ledger-entries/{ids['posting']}/reverse", {"reason": "x"}),
            intruder.post(f"/holds/{ids['hold']}/capture", {"reason": "x", "source_request": "s"}),
            intruder.post(f"/holds/{ids['hold']}/release", {"reason": "x", "source_request": "s"}),
            intruder.post(f"/holds/{ids['hold']}/extend", {"ttl_seconds": 900, "reason": "x", "source_request": "s"}),
        ]
        assert [(a.status_code, a.json()["error"]["code"]) for a in lifecycle] == [(404, "not_found")] * 6
    assert {k: owner.balances(ids[k]) for k in ("customer", "merchant")} == before
    assert owner.get(f"/ledger-entries/{ids['pending']}").json()["status"] == "pending"
    assert owner.get(f"/holds/{ids['hold']}").json()["status"] == "active"


@pytest.mark.parametrize("header", [None, "Bearer", "Bearer zk_test_forged", "Basic abc", "Bearer  zk_live_"])
def test_missing_or_forged_keys_are_unauthorized(api_url, header):
    import httpx

    headers = {"Authorization": header} if header is not None else {}
    r = httpx.get(api_url + "/v1/accounts", headers=headers)
    assert r.status_code == 401 and r.json()["error"]["code"] == "unauthorized"
    r = httpx.post(api_url + "/v1/accounts", headers=headers, json={"customer": "c", "currency": "USD", "account_type": "t", "idempotency_key": "k"})
    assert r.status_code == 401
