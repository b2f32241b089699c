"""Compliance's decision on a screening match over HTTP: nobody approves a hit while it is
undecided, the intent's creator never approves it (maker-checker), clearing lets the review go
on, confirming rejects the intent, and every decision is audited and in the evidence packet."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from backend.audit.sealer import seal
from backend.db import transactions
from backend.db.tables import AuditRecord, Event
from backend.evidence.verification import verify_packet
from tests.backend.intents.support import FUNDS
from tests.backend.screening.support import count, load, pay
from tests.conftest import Api, make_tenant


def hit(desk, creator: Api | None = None, counterparty: str = "Jon Smyth") -> tuple[dict, dict]:
    """An intent held for a screening match, created by `creator` (the API key by default), and
    its match."""
    intent = pay(desk, counterparty, client=creator).json()
    assert intent["status"] == "review", intent
    [match] = desk.api.get("/screening/results", params={"intent": intent["intent_id"]}).json()["data"]
    return intent, match


def decide(client: Api, match: dict, decision: str, note: str = "checked the passport: another person"):
    return client.post(f"/screening/results/{match['id']}/decision", {"decision": decision, "note": note})


@pytest.fixture
def listed(screening_desk):
    load(screening_desk.person("compliance"))
    return screening_desk


def test_the_creator_of_an_intent_with_a_hit_can_never_approve_it(listed):
    maker = listed.person("support")
    intent, match = hit(listed, creator=maker)
    assert decide(listed.person("compliance"), match, "clear").json()["decision"] == "cleared"
    review = maker.post(f"/reviews/{intent['review']['id']}/claim").json()
    refused = maker.post(f"/reviews/{review['id']}/approve", {"reviewed_hash": review["review_hash"], "reason_code": "verified_customer"})
    assert (refused.status_code, refused.json()["error"]["code"]) == (403, "forbidden")
    assert "maker-checker" in refused.json()["error"]["message"]
    assert listed.api.get(f"/runtime/intents/{intent['intent_id']}").json()["status"] == "review"
    maker.post(f"/reviews/{review['id']}/release")
    checker = listed.person("support")
    fresh = checker.post(f"/reviews/{review['id']}/claim").json()
    done = checker.post(f"/reviews/{review['id']}/approve", {"reviewed_hash": fresh["review_hash"], "reason_code": "verified_customer"})
    assert done.json()["intent_status"] == "ledgered", done.text
    assert listed.api.balances(listed.rails.customer)["available"] == FUNDS - 5_000


def test_after_a_clearance_an_amendment_cannot_take_the_intent_past_its_reviewer(listed):
    maker = listed.person("support")
    intent, match = hit(listed, creator=maker)
    decide(listed.person("compliance"), match, "clear")
    amended = maker.post(f"/runtime/intents/{intent['intent_id']}/amend", {"amount_minor": 4_000})
    assert (amended.status_code, amended.json()["status"]) == (200, "review")
    assert listed.api.get(f"/screening/results/{match['id']}").json()["decision"] == "cleared"
    assert listed.api.balances(listed.rails.customer)["available"] == FUNDS


def test_the_creator_cannot_clear_their_own_intents_match_either(listed):
    admin = listed.person("admin")
    _, match = hit(listed, creator=admin)
    refused = decide(admin, match, "clear")
    assert (refused.status_code, refused.json()["error"]["code"]) == (403, "forbidden")
    assert listed.api.get(f"/screening/results/{match['id']}").json()["decision"] == "pending"


def test_no_one_approves_while_a_match_waits_for_compliance_and_an_approval_quotes_the_decision(listed):
    intent, match = hit(listed)
    support = listed.person("support")
    seen = support.post(f"/reviews/{intent['review']['id']}/claim").json()
    assert seen["screening"][0]["decision"] == "pending"
    waiting = support.post(f"/reviews/{seen['id']}/approve", {"reviewed_hash": seen["review_hash"], "reason_code": "verified_customer"})
    assert (waiting.status_code, waiting.json()["error"]["code"]) == (409, "invalid_state_transition")
    assert "wait for compliance" in waiting.json()["error"]["message"]
    decide(listed.person("compliance"), match, "clear")
    stale = support.post(f"/reviews/{seen['id']}/approve", {"reviewed_hash": seen["review_hash"], "reason_code": "verified_customer"})
    assert (stale.status_code, stale.json()["error"]["param"]) == (409, "reviewed_hash")
    now = support.get(f"/reviews/{seen['id']}").json()
    assert now["screening"][0]["decision"] == "cleared" and now["review_hash"] != seen["review_hash"]
    ok = support.post(f"/reviews/{seen['id']}/approve", {"reviewed_hash": now["review_hash"], "reason_code": "verified_customer"})
    assert ok.json()["intent_status"] == "ledgered", ok.text


def test_confirming_a_match_rejects_the_intent_through_the_review_and_closes_its_other_matches(listed, runtime):
    load(listed.person("compliance"), "name\nJohn Smithe\n", name="Internal watchlist")
    intent = pay(listed, "Jon Smyth").json()
    matches = listed.api.get("/screening/results", params={"intent": intent["intent_id"]}).json()["data"]
    assert [(m["matched_name"], m["score"]) for m in matches] == [("John Smith", 95), ("John Smithe", 89)]
    compliance = listed.person("compliance")
    confirmed = decide(compliance, matches[0], "confirm", "same date of birth as the listed person")
    assert confirmed.status_code == 200, confirmed.text
    assert (confirmed.json()["decision"], confirmed.json()["intent_status"], confirmed.json()["event"]) == ("confirmed", "rejected", "screening.match_confirmed")
    after = listed.api.get(f"/runtime/intents/{intent['intent_id']}").json()
    assert (after["status"], after["failure"]["code"]) == ("rejected", "screening_confirmed")
    review = listed.api.get(f"/reviews/{intent['review']['id']}").json()
    assert (review["status"], review["decided_by"], review["decision_code"]) == ("rejected", compliance.actor, "screening_confirmed")
    assert [(m["matched_name"], m["decision"]) for m in review["screening"]] == [("John Smith", "confirmed"), ("John Smithe", "closed")]
    again = decide(compliance, matches[1], "clear")
    assert (again.status_code, again.json()["error"]["code"]) == (409, "invalid_state_transition")
    assert listed.api.balances(listed.rails.customer)["available"] == FUNDS


def test_a_decision_is_audited_on_the_intent_and_carried_by_its_verified_packet(listed, runtime, tenant):
    intent, match = hit(listed)
    compliance = listed.person("compliance")
    decide(compliance, match, "clear", "different nationality and date of birth")
    seal(runtime.db)
    where = (AuditRecord.chain == tenant.tenant_id, AuditRecord.action.in_(["screening.match_cleared", "screening.decide"]))
    records = transactions.read(runtime.db, lambda s: s.execute(select(AuditRecord).where(*where).order_by(AuditRecord.seq)).scalars().all())
    assert [(r.action, r.object_id, r.actor, r.role) for r in records] == [
        ("screening.match_cleared", intent["intent_id"], compliance.actor, "compliance"),
        ("screening.decide", match["id"], compliance.actor, "compliance"),
    ]
    assert "different nationality" in records[0].detail_json
    packet = listed.api.get(f"/evidence/{intent['intent_id']}")
    body = packet.json()["packet"]
    assert "screening.match_cleared" in [r["action"] for r in body["audit"]["records"]]
    assert body["contents"]["screening"]["data"][0]["decision"] == "cleared"
    assert "screening.match_cleared" in [e["type"] for e in body["contents"]["events"]["data"]]
    assert verify_packet(packet.content).ok


@pytest.mark.parametrize("role", ["support", "finance", "viewer"])
def test_only_compliance_and_admins_decide_and_an_api_key_never_does(listed, runtime, tenant, role):
    _, match = hit(listed)
    for client in (listed.person(role), listed.api):
        refused = decide(client, match, "clear")
        assert (refused.status_code, refused.json()["error"]["code"]) == (403, "forbidden")
    assert listed.api.get(f"/screening/results/{match['id']}").json()["decision"] == "pending"
    assert count(runtime, Event, Event.tenant_id == tenant.tenant_id, Event.type.in_(["screening.match_cleared", "screening.match_confirmed"])) == 0
    assert decide(listed.person("admin"), match, "clear").json()["decision"] == "cleared"


@pytest.mark.parametrize(
    ("body", "param"),
    [({"decision": "maybe", "note": "x"}, "decision"), ({"decision": "clear"}, "note"), ({"decision": "clear", "note": "x", "by": "me"}, "by")],
)
def test_a_bad_decision_body_is_refused_by_field(listed, body, param):
    _, match = hit(listed)
    r = listed.person("compliance").post(f"/screening/results/{match['id']}/decision", body)
    assert (r.status_code, r.json()["error"]["param"]) == (400, param)


def test_another_tenants_or_modes_match_is_not_found_and_the_attempt_recorded(listed, api_url, runtime, tenant):
    _, match = hit(listed)
    for intruder in (Api(api_url, tenant.live_key), Api(api_url, make_tenant(runtime, "Other").sandbox_key)):
        assert intruder.get(f"/screening/results/{match['id']}").status_code == 404
        refused = decide(intruder, match, "confirm")
        assert (refused.status_code, refused.json()["error"]["code"]) == (404, "not_found")
    assert listed.api.get(f"/screening/results/{match['id']}").json()["decision"] == "pending"
    denials = count(runtime, AuditRecord, AuditRecord.chain == tenant.tenant_id, AuditRecord.action == "access.denied", AuditRecord.object_id == match["id"])
    assert denials == 4
