"""POST /v1/ledger-entries and its lifecycle endpoints, over HTTP."""

from __future__ import annotations

import time
from datetime import datetime, timedelta, timezone


def test_two_leg_posting_moves_posted_balances_and_carries_evidence(api):
    source, customer = api.funded_account(125000)
    merchant = api.account()
    r = api.post("/ledger-entries", {"debit": customer, "credit": merchant, "amount_minor": 25000, "correlation_id": "order_1"})
    assert r.status_code == 201
    body = r.json()
    assert body["status"] == "posted" and body["event"] == "ledger.entry.created"
    assert body["evidence"]["debit_account"] == customer and body["evidence"]["credit_account"] == merchant
    assert body["evidence"]["minor_units"] == 25000 and body["evidence"]["correlation_id"] == "order_1"
    assert len(body["evidence"]["entry_hash"]) == 64
    assert api.balances(customer) == {"posted": 100000, "pending": 0, "available": 100000}
    assert api.balances(merchant) == {"posted": 25000, "pending": 0, "available": 25000}
    assert api.balances(source)["posted"] == -125000


def test_metadata_is_in_the_answer_the_read_and_the_event(api):
    funding, customer = api.funded_account(100)
    created = api.post("/ledger-entries", {"debit": funding, "credit": customer, "amount_minor": 5, "metadata": {"order": "A-1", "n": 2}}).json()
    assert created["metadata"] == {"order": "A-1", "n": 2}
    assert api.get(f"/ledger-entries/{created['posting_id']}").json()["metadata"] == created["metadata"]
    events = api.get("/events", params={"limit": 100}).json()["data"]
    [event] = [e for e in events if e["type"] == "ledger.entry.created" and e["object"] == created["posting_id"]]
    assert event["data"]["metadata"] == created["metadata"]


def test_multi_leg_posting_splits_one_debit_over_several_credits(api):
    _, customer = api.funded_account(10000)
    fee, merchant = api.account(), api.account()
    lines = [
        {"account": customer, "direction": "debit", "amount_minor": 10000},
        {"account": merchant, "direction": "credit", "amount_minor": 9700},
        {"account": fee, "direction": "credit", "amount_minor": 300},
    ]
    r = api.post("/ledger-entries", {"lines": lines})
    assert r.status_code == 201, r.text
    assert r.json()["evidence"]["credit_account"] == [merchant, fee]
    assert api.balances(merchant)["posted"] == 9700 and api.balances(fee)["posted"] == 300
    assert api.balances(customer)["posted"] == 0


def test_unbalanced_lines_are_refused(api):
    _, customer = api.funded_account(10000)
    merchant = api.account()
    lines = [{"account": customer, "direction": "debit", "amount_minor": 100}, {"account": merchant, "direction": "credit", "amount_minor": 99}]
    r = api.post("/ledger-entries", {"lines": lines})
    assert r.status_code == 400 and r.json()["error"]["code"] == "validation_error"
    assert api.balances(customer)["posted"] == 10000


def test_pending_posting_lowers_available_then_posts_in_part_once(api):
    _, customer = api.funded_account(10000)
    merchant = api.account()
    pending = api.post("/ledger-entries", {"debit": customer, "credit": merchant, "amount_minor": 4000, "pending": True}).json()
    assert pending["status"] == "pending"
    assert api.balances(customer) == {"posted": 10000, "pending": -4000, "available": 6000}
    assert api.balances(merchant) == {"posted": 0, "pending": 4000, "available": 0}
    r = api.post(f"/ledger-entries/{pending['posting_id']}/post", {"amount_minor": 2500})
    assert r.status_code == 200 and r.json()["status"] == "posted" and r.json()["posted_amount_minor"] == 2500
    assert api.balances(customer) == {"posted": 7500, "pending": 0, "available": 7500}
    assert api.balances(merchant) == {"posted": 2500, "pending": 0, "available": 2500}
    again = api.post(f"/ledger-entries/{pending['posting_id']}/post", {})
    assert again.status_code == 409 and again.json()["error"]["code"] == "invalid_state_transition"
    void = api.post(f"/ledger-entries/{pending['posting_id']}/void", {})
    assert void.json()["error"]["code"] == "invalid_state_transition"


def test_void_releases_a_pending_posting_once(api):
    _, customer = api.funded_account(10000)
    merchant = api.account()
    pending = api.post("/ledger-entries", {"debit": customer, "credit": merchant, "amount_minor": 4000, "pending": True}).json()
    r = api.post(f"/ledger-entries/{pending['posting_id']}/void", {"reason": "customer cancelled"})
    assert r.status_code == 200 and r.json()["status"] == "voided"
    assert api.balances(customer) == {"posted": 10000, "pending": 0, "available": 10000}
    assert api.post(f"/ledger-entries/{pending['posting_id']}/post", {}).json()["error"]["code"] == "invalid_state_transition"


