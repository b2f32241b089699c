"""Screening at intake over HTTP: a counterparty on a list sends the intent to review with the match
shown to the reviewer and kept in its evidence packet; other names pass; the exact blocked list
still refuses."""

from __future__ import annotations

from backend.db.tables import ScreeningResult
from backend.evidence.verification import verify_packet
from tests.backend.intents.support import FUNDS, set_policy
from tests.backend.screening.support import count, load, pay
from tests.conftest import Api, make_tenant


def test_a_listed_counterparty_sends_the_intent_to_review_with_the_match_shown(screening_desk, runtime, tenant):
    listed = load(screening_desk.person("compliance"))
    intent = pay(screening_desk, "Jon Smyth").json()
    assert (intent["status"], intent["policy"]["reason"], intent["review"]["reason"]) == ("review", "screening_hit", "screening_hit")
    assert "review_required: screening_hit" in intent["policy"]["labels"]
    assert screening_desk.api.balances(screening_desk.rails.customer)["available"] == FUNDS
    review = screening_desk.person("support").get(f"/reviews/{intent['review']['id']}").json()
    [match] = review["screening"]
    assert (match["screened_name"], match["matched_name"], match["score"], match["method"], match["decision"]) == ("Jon Smyth", "John Smith", 95, "fuzzy", "pending")
    assert match["list"] == {"id": listed["id"], "name": "Sanctions", "version": 1}
    assert (match["entry"]["name"], match["entry"]["aliases"], match["entry"]["country"], match["entry"]["reference"]) == ("John Smith", ["Johnny Smith", "J. Smith"], "GB", "UK-0001")
    assert match["id"] in next(c for c in intent["policy"]["checks"] if c["rule"] == "screening_check")["detail"]
    found = screening_desk.api.get("/screening/results", params={"intent": intent["intent_id"]}).json()
    assert [r["id"] for r in found["data"]] == [match["id"]]
    assert screening_desk.api.get(f"/screening/results/{match['id']}").json() == match
    events = [e for e in screening_desk.api.get("/events", params={"limit": 100}).json()["data"] if e["object"] == intent["intent_id"]]
    assert [e["type"] for e in events] == ["intent.accepted", "screening.matched", "policy.review_required"]
    assert events[1]["data"]["matches"][0]["id"] == match["id"]


def test_the_match_is_in_the_intents_evidence_packet_and_the_packet_verifies(screening_desk):
    load(screening_desk.person("compliance"))
    intent = pay(screening_desk, "Smith, John").json()
    response = screening_desk.api.get(f"/evidence/{intent['intent_id']}")
    assert response.status_code == 200, response.text
    screening = response.json()["packet"]["contents"]["screening"]
    assert (screening["total"], screening["truncated"]) == (1, False)
    assert (screening["data"][0]["matched_name"], screening["data"][0]["score"]) == ("John Smith", 99)
    verdict = verify_packet(response.content)
    assert verdict.ok, verdict.problem


def test_an_exact_match_scores_100_and_a_name_that_matches_nothing_passes(screening_desk):
    load(screening_desk.person("compliance"))
    exact = pay(screening_desk, "JOSE GARCIA").json()
    [match] = screening_desk.api.get("/screening/results", params={"intent": exact["intent_id"]}).json()["data"]
    assert (match["matched_name"], match["score"], match["method"]) == ("José García", 100, "exact")
    clean = pay(screening_desk, "Alice Brown").json()
    assert clean["status"] == "ledgered"
    [check] = [c for c in clean["policy"]["checks"] if c["rule"] == "screening_check"]
    assert (check["result"], check["detail"]) == ("passed", "no match on 1 screening list(s)")
    assert screening_desk.api.get("/screening/results", params={"intent": clean["intent_id"]}).json()["total"] == 0


def test_a_registered_counterpartys_name_is_screened_when_the_intent_names_only_its_account(screening_desk):
    load(screening_desk.person("compliance"))
    screening_desk.api.post("/customers", {"customer": "Merchant Ltd", "name": "Ivan Petrov", "kyc_status": "verified"})
    body = {"kind": "payment", "amount_minor": 5_000, "currency": "USD", "source": screening_desk.rails.customer, "destination": screening_desk.rails.merchant}
    intent = screening_desk.api.post("/runtime/intents", body).json()
    assert (intent["counterparty"], intent["status"]) == ("Merchant Ltd", "review")
    [match] = screening_desk.api.get("/screening/results", params={"intent": intent["intent_id"]}).json()["data"]
    assert (match["screened_name"], match["matched_name"], match["score"]) == ("Ivan Petrov", "Ivan Petrova", 95)


def test_the_exact_blocked_list_still_refuses_and_closes_the_matches_nobody_will_decide(screening_desk, runtime, tenant):
    load(screening_desk.person("compliance"))
    set_policy(runtime, tenant.sandbox, {"blocked_counterparties": ["John Smith"]})
    intent = pay(screening_desk, "john smith").json()
    assert (intent["status"], intent["failure"]["code"]) == ("rejected", "counterparty_blocked")
    [match] = screening_desk.api.get("/screening/results", params={"intent": intent["intent_id"]}).json()["data"]
    assert (match["method"], match["decision"]) == ("exact", "closed")
    assert screening_desk.api.get("/screening/results", params={"decision": "pending"}).json()["total"] == 0


def test_intents_are_screened_against_the_current_version_of_each_list(screening_desk):
    compliance = screening_desk.person("compliance")
    load(compliance)
    load(compliance, "name\nSomeone Else\n")
    assert pay(screening_desk, "John Smith").json()["status"] == "ledgered"


def test_an_amendment_keeps_the_recorded_matches_and_screens_nothing_twice(screening_desk, runtime):
    load(screening_desk.person("compliance"))
    intent = pay(screening_desk, "Jon Smyth", amount=5_000).json()
    amended = screening_desk.api.post(f"/runtime/intents/{intent['intent_id']}/amend", {"amount_minor": 4_000})
    assert (amended.status_code, amended.json()["status"]) == (200, "review")
    assert count(runtime, ScreeningResult, ScreeningResult.intent_id == intent["intent_id"]) == 1


def test_another_tenants_or_modes_lists_screen_nothing_here(screening_desk, api_url, runtime, tenant):
    load(screening_desk.person("compliance"))
    other = Api(api_url, make_tenant(runtime, "Other").sandbox_key)
    _, customer = other.funded_account(10_000)
    body = {"kind": "payment", "amount_minor": 100, "currency": "USD", "source": customer, "destination": other.account(), "counterparty": "John Smith"}
    assert other.post("/runtime/intents", body).json()["status"] == "ledgered"
    live = Api(api_url, tenant.live_key)
    _, live_customer = live.funded_account(10_000)
    assert live.post("/runtime/intents", {**body, "source": live_customer, "destination": live.account()}).json()["status"] == "ledgered"
