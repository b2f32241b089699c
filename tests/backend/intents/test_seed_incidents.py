"""The seed pages' incidents, end to end over HTTP with sandbox providers that answer and call back
over HTTP: a duplicate provider callback, a high-value intent through maker-checker review, a
webhook consumer outage, and a provider failover."""

from __future__ import annotations

import asyncio

from sqlalchemy import select

from backend.db import transactions
from backend.db.tables import Intent
from backend.evidence.verification import verify_packet
from backend.intents import evidencer
from tests.backend.intents.support import (
    close_evidence,
    payment,
    postings_of,
    rails,
    route_due,
    set_policy,
    settle_to_evidence,
    wait_for,
)
from tests.backend.operators.conftest import make_operator, open_session
from tests.backend.providers.support import body as callback_body
from tests.backend.providers.support import deliver
from tests.backend.webhooks.support import (
    Answer,
    Receiver,
    dispatching,
    eventually,
    publish_events,
)
from tests.conftest import Api

PATH = ["accepted", "controlled", "ledgered", "routed", "synchronized", "evidenced"]


def _verified(api: Api, intent_id: str) -> dict:
    r = api.get(f"/evidence/{intent_id}")
    assert r.status_code == 200, r.text
    verdict = verify_packet(r.content)
    assert verdict.ok, verdict.problem
    return r.json()["packet"]["contents"]


def test_a_duplicate_provider_callback_ends_in_one_ledger_safe_outcome(api, runtime):
    rails_ = rails(api, {"duplicate_rate": 1.0})
    created = payment(rails_, 125_000, intent_id="intent_dup042")
    assert created.status_code == 201, created.text
    answer = created.json()
    assert (answer["intent_id"], answer["status"]) == ("intent_dup042", "ledgered")
    assert {"ledger_state", "event_stream", "audit_packet", "states"} <= set(answer)

    intent = settle_to_evidence(runtime, api, "intent_dup042")
    assert [s["state"] for s in intent["states"]] == PATH

    def both_callbacks_in():
        return len(api.get(f"/providers/{rails_.providers[0]['id']}/callbacks").json()["data"]) >= 2

    asyncio.run(eventually(both_callbacks_in))
    outcomes = sorted(c["outcome"] for c in api.get(f"/providers/{rails_.providers[0]['id']}/callbacks").json()["data"])
    assert outcomes == ["applied", "duplicate"]
    assert api.balances(rails_.merchant)["posted"] == 125_000
    assert api.balances(rails_.customer)["available"] == 1_000_000 - 125_000
    assert postings_of(runtime, "intent_dup042") == 4  # hold, its capture, settlement, merchant credit
    contents = _verified(api, "intent_dup042")
    assert [c["outcome"] for c in contents["callbacks"]["data"]] == ["applied", "duplicate"]


def test_a_high_value_intent_waits_for_two_different_approvers_and_then_completes(api, api_url, runtime, tenant):
    set_policy(runtime, tenant.sandbox, {"review_threshold": {"*": 100_000}, "dual_approval_threshold": {"*": 400_000}})
    rails_ = rails(api)
    maker, first, second = (make_operator(runtime, {tenant.tenant_id: "support"}) for _ in range(3))
    as_maker, as_first, as_second = (Api(api_url, open_session(runtime, op.operator_id, tenant.tenant_id)) for op in (maker, first, second))

    created = as_maker.post("/runtime/intents", {"kind": "payment", "amount_minor": 500_000, "currency": "USD", "source": rails_.customer, "destination": rails_.merchant})
    assert created.status_code == 201, created.text
    held = created.json()
    assert held["status"] == "review"
    assert held["policy"]["reason"] == "amount_over_threshold" and held["review"]["required_approvals"] == 2
    assert api.balances(rails_.customer)["available"] == 1_000_000  # nothing moves before a decision
    review_id = held["review"]["id"]

    claimed = as_maker.post(f"/reviews/{review_id}/claim").json()
    refused = as_maker.post(f"/reviews/{review_id}/approve", {"reviewed_hash": claimed["review_hash"], "reason_code": "verified_customer"})
    assert (refused.status_code, refused.json()["error"]["code"]) == (403, "forbidden")
    assert "maker-checker" in refused.json()["error"]["message"]
    assert as_maker.post(f"/reviews/{review_id}/release").status_code == 200

    claimed = as_first.post(f"/reviews/{review_id}/claim").json()
    once = as_first.post(f"/reviews/{review_id}/approve", {"reviewed_hash": claimed["review_hash"], "reason_code": "verified_customer"})
    assert once.status_code == 200, once.text
    assert once.json()["status"] == "open" and len(once.json()["approvals"]) == 1
    again = as_first.post(f"/reviews/{review_id}/claim").json()
    twice = as_first.post(f"/reviews/{review_id}/approve", {"reviewed_hash": again["review_hash"], "reason_code": "verified_customer"})
    assert (twice.status_code, twice.json()["error"]["code"]) == (403, "forbidden")
    assert as_first.post(f"/reviews/{review_id}/release").status_code == 200

    claimed = as_second.post(f"/reviews/{review_id}/claim").json()
    done = as_second.post(f"/reviews/{review_id}/approve", {"reviewed_hash": claimed["review_hash"], "reason_code": "within_risk_appetite"})
    assert done.status_code == 200, done.text
    assert (done.json()["status"], done.json()["intent_status"]) == ("approved", "ledgered")

    intent = settle_to_evidence(runtime, api, held["intent_id"])
    assert [s["state"] for s in intent["states"]] == ["accepted", "review", "controlled", "ledgered", "routed", "synchronized", "evidenced"]
    approval = next(s for s in intent["states"] if s["state"] == "controlled")
    assert approval["actor"] == f"operator:{second.operator_id}"
    assert api.balances(rails_.merchant)["posted"] == 500_000
    contents = _verified(api, held["intent_id"])
    assert contents["intent"]["policy"]["policy_version"] == 1


