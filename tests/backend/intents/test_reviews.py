"""The review queue over HTTP with operator session tokens: claiming, maker-checker, the approval's
binding to what was reviewed, rejection, and who may do what."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor

import pytest
from sqlalchemy import select

from backend.db import transactions
from backend.db.tables import AuditRecord
from tests.backend.intents.support import FUNDS, payment, rails, set_policy
from tests.backend.operators.conftest import make_operator, open_session
from tests.conftest import Api


@pytest.fixture
def queue(api, api_url, runtime, tenant):
    """A tenant whose policy sends 100.00 and more to review, its rails and three operators."""
    set_policy(runtime, tenant.sandbox, {"review_threshold": {"*": 10_000}, "dual_approval_threshold": {"*": 900_000}})
    rails_ = rails(api)

    def person(role: str) -> Api:
        operator = make_operator(runtime, {tenant.tenant_id: role})
        client = Api(api_url, open_session(runtime, operator.operator_id, tenant.tenant_id))
        client.actor = f"operator:{operator.operator_id}"
        client.operator_id = operator.operator_id
        return client

    return rails_, person


def held(rails_, amount: int = 50_000) -> dict:
    r = payment(rails_, amount)
    assert r.status_code == 201 and r.json()["status"] == "review", r.text
    return r.json()


def test_an_api_key_created_intent_is_approved_by_one_person_and_reserved(api, queue):
    rails_, person = queue
    intent = held(rails_)
    support = person("support")
    review = support.post(f"/reviews/{intent['review']['id']}/claim").json()
    assert review["assignee"] == support.actor
    done = support.post(f"/reviews/{review['id']}/approve", {"reviewed_hash": review["review_hash"], "reason_code": "verified_customer"})
    assert done.status_code == 200, done.text
    assert done.json()["intent_status"] == "ledgered"
    assert api.balances(rails_.customer)["available"] == FUNDS - 50_000


def test_a_review_claimed_by_one_person_cannot_be_taken_or_decided_by_another(queue):
    rails_, person = queue
    intent = held(rails_)
    first, second = person("support"), person("support")
    review = first.post(f"/reviews/{intent['review']['id']}/claim").json()
    taken = second.post(f"/reviews/{review['id']}/claim")
    assert (taken.status_code, taken.json()["error"]["code"]) == (409, "invalid_state_transition")
    decided = second.post(f"/reviews/{review['id']}/approve", {"reviewed_hash": review["review_hash"], "reason_code": "other"})
    assert decided.json()["error"]["code"] == "invalid_state_transition"
    released = second.post(f"/reviews/{review['id']}/release")
    assert (released.status_code, released.json()["error"]["code"]) == (403, "forbidden")


def test_concurrent_claims_leave_exactly_one_assignee(queue):
    rails_, person = queue
    intent = held(rails_)
    people = [person("support") for _ in range(6)]
    with ThreadPoolExecutor(6) as pool:
        answers = list(pool.map(lambda p: p.post(f"/reviews/{intent['review']['id']}/claim"), people))
    assert sorted(a.status_code for a in answers) == [200] + [409] * 5
    winner = next(a.json()["assignee"] for a in answers if a.status_code == 200)
    assert people[0].get(f"/reviews/{intent['review']['id']}").json()["assignee"] == winner


def test_an_intent_amended_after_it_was_claimed_cannot_be_approved_unseen(api, queue):
    rails_, person = queue
    maker = person("support")
    created = maker.post("/runtime/intents", {"kind": "payment", "amount_minor": 50_000, "currency": "USD", "source": rails_.customer, "destination": rails_.merchant}).json()
    checker = person("support")
    seen = checker.post(f"/reviews/{created['review']['id']}/claim").json()
    amended = maker.post(f"/runtime/intents/{created['intent_id']}/amend", {"amount_minor": 60_000})
    assert amended.status_code == 200, amended.text
    assert (amended.json()["status"], amended.json()["revision"]) == ("review", 2)
    stale = checker.post(f"/reviews/{seen['id']}/approve", {"reviewed_hash": seen["review_hash"], "reason_code": "verified_customer"})
    assert (stale.status_code, stale.json()["error"]["code"], stale.json()["error"]["param"]) == (409, "invalid_state_transition", "reviewed_hash")
    assert api.balances(rails_.customer)["available"] == FUNDS
    fresh = checker.post(f"/reviews/{seen['id']}/claim").json()
    assert fresh["review_hash"] != seen["review_hash"] and fresh["amount_minor"] == 60_000
    ok = checker.post(f"/reviews/{seen['id']}/approve", {"reviewed_hash": fresh["review_hash"], "reason_code": "verified_customer"})
    assert ok.json()["intent_status"] == "ledgered"
    assert api.balances(rails_.customer)["available"] == FUNDS - 60_000


def test_only_the_creator_amends_and_only_while_in_review(queue):
    rails_, person = queue
    maker, other = person("support"), person("support")
    created = maker.post("/runtime/intents", {"kind": "payment", "amount_minor": 50_000, "currency": "USD", "source": rails_.customer, "destination": rails_.merchant}).json()
    refused = other.post(f"/runtime/intents/{created['intent_id']}/amend", {"amount_minor": 1})
    assert refused.json()["error"]["code"] == "forbidden"
    below = maker.post(f"/runtime/intents/{created['intent_id']}/amend", {"amount_minor": 5_000})
    assert below.json()["status"] == "ledgered"
    late = maker.post(f"/runtime/intents/{created['intent_id']}/amend", {"amount_minor": 6_000})
    assert late.json()["error"]["code"] == "invalid_state_transition"


def test_a_rejected_intent_ends_without_moving_money(api, queue):
    rails_, person = queue
    intent = held(rails_)
    support = person("support")
    review = support.post(f"/reviews/{intent['review']['id']}/claim").json()
    bad = support.post(f"/reviews/{review['id']}/reject", {"reason_code": "made_up"})
    assert (bad.status_code, bad.json()["error"]["param"]) == (400, "reason_code")
    rejected = support.post(f"/reviews/{review['id']}/reject", {"reason_code": "suspected_fraud", "note": "mule pattern"})
    assert rejected.json()["status"] == "rejected"
    after = api.get(f"/runtime/intents/{intent['intent_id']}").json()
    assert (after["status"], after["failure"]["code"]) == ("rejected", "suspected_fraud")
    assert api.balances(rails_.customer)["available"] == FUNDS
    again = support.post(f"/reviews/{review['id']}/approve", {"reviewed_hash": review["review_hash"], "reason_code": "other"})
    assert again.json()["error"]["code"] == "invalid_state_transition"


def test_assigning_needs_a_member_who_may_decide(queue):
    rails_, person = queue
    intent = held(rails_)
    admin, support, viewer = person("admin"), person("support"), person("viewer")
    refused = admin.post(f"/reviews/{intent['review']['id']}/assign", {"operator_id": viewer.operator_id})
    assert refused.json()["error"]["param"] == "operator_id"
    given = admin.post(f"/reviews/{intent['review']['id']}/assign", {"operator_id": support.operator_id})
    assert given.json()["assignee"] == support.actor


def test_roles_without_review_rights_and_api_keys_are_refused_and_recorded(api, runtime, tenant, queue):
    rails_, person = queue
    intent = held(rails_)
    viewer = person("viewer")
    refused = viewer.post(f"/reviews/{intent['review']['id']}/claim")
    assert (refused.status_code, refused.json()["error"]["code"]) == (403, "forbidden")
    by_key = api.post(f"/reviews/{intent['review']['id']}/claim")
    assert (by_key.status_code, by_key.json()["error"]["code"]) == (403, "forbidden")
    denials = transactions.read(runtime.db, lambda s: s.execute(select(AuditRecord.actor).where(AuditRecord.chain == tenant.tenant_id, AuditRecord.policy_json.contains("denied"))).scalars().all())
    assert viewer.actor in denials and any(actor.startswith("api_key:") for actor in denials)


def test_the_queue_filters_by_reason_amount_and_assignee(queue):
    rails_, person = queue
    small, large = held(rails_, 20_000), held(rails_, 80_000)
    support = person("support")
    support.post(f"/reviews/{small['review']['id']}/claim")
    mine = support.get("/reviews", params={"assignee": support.actor}).json()
    assert [r["intent_id"] for r in mine["data"]] == [small["intent_id"]]
    unassigned = support.get("/reviews", params={"assignee": "unassigned"}).json()
    assert [r["intent_id"] for r in unassigned["data"]] == [large["intent_id"]]
    big = support.get("/reviews", params={"min_amount": 50_000}).json()
    assert [r["intent_id"] for r in big["data"]] == [large["intent_id"]]
    assert support.get("/reviews", params={"reason": "amount_over_threshold"}).json()["total"] == 2
    assert support.get("/reviews", params={"min_amount": "lots"}).json()["error"]["code"] == "validation_error"
