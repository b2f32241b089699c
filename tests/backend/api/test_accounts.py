"""/v1/accounts: open, read with balances now and as of a past instant, list and search."""

from __future__ import annotations

import time
from datetime import datetime, timezone


def test_create_account_answers_with_the_contract_shape(api):
    r = api.post("/accounts", {"customer": "customer_ref", "currency": "JPY", "account_type": "operating"}, key="acct_live_042")
    assert r.status_code == 201
    body = r.json()
    assert body["id"].startswith("acct_") and body["status"] == "active" and body["event"] == "account.created"
    assert body["evidence"] == {"account_id": body["id"]}
    assert body["normal_balance"] == "credit" and body["allow_negative"] is False
    assert body["balances"] == {"posted": 0, "pending": 0, "available": 0}


def test_balance_as_of_a_past_instant(api):
    funding, customer = api.funded_account(1000)
    time.sleep(0.01)
    mark = datetime.now(timezone.utc).isoformat()
    time.sleep(0.01)
    api.post("/ledger-entries", {"debit": funding, "credit": customer, "amount_minor": 500})
    assert api.balances(customer)["posted"] == 1500
    past = api.balances(customer, as_of=mark)
    assert (past["posted"], past["available"]) == (1000, 1000)
    before_everything = api.balances(customer, as_of="2000-01-01T00:00:00Z")
    assert before_everything["posted"] == 0


def test_list_is_paged_newest_first_and_searchable(api):
    ids = [api.account(customer=f"shop-{i}") for i in range(5)]
    page = api.get("/accounts", params={"limit": 2}).json()
    assert page["total"] == 5 and [a["id"] for a in page["data"]] == ids[::-1][:2] and page["has_more"]
    last = api.get("/accounts", params={"limit": 2, "offset": 4}).json()
    assert [a["id"] for a in last["data"]] == [ids[0]] and not last["has_more"]
    found = api.get("/accounts", params={"q": "SHOP-3"}).json()
    assert [a["id"] for a in found["data"]] == [ids[3]]


def test_events_are_written_with_the_change(api):
    _, customer = api.funded_account(1000)
    events = api.get("/events", params={"limit": 100}).json()["data"]
    types = [e["type"] for e in events]
    assert types.count("account.created") == 2 and "ledger.entry.created" in types and "ledger.entry.posted" in types
    after = api.get("/events", params={"after": events[0]["id"]}).json()["data"]
    assert [e["id"] for e in after] == [e["id"] for e in events[1:]]
    assert api.get("/events", params={"after": "evt_nope"}).status_code == 404


def test_openapi_document_lists_the_ledger_endpoints(api_url):
    import httpx

    doc = httpx.get(api_url + "/v1/openapi.json").json()
    for path in ("/v1/accounts", "/v1/accounts/{account_id}", "/v1/ledger-entries", "/v1/ledger-entries/batch", "/v1/ledger-entries/{posting_id}/post", "/v1/ledger-entries/{posting_id}/void", "/v1/ledger-entries/{posting_id}/reverse", "/v1/holds", "/v1/holds/{hold_id}/capture", "/v1/holds/{hold_id}/release", "/v1/holds/{hold_id}/extend", "/v1/events"):
        assert path in doc["paths"], path
    assert "idempotency_key" in doc["paths"]["/v1/ledger-entries"]["post"]["requestBody"]["content"]["application/json"]["schema"]["properties"]