def test_a_webhook_consumer_outage_backs_off_shows_its_attempts_and_recovers_without_a_second_ledger_effect(api, runtime, tenant, nats_url):
    rails_ = rails(api)
    with Receiver(default=Answer(status=503)).running() as receiver:
        endpoint = api.post("/webhook-endpoints", {"url": receiver.url, "event_types": ["intent.synchronized"]}).json()
        created = payment(rails_, 40_000).json()
        route_due(runtime)
        wait_for(api, created["intent_id"], "synchronized")

        async def outage_then_recovery() -> None:
            async with dispatching(runtime, nats_url, tenant.tenant_id):
                await publish_events(runtime, nats_url, tenant.tenant_id)
                message = await eventually(lambda: _failed_message(api, endpoint["id"]))
                assert _attempted(api, endpoint["id"]) == 8  # the whole (compressed) schedule, backing off
                close_evidence(runtime)
                assert api.get(f"/runtime/intents/{created['intent_id']}").json()["status"] == "retrying"
                receiver.default = Answer(status=200)
                resent = api.post(f"/webhook-endpoints/{endpoint['id']}/messages/{message['id']}/resend")
                assert resent.status_code in (200, 202), resent.text
                await eventually(lambda: api.get(f"/webhook-endpoints/{endpoint['id']}/messages").json()["data"][0]["status"] == "delivered")

        asyncio.run(outage_then_recovery())
    close_evidence(runtime, later=evidencer.RETRY_CHECK)
    intent = api.get(f"/runtime/intents/{created['intent_id']}").json()
    assert [s["state"] for s in intent["states"]][-3:] == ["synchronized", "retrying", "evidenced"]
    assert postings_of(runtime, created["intent_id"]) == 4
    assert api.balances(rails_.merchant)["posted"] == 40_000
    attempts = _verified(api, created["intent_id"])["webhook_attempts"]["data"]
    assert [a["status"] for a in attempts][-1] == "succeeded" and len(attempts) >= 4


def _failed_message(api: Api, endpoint_id: str) -> dict | None:
    """The endpoint's message once its retries are exhausted."""
    messages = api.get(f"/webhook-endpoints/{endpoint_id}/messages").json()["data"]
    return messages[0] if messages and messages[0]["status"] == "failed" else None


def _attempted(api: Api, endpoint_id: str) -> int:
    return len(api.get(f"/webhook-endpoints/{endpoint_id}/attempts").json()["data"])


def test_when_the_first_provider_fails_the_second_completes_and_evidence_names_both(api, runtime):
    rails_ = rails(api, {"failure_rate": 1.0}, {})
    created = payment(rails_, 10_000).json()
    intent = settle_to_evidence(runtime, api, created["intent_id"])
    assert intent["status"] == "evidenced"
    tried = [(a["provider_id"], a["result"]) for a in intent["routing"]]
    assert tried == [(rails_.providers[0]["id"], "failed"), (rails_.providers[1]["id"], "accepted")]
    assert intent["provider_id"] == rails_.providers[1]["id"]
    routed = next(s for s in intent["states"] if s["state"] == "routed")
    assert rails_.providers[1]["id"] in routed["reason"]
    contents = _verified(api, created["intent_id"])
    assert [a["provider_id"] for a in contents["intent"]["routing"]] == [p["id"] for p in rails_.providers]