def test_posting_more_than_pending_is_refused(api):
    _, customer = api.funded_account(10000)
    merchant = api.account()
    pending = api.post("/ledger-entries", {"debit": customer, "credit": merchant, "amount_minor": 4000, "pending": True}).json()
    r = api.post(f"/ledger-entries/{pending['posting_id']}/post", {"amount_minor": 4001})
    assert r.json()["error"]["code"] == "amount_out_of_range"
    assert api.get(f"/ledger-entries/{pending['posting_id']}").json()["status"] == "pending"


def test_expired_pending_posting_cannot_be_posted_and_frees_funds(api, runtime):
    _, customer = api.funded_account(10000)
    merchant = api.account()
    expires = (datetime.now(timezone.utc) + timedelta(seconds=1)).isoformat()
    pending = api.post("/ledger-entries", {"debit": customer, "credit": merchant, "amount_minor": 4000, "pending": True, "expires_at": expires}).json()
    assert api.balances(customer)["available"] == 6000
    time.sleep(1.2)
    assert api.balances(customer) == {"posted": 10000, "pending": 0, "available": 10000}
    r = api.post(f"/ledger-entries/{pending['posting_id']}/post", {})
    assert r.status_code == 409 and r.json()["error"]["code"] == "hold_expired"
    spend = api.post("/ledger-entries", {"debit": customer, "credit": merchant, "amount_minor": 10000})
    assert spend.status_code == 201, spend.text
    assert api.get(f"/ledger-entries/{pending['posting_id']}").json()["status"] == "expired"


def test_reversal_is_a_new_linked_posting_and_happens_once(api):
    _, customer = api.funded_account(10000)
    merchant = api.account()
    original = api.post("/ledger-entries", {"debit": customer, "credit": merchant, "amount_minor": 3000}).json()
    r = api.post(f"/ledger-entries/{original['posting_id']}/reverse", {"reason": "duplicate charge"})
    assert r.status_code == 201
    reversal = r.json()
    assert reversal["kind"] == "reversal" and reversal["reverses_posting_id"] == original["posting_id"]
    assert reversal["evidence"]["debit_account"] == merchant and reversal["evidence"]["credit_account"] == customer
    assert api.balances(customer)["posted"] == 10000 and api.balances(merchant)["posted"] == 0
    again = api.post(f"/ledger-entries/{original['posting_id']}/reverse", {"reason": "again"})
    assert again.status_code == 409 and again.json()["error"]["code"] == "invalid_state_transition"
    assert api.get(f"/ledger-entries/{original['posting_id']}").json()["status"] == "posted"


def test_reversal_that_would_overdraw_is_refused(api):
    _, customer = api.funded_account(10000)
    merchant, other = api.account(), api.account()
    original = api.post("/ledger-entries", {"debit": customer, "credit": merchant, "amount_minor": 3000}).json()
    api.post("/ledger-entries", {"debit": merchant, "credit": other, "amount_minor": 3000})
    r = api.post(f"/ledger-entries/{original['posting_id']}/reverse", {"reason": "chargeback"})
    assert r.status_code == 422 and r.json()["error"]["code"] == "insufficient_funds"


def test_batch_atomic_applies_all_or_nothing(api):
    _, customer = api.funded_account(1000)
    merchant = api.account()
    ok = {"debit": customer, "credit": merchant, "amount_minor": 600}
    r = api.post("/ledger-entries/batch", {"postings": [ok, ok], "atomic": True})
    assert r.status_code == 422 and r.json()["error"]["code"] == "insufficient_funds"
    assert api.balances(customer)["posted"] == 1000
    r = api.post("/ledger-entries/batch", {"postings": [ok, ok], "atomic": False})
    assert r.status_code == 200
    results = r.json()["results"]
    assert [x["status"] for x in results] == [201, 422]
    assert results[1]["error"]["code"] == "insufficient_funds"
    assert api.balances(customer)["posted"] == 400


def test_account_postings_and_history_are_paged(api, runtime, tenant):
    from backend.db import transactions
    from backend.ledger.queries import balance_history

    _, customer = api.funded_account(10000)
    merchant = api.account()
    for _ in range(3):
        api.post("/ledger-entries", {"debit": customer, "credit": merchant, "amount_minor": 1000})
    page = api.get("/ledger-entries", params={"account": customer, "limit": 2}).json()
    assert page["total"] == 4 and len(page["data"]) == 2 and page["has_more"]
    history = transactions.read(runtime.db, lambda s: balance_history(s, tenant.sandbox, customer, limit=10))
    assert [h["posted"] for h in history["data"]] == [7000, 8000, 9000, 10000]
