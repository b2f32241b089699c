"""Taking intents in over HTTP: the contract's answer, the policy's three outcomes, funds, and every
refusal typed and changing nothing."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor

import pytest
from sqlalchemy import func, select

from backend.audit.sealer import seal
from backend.db import transactions
from backend.db.tables import AuditRecord, Intent
from backend.intents.views import table_page
from tests.backend.intents.support import FUNDS, payment, rails, set_policy
from tests.conftest import Api, make_tenant


def intents_in(runtime, tenant_id: str) -> int:
    return transactions.read(runtime.db, lambda s: s.execute(select(func.count()).select_from(Intent).where(Intent.tenant_id == tenant_id)).scalar_one())


def test_an_accepted_payment_is_controlled_and_ledgered_with_its_funds_reserved(api, runtime, tenant):
    rails_ = rails(api)
    r = payment(rails_, 2_480_000 // 10, intent_id="intent_91A8")
    assert r.status_code == 201, r.text
    intent = r.json()
    assert intent["intent_id"] == "intent_91A8"
    assert intent["status"] == "ledgered"
    assert [s["state"] for s in intent["states"]] == ["accepted", "controlled", "ledgered"]
    assert [s["event"] for s in intent["states"]] == ["intent.accepted", "policy.accepted", "ledger.reserved"]
    assert intent["ledger_state"] == intent["postings"][0]
    assert intent["event_stream"] == "pending" and intent["audit_packet"] == "sealing"
    assert "limit_check.passed" in intent["policy"]["labels"]
    assert intent["policy"]["policy_version"] == 0
    balances = api.balances(rails_.customer)
    assert (balances["posted"], balances["available"]) == (FUNDS, FUNDS - 248_000)
    hold = api.get(f"/holds/{intent['hold_id']}").json()
    assert (hold["status"], hold["source_request"]) == ("active", "intent_91A8")
    events = [e["type"] for e in api.get("/events", params={"limit": 100}).json()["data"] if e["object"] == "intent_91A8"]
    assert events == ["intent.accepted", "policy.accepted", "ledger.reserved"]
    actions = transactions.read(runtime.db, lambda s: s.execute(select(AuditRecord.action).where(AuditRecord.chain == tenant.tenant_id, AuditRecord.object_id == "intent_91A8").order_by(AuditRecord.id)).scalars().all())
    assert actions == ["intent.accepted", "intent.controlled", "intent.ledgered", "intent.create"]


def test_a_transfer_is_an_intent_between_two_accounts(api):
    rails_ = rails(api)
    r = api.post("/transfers", {"source_account": rails_.customer, "destination_account": rails_.merchant, "amount_minor": 5_000, "currency": "USD"})
    assert r.status_code == 201, r.text
    assert (r.json()["kind"], r.json()["status"]) == ("transfer", "ledgered")
    assert r.json()["intent_id"].startswith("intent_")


def test_a_payout_leaves_the_ledger_towards_an_outside_party(api):
    rails_ = rails(api)
    r = api.post("/runtime/intents", {"kind": "payout", "amount_minor": 7_000, "currency": "USD", "source": rails_.customer, "destination": "GB29NWBK60161331926819", "counterparty": "Jane Doe", "corridor": "US-GB"})
    assert r.status_code == 201, r.text
    assert (r.json()["counterparty"], r.json()["corridor"]) == ("Jane Doe", "US-GB")


def test_policy_rejects_a_blocked_counterparty_before_any_money_moves(api, runtime, tenant):
    set_policy(runtime, tenant.sandbox, {"blocked_counterparties": ["Evil Corp"]})
    rails_ = rails(api)
    r = api.post("/runtime/intents", {"kind": "payout", "amount_minor": 7_000, "currency": "USD", "source": rails_.customer, "destination": "acct-at-other-bank", "counterparty": "  evil   corp "})
    assert r.status_code == 201, r.text
    assert (r.json()["status"], r.json()["failure"]["code"]) == ("rejected", "counterparty_blocked")
    assert r.json()["hold_id"] is None
    assert api.balances(rails_.customer)["available"] == FUNDS


def test_an_intent_its_source_cannot_cover_fails_and_reserves_nothing(api, runtime, tenant):
    set_policy(runtime, tenant.sandbox, {"review_threshold": {"*": 10 * FUNDS}})
    rails_ = rails(api)
    r = payment(rails_, FUNDS + 1)
    assert r.status_code == 201, r.text
    assert (r.json()["status"], r.json()["failure"]["code"]) == ("failed", "insufficient_funds")
    assert [s["state"] for s in r.json()["states"]] == ["accepted", "controlled", "failed"]
    assert api.balances(rails_.customer)["available"] == FUNDS


def test_the_same_idempotency_key_replays_the_first_answer(api, runtime, tenant):
    rails_ = rails(api)
    first = payment(rails_, 1_000, key="pay-1")
    again = payment(rails_, 1_000, key="pay-1")
    assert again.headers.get("Idempotent-Replayed") == "true"
    assert again.content == first.content
    assert intents_in(runtime, tenant.tenant_id) == 1


def test_concurrent_duplicates_make_one_intent(api, runtime, tenant):
    rails_ = rails(api)
    with ThreadPoolExecutor(8) as pool:
        answers = list(pool.map(lambda _: payment(rails_, 1_000, key="same-key"), range(8)))
    assert {a.status_code for a in answers} <= {201, 409}
    assert intents_in(runtime, tenant.tenant_id) == 1
    assert api.balances(rails_.customer)["available"] == FUNDS - 1_000


def test_a_public_intent_id_is_unique_within_a_tenant_but_not_across_tenants(api, api_url, runtime):
    rails_ = rails(api)
    assert payment(rails_, 1_000, intent_id="intent_same").status_code == 201
    reused = payment(rails_, 1_000, intent_id="intent_same")
    assert (reused.status_code, reused.json()["error"]["param"]) == (400, "intent_id")
    other = Api(api_url, make_tenant(runtime, "Other").sandbox_key)
    assert payment(rails(other), 1_000, intent_id="intent_same").status_code == 201


BAD = [
    ({"amount_minor": 10.5}, "amount_not_integer", "amount_minor"),
    ({"amount_minor": "100"}, "amount_not_integer", "amount_minor"),
    ({"amount_minor": True}, "amount_not_integer", "amount_minor"),
    ({"amount_minor": 0}, "amount_out_of_range", "amount_minor"),
    ({"amount_minor": 2**63}, "amount_out_of_range", "amount_minor"),
    ({"currency": "XXY"}, "unknown_currency", "currency"),
    ({"currency": "EUR"}, "currency_mismatch", "source"),
    ({"kind": "loan"}, "validation_error", "kind"),
    ({"intent_id": "042"}, "validation_error", "intent_id"),
    ({"corridor": "usa-gb"}, "validation_error", "corridor"),
    ({"money_model": "floats"}, "validation_error", "money_model"),
    ({"primitives": ["ledger"]}, "validation_error", "primitives"),
    ({"source": "acct_missing"}, "unknown_account", "source"),
    ({"destination": "acct_missing"}, "unknown_account", "destination"),
    ({"surprise": 1}, "validation_error", "surprise"),
]


@pytest.mark.parametrize(("change", "code", "param"), BAD)
def test_bad_input_is_refused_with_its_typed_error_and_changes_nothing(api, runtime, tenant, change, code, param):
    rails_ = rails(api)
    body = {"kind": "payment", "amount_minor": 1_000, "currency": "USD", "source": rails_.customer, "destination": rails_.merchant, **change}
    r = api.post("/runtime/intents", body)
    assert r.status_code == 400, r.text
    assert (r.json()["error"]["code"], r.json()["error"]["param"]) == (code, param)
    assert intents_in(runtime, tenant.tenant_id) == 0
    assert api.balances(rails_.customer)["available"] == FUNDS


def test_another_tenants_account_is_unknown_and_the_attempt_is_recorded_in_its_chain(api, api_url, runtime):
    victim_tenant = make_tenant(runtime, "Victim")
    victim = Api(api_url, victim_tenant.sandbox_key)
    _, their_account = victim.funded_account(5_000)
    rails_ = rails(api)
    r = api.post("/runtime/intents", {"kind": "payment", "amount_minor": 1_000, "currency": "USD", "source": their_account, "destination": rails_.merchant})
    assert (r.status_code, r.json()["error"]["code"]) == (400, "unknown_account")
    assert victim.balances(their_account)["available"] == 5_000
    denied = transactions.read(runtime.db, lambda s: s.execute(select(AuditRecord).where(AuditRecord.chain == victim_tenant.tenant_id, AuditRecord.action == "access.denied")).scalars().all())
    assert [d.object_id for d in denied] == [their_account]


def test_another_tenants_intent_is_not_found(api, api_url, runtime):
    created = payment(rails(api), 1_000).json()
    other = Api(api_url, make_tenant(runtime, "Other").sandbox_key)
    r = other.get(f"/runtime/intents/{created['intent_id']}")
    assert (r.status_code, r.json()["error"]["code"]) == (404, "not_found")
    assert other.get(f"/evidence/{created['intent_id']}").status_code == 404


def test_the_intent_table_pages_and_filters_on_the_server(api, runtime, tenant):
    set_policy(runtime, tenant.sandbox, {"review_threshold": {"*": 10 * FUNDS}})
    rails_ = rails(api)
    ids = [payment(rails_, 1_000 + i).json()["intent_id"] for i in range(3)]
    payment(rails_, FUNDS * 2)
    page = api.get("/runtime/intents", params={"limit": 2}).json()
    assert (page["total"], len(page["data"]), page["has_more"]) == (4, 2, True)
    failed = api.get("/runtime/intents", params={"status": "failed"}).json()
    assert failed["total"] == 1
    found = api.get("/runtime/intents", params={"search": ids[1]}).json()
    assert [i["intent_id"] for i in found["data"]] == [ids[1]]
    assert api.get("/runtime/intents", params={"status": "lost"}).json()["error"]["code"] == "validation_error"


def test_the_rooms_table_page_carries_each_rows_path_and_evidence_state(api, runtime, tenant):
    rails_ = rails(api)
    ledgered = payment(rails_, 1_000).json()["intent_id"]
    seal(runtime.db)
    held = payment(rails_, FUNDS).json()["intent_id"]  # at the default review threshold
    rows = transactions.read(runtime.db, lambda s: table_page(s, tenant.sandbox, limit=10))["data"]
    by_id = {r["intent_id"]: r for r in rows}
    assert [s["state"] for s in by_id[ledgered]["states"]] == ["accepted", "controlled", "ledgered"]
    assert [s["state"] for s in by_id[held]["states"]] == ["accepted", "review"]
    assert (by_id[ledgered]["audit_packet"], by_id[held]["audit_packet"]) == ("ready", "sealing")
    assert {r["event_stream"] for r in rows} == {"pending"}
