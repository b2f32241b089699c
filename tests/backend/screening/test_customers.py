"""Customers and their KYC status over HTTP, and what each status does to intents from their
accounts: rejected refuses, unverified or pending asks a person, verified or unregistered passes."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor

import pytest

from backend.db.tables import Customer, Event
from tests.backend.intents.support import FUNDS, payment
from tests.backend.screening.support import count


def test_a_customer_is_registered_then_its_kyc_and_name_change_each_with_an_event(screening_desk):
    api = screening_desk.api
    created = api.post("/customers", {"customer": "cust", "name": "Alice Example"})
    assert created.status_code == 200, created.text
    customer = created.json()
    assert (customer["customer"], customer["name"], customer["kyc_status"], customer["event"]) == ("cust", "Alice Example", "unverified", "customer.created")
    assert customer["id"].startswith("cus_")
    verified = api.post("/customers", {"customer": "cust", "kyc_status": "verified"}).json()
    assert (verified["id"], verified["kyc_status"], verified["event"]) == (customer["id"], "verified", "customer.kyc_updated")
    same = api.post("/customers", {"customer": "cust", "kyc_status": "verified", "name": "Alice  Example"}).json()
    assert same["event"] is None and same["updated_at"] == verified["updated_at"]
    renamed = api.post("/customers", {"customer": "cust", "name": "Alice B. Example"}).json()
    assert (renamed["name"], renamed["event"]) == ("Alice B. Example", "customer.updated")
    by_id = api.post(f"/customers/{customer['id']}/kyc", {"kyc_status": "rejected"}).json()
    assert (by_id["kyc_status"], by_id["event"]) == ("rejected", "customer.kyc_updated")
    assert api.get(f"/customers/{customer['id']}").json()["kyc_status"] == "rejected"
    assert [c["id"] for c in api.get("/customers", params={"customer": "cust"}).json()["data"]] == [customer["id"]]
    assert api.get("/customers", params={"kyc_status": "verified"}).json()["total"] == 0
    events = [e for e in api.get("/events", params={"limit": 100}).json()["data"] if e["object"] == customer["id"]]
    assert [e["type"] for e in events] == ["customer.created", "customer.kyc_updated", "customer.updated", "customer.kyc_updated"]
    assert (events[1]["data"]["from"], events[1]["data"]["to"]) == ("unverified", "verified")


@pytest.mark.parametrize(
    ("body", "param"),
    [
        ({"customer": "cust"}, "name"),
        ({"name": "Alice"}, "customer"),
        ({"customer": "cust", "name": "Alice", "kyc_status": "approved"}, "kyc_status"),
        ({"customer": "cust", "name": "Alice", "risk": "high"}, "risk"),
        ({"customer": "cust", "name": "x" * 201}, "name"),
        ({"customer": "  ", "name": "Alice"}, "customer"),
    ],
)
def test_bad_customer_bodies_are_refused_by_field_and_change_nothing(screening_desk, runtime, tenant, body, param):
    r = screening_desk.api.post("/customers", body)
    assert (r.status_code, r.json()["error"]["code"], r.json()["error"]["param"]) == (400, "validation_error", param)
    assert count(runtime, Customer, Customer.tenant_id == tenant.tenant_id) == 0
    assert count(runtime, Event, Event.tenant_id == tenant.tenant_id, Event.type.like("customer.%")) == 0


def test_setting_kyc_needs_a_known_customer_and_a_known_status(screening_desk):
    api = screening_desk.api
    missing = api.post("/customers/cus_00000000000000000000000000000/kyc", {"kyc_status": "verified"})
    assert (missing.status_code, missing.json()["error"]["code"]) == (404, "not_found")
    customer = api.post("/customers", {"customer": "cust", "name": "Alice"}).json()
    bad = api.post(f"/customers/{customer['id']}/kyc", {"kyc_status": "ok"})
    assert (bad.status_code, bad.json()["error"]["param"]) == (400, "kyc_status")


@pytest.mark.parametrize(
    ("kyc_status", "status", "reason"),
    [
        ("rejected", "rejected", "kyc_rejected"),
        ("unverified", "review", "kyc_unverified"),
        ("pending", "review", "kyc_unverified"),
        ("verified", "ledgered", None),
        (None, "ledgered", None),
    ],
)
def test_the_source_customers_kyc_status_decides_the_intent(screening_desk, kyc_status, status, reason):
    api = screening_desk.api
    if kyc_status is not None:
        api.post("/customers", {"customer": "cust", "name": "Alice Example", "kyc_status": kyc_status})
    intent = payment(screening_desk.rails, 5_000).json()
    assert (intent["status"], intent["policy"]["reason"]) == (status, reason)
    [kyc] = [c for c in intent["policy"]["checks"] if c["rule"] == "kyc_check"]
    assert kyc["rule_id"] == f"kyc:{kyc_status or 'unregistered'}"
    if status == "rejected":
        assert intent["failure"]["code"] == "kyc_rejected"
    if status == "review":
        assert intent["review"]["reason"] == "kyc_unverified"
    held = FUNDS - 5_000 if status == "ledgered" else FUNDS
    assert api.balances(screening_desk.rails.customer)["available"] == held


def test_only_compliance_and_admins_among_people_set_kyc_and_support_reads_it(screening_desk):
    customer = screening_desk.person("compliance").post("/customers", {"customer": "cust", "name": "Alice", "kyc_status": "pending"})
    assert customer.status_code == 200, customer.text
    support = screening_desk.person("support")
    refused = support.post(f"/customers/{customer.json()['id']}/kyc", {"kyc_status": "verified"})
    assert (refused.status_code, refused.json()["error"]["code"]) == (403, "forbidden")
    assert support.get(f"/customers/{customer.json()['id']}").json()["kyc_status"] == "pending"
    assert screening_desk.person("viewer").get("/customers").status_code == 403


def test_concurrent_registrations_of_one_customer_make_one_row(screening_desk, runtime, tenant):
    api = screening_desk.api
    with ThreadPoolExecutor(6) as pool:
        answers = list(pool.map(lambda i: api.post("/customers", {"customer": "cust", "name": "Alice", "kyc_status": "verified"}), range(6)))
    assert [a.status_code for a in answers] == [200] * 6
    assert len({a.json()["id"] for a in answers}) == 1
    assert sorted(str(a.json()["event"]) for a in answers) == ["None"] * 5 + ["customer.created"]
    assert count(runtime, Customer, Customer.tenant_id == tenant.tenant_id) == 1
