"""The demo's screening seed: its list, its customers' KYC, and what each shows on an intent."""

from __future__ import annotations

from backend.db import transactions
from backend.screening.seed import seed_screening


def test_the_demo_seed_refuses_a_rejected_customer_holds_a_pending_one_and_a_listed_merchant(api, runtime, tenant):
    transactions.write(runtime.db, lambda s: seed_screening(s, tenant.sandbox, runtime.now()))
    [listed] = api.get("/screening/lists").json()["data"]
    assert (listed["name"], listed["entry_count"]) == ("Demo sanctions", 8)
    assert api.get("/customers", params={"limit": 100}).json()["total"] == 4 * (6 + 3)
    funding = api.account(account_type="funding", allow_negative=True)

    def pay(source_customer: str, merchant_customer: str) -> dict:
        source = api.account(customer=source_customer)
        assert api.post("/ledger-entries", {"debit": funding, "credit": source, "amount_minor": 10_000}).status_code == 201
        merchant = api.account(customer=merchant_customer, account_type="merchant")
        return api.post("/runtime/intents", {"kind": "payment", "amount_minor": 1_000, "currency": "USD", "source": source, "destination": merchant}).json()

    assert pay("customer_usd_00", "merchant_usd_00")["status"] == "ledgered"
    assert pay("customer_usd_05", "merchant_usd_00")["failure"]["code"] == "kyc_rejected"
    assert pay("customer_eur_05", "merchant_usd_00")["policy"]["reason"] == "kyc_unverified"
    held = pay("customer_usd_01", "merchant_gbp_02")
    assert held["policy"]["reason"] == "screening_hit"
    [match] = api.get("/screening/results", params={"intent": held["intent_id"]}).json()["data"]
    assert (match["screened_name"], match["matched_name"], match["score"]) == ("Wolkov Shipping Ltd", "Volkov Shipping Limited", 95)