def test_a_provider_that_times_out_is_failed_over_too(api, runtime, monkeypatch):
    from backend.intents import router

    monkeypatch.setattr(router, "SUBMIT_TIMEOUT_SECONDS", 0.3)
    rails_ = rails(api, {"timeout_rate": 1.0}, {})
    created = payment(rails_, 10_000).json()
    intent = settle_to_evidence(runtime, api, created["intent_id"])
    assert [a["result"] for a in intent["routing"]] == ["timeout", "accepted"]
    assert intent["status"] == "evidenced"


def test_when_every_provider_fails_the_reservation_is_released(api, runtime):
    rails_ = rails(api, {"failure_rate": 1.0})
    created = payment(rails_, 10_000).json()
    assert api.balances(rails_.customer)["available"] == 1_000_000 - 10_000
    route_due(runtime)
    intent = api.get(f"/runtime/intents/{created['intent_id']}").json()
    assert (intent["status"], intent["failure"]["code"]) == ("failed", "route_failed")
    assert api.balances(rails_.customer)["available"] == 1_000_000
    assert api.balances(rails_.merchant)["posted"] == 0


def test_a_declined_intent_releases_its_hold(api, runtime):
    rails_ = rails(api, {"decline_rate": 1.0})
    created = payment(rails_, 10_000).json()
    route_due(runtime)
    intent = wait_for(api, created["intent_id"], "failed")
    assert intent["failure"]["code"] == "provider_failed"
    assert api.balances(rails_.customer)["available"] == 1_000_000
    assert api.get(f"/holds/{intent['hold_id']}").json()["status"] == "released"


def _internal_id(runtime, intent_id: str) -> str:
    """The id providers know an intent by (the reference of their callbacks)."""
    query = select(Intent.id).where(Intent.intent_id == intent_id)
    return transactions.read(runtime.db, lambda s: s.execute(query).scalar_one())


def test_a_settlement_for_an_intent_already_past_it_is_stale_and_changes_nothing(api, api_url, runtime):
    rails_ = rails(api)
    created = payment(rails_, 10_000).json()
    settle_to_evidence(runtime, api, created["intent_id"])
    before = (api.balances(rails_.merchant), postings_of(runtime, created["intent_id"]))
    late = deliver(api_url, rails_.providers[0], callback_body(_internal_id(runtime, created["intent_id"]), "intent.settled", sequence=99)).json()
    assert late["outcome"] == "stale" and late["reason"].startswith("invalid_state_transition")
    assert (api.balances(rails_.merchant), postings_of(runtime, created["intent_id"])) == before


def test_a_callback_from_a_provider_the_intent_was_not_routed_to_is_rejected(api, api_url, runtime):
    rails_ = rails(api, {}, {})
    created = payment(rails_, 10_000).json()
    intent = settle_to_evidence(runtime, api, created["intent_id"])
    assert intent["provider_id"] == rails_.providers[0]["id"]
    other = deliver(api_url, rails_.providers[1], callback_body(_internal_id(runtime, created["intent_id"]), "intent.reversed", sequence=5)).json()
    assert other["outcome"] == "rejected" and "routed to provider" in other["reason"]
    assert api.get(f"/runtime/intents/{created['intent_id']}").json()["status"] == "evidenced"


def test_a_reversal_swaps_every_settled_posting_back(api, api_url, runtime):
    rails_ = rails(api)
    created = payment(rails_, 25_000).json()
    settle_to_evidence(runtime, api, created["intent_id"])
    reversed_ = deliver(api_url, rails_.providers[0], callback_body(_internal_id(runtime, created["intent_id"]), "intent.reversed", sequence=10, reason="chargeback")).json()
    assert reversed_["outcome"] == "applied", reversed_
    intent = api.get(f"/runtime/intents/{created['intent_id']}").json()
    assert intent["status"] == "reversed" and intent["states"][-1]["reason"] == "chargeback"
    assert api.balances(rails_.merchant)["posted"] == 0
    assert api.balances(rails_.customer)["posted"] == api.balances(rails_.customer)["available"] == 1_000_000
    assert postings_of(runtime, created["intent_id"]) == 4 + 3  # each posted posting swapped back once
