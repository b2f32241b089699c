"""Provider callbacks over HTTP: verified before anything is touched, applied at most once, and
every duplicate, out-of-order, stale or refused callback recorded with why."""

from __future__ import annotations

import base64
import time
from collections import Counter
from concurrent.futures import ThreadPoolExecutor

import orjson
import pytest
from sqlalchemy import func, select

from backend.db import transactions
from backend.db.tables import AuditRecord, Posting
from tests.backend.providers.support import (
    body,
    deliver,
    register,
    send,
    signed_headers,
)


@pytest.fixture
def provider(api) -> dict:
    return register(api)


@pytest.fixture
def hold(api) -> dict:
    _, customer = api.funded_account(10_000)
    r = api.post("/holds", {"account": customer, "amount_minor": 4_000, "ttl_seconds": 600, "reason": "card authorization", "source_request": "req_auth"})
    assert r.status_code == 201, r.text
    return r.json()


def resolutions(runtime, hold: dict) -> int:
    """Ledger effects on the hold: postings that resolve its pending posting."""
    query = select(func.count()).select_from(Posting).where(Posting.pending_posting_id == hold["posting_id"])
    return transactions.read(runtime.db, lambda s: s.execute(query).scalar_one())


def denials(runtime, tenant_id: str) -> list[AuditRecord]:
    query = select(AuditRecord).where(AuditRecord.chain == tenant_id, AuditRecord.action == "provider.callback.denied").order_by(AuditRecord.id)
    return list(transactions.read(runtime.db, lambda s: s.execute(query).scalars().all()))


def state(api, hold: dict) -> dict:
    """What a callback could change: the hold, its account's balances and the tenant's events."""
    return {
        "hold": api.get(f"/holds/{hold['id']}").json(),
        "balances": api.balances(hold["account"]),
        "events": [e["id"] for e in api.get("/events", params={"limit": 100}).json()["data"]],
    }


def test_a_settled_callback_captures_the_hold_and_a_copy_is_a_duplicate(api, api_url, runtime, provider, hold):
    payload = body(hold["id"])
    headers = signed_headers(provider["secret"], payload)
    first = send(api_url, provider["id"], payload, headers)
    assert first.status_code == 200, first.text
    receipt = first.json()
    assert (receipt["outcome"], receipt["reason"], receipt["reference"], receipt["sequence"]) == ("applied", None, hold["id"], 1)
    captured = api.get(f"/holds/{hold['id']}").json()
    assert captured["status"] == "captured" and captured["captured_minor"] == 4_000
    assert captured["history"][-1]["source_request"] == receipt["id"]
    assert api.balances(hold["account"]) == {"posted": 6_000, "pending": 0, "available": 6_000}
    before = state(api, hold)
    again = send(api_url, provider["id"], payload, headers)
    assert again.status_code == 200
    assert (again.json()["outcome"], again.json()["duplicate_of"]) == ("duplicate", receipt["id"])
    assert state(api, hold) == before and resolutions(runtime, hold) == 1


def test_a_settled_callback_with_an_amount_captures_part(api, api_url, provider, hold):
    r = deliver(api_url, provider, body(hold["id"], amount_minor=1_500))
    assert r.json()["outcome"] == "applied"
    assert api.get(f"/holds/{hold['id']}").json()["captured_minor"] == 1_500
    assert api.balances(hold["account"]) == {"posted": 8_500, "pending": 0, "available": 8_500}


def test_a_failed_callback_releases_the_hold(api, api_url, provider, hold):
    assert deliver(api_url, provider, body(hold["id"], "hold.failed")).json()["outcome"] == "applied"
    assert api.get(f"/holds/{hold['id']}").json()["status"] == "released"
    assert api.balances(hold["account"]) == {"posted": 10_000, "pending": 0, "available": 10_000}


def test_twenty_concurrent_copies_apply_once(api, api_url, runtime, provider, hold):
    payload = body(hold["id"])
    headers = signed_headers(provider["secret"], payload)
    with ThreadPoolExecutor(20) as pool:
        answers = list(pool.map(lambda _: send(api_url, provider["id"], payload, headers), range(20)))
    assert {r.status_code for r in answers} == {200}
    outcomes = Counter(r.json()["outcome"] for r in answers)
    assert outcomes == {"applied": 1, "duplicate": 19}
    applied = next(r.json()["id"] for r in answers if r.json()["outcome"] == "applied")
    assert {r.json()["duplicate_of"] for r in answers if r.json()["outcome"] == "duplicate"} == {applied}
    history = api.get(f"/holds/{hold['id']}").json()["history"]
    assert [a["action"] for a in history] == ["created", "captured"]
    assert resolutions(runtime, hold) == 1
    receipts = api.get(f"/providers/{provider['id']}/callbacks", params={"limit": 100}).json()
    assert receipts["total"] == 20 and Counter(r["outcome"] for r in receipts["data"]) == outcomes


def test_copies_racing_a_later_callback_leave_one_state_change_and_one_ledger_effect(api, api_url, runtime, provider, hold):
    """20 copies of sequence 1 (failed) and 20 of sequence 2 (settled), all at once: whichever
    lands first applies, and the other message is out of order (1 after 2) or stale (2 on a
    released hold); every copy past the first of each message is a duplicate."""
    early, late = body(hold["id"], "hold.failed", sequence=1), body(hold["id"], "hold.settled", sequence=2)
    sends = [(early, signed_headers(provider["secret"], early)), (late, signed_headers(provider["secret"], late))] * 20
    with ThreadPoolExecutor(20) as pool:
        answers = [r.json() for r in pool.map(lambda m: send(api_url, provider["id"], *m), sends)]
    outcomes = Counter((a["sequence"], a["outcome"]) for a in answers)
    assert sum(n for (_, outcome), n in outcomes.items() if outcome == "applied") == 1
    final = api.get(f"/holds/{hold['id']}").json()
    if final["status"] == "captured":
        assert outcomes == {(2, "applied"): 1, (2, "duplicate"): 19, (1, "out_of_order"): 1, (1, "duplicate"): 19}
    else:
        assert final["status"] == "released"
        assert outcomes == {(1, "applied"): 1, (1, "duplicate"): 19, (2, "stale"): 1, (2, "duplicate"): 19}
    assert len(final["history"]) == 2 and resolutions(runtime, hold) == 1


def test_an_earlier_sequence_after_a_later_one_is_out_of_order(api, api_url, runtime, provider, hold):
    assert deliver(api_url, provider, body(hold["id"], "hold.settled", sequence=7)).json()["outcome"] == "applied"
    before = state(api, hold)
    late = deliver(api_url, provider, body(hold["id"], "hold.failed", sequence=6)).json()
    assert late["outcome"] == "out_of_order" and "not after 7" in late["reason"]
    same = deliver(api_url, provider, body(hold["id"], "hold.failed", sequence=7)).json()
    assert same["outcome"] == "out_of_order"
    assert state(api, hold) == before and resolutions(runtime, hold) == 1


def test_a_release_after_a_capture_is_stale(api, api_url, runtime, provider, hold):
    assert deliver(api_url, provider, body(hold["id"], "hold.settled", sequence=1)).json()["outcome"] == "applied"
    before = state(api, hold)
    stale = deliver(api_url, provider, body(hold["id"], "hold.failed", sequence=2)).json()
    assert stale["outcome"] == "stale" and stale["reason"].startswith("invalid_state_transition")
    assert state(api, hold) == before and resolutions(runtime, hold) == 1


@pytest.mark.parametrize(
    "payload,reason",
    [
        (b"not json", "invalid_request"),
        (b"[1, 2]", "invalid_request"),
        (orjson.dumps({"type": "hold.refunded", "reference": "hold_x", "sequence": 1, "occurred_at": "2026-01-01T00:00:00Z"}), "validation_error"),
        (orjson.dumps({"type": ["hold.settled"], "reference": "hold_x", "sequence": 1, "occurred_at": "2026-01-01T00:00:00Z"}), "validation_error"),
        (orjson.dumps({"type": "hold.settled", "reference": "hold_x", "sequence": True, "occurred_at": "2026-01-01T00:00:00Z"}), "validation_error"),
        (orjson.dumps({"type": "hold.settled", "reference": "hold_x", "sequence": 1}), "validation_error"),
        (orjson.dumps({"type": "hold.failed", "reference": "hold_x", "sequence": 1, "occurred_at": "2026-01-01T00:00:00Z", "amount_minor": 5}), "validation_error"),
        (orjson.dumps({"type": "hold.settled", "reference": "hold_0000000000000000000000000000", "sequence": 1, "occurred_at": "2026-01-01T00:00:00Z"}), "unknown_reference"),
    ],
)
def test_a_verified_callback_that_cannot_apply_is_rejected_and_recorded(api, api_url, provider, hold, payload, reason):
    before = state(api, hold)
    r = deliver(api_url, provider, payload)
    assert r.status_code == 200 and r.json()["outcome"] == "rejected" and r.json()["reason"].startswith(reason)
    assert state(api, hold) == before
    assert api.get(f"/providers/{provider['id']}/callbacks").json()["data"][0]["id"] == r.json()["id"]


def test_an_amount_above_the_hold_is_rejected_by_the_hold_rules(api, api_url, runtime, provider, hold):
    r = deliver(api_url, provider, body(hold["id"], amount_minor=4_001)).json()
    assert r["outcome"] == "rejected" and r["reason"].startswith("amount_out_of_range")
    assert api.get(f"/holds/{hold['id']}").json()["status"] == "active" and resolutions(runtime, hold) == 0


def _forged(provider: dict, payload: bytes) -> dict[str, dict[str, str]]:
    good = signed_headers(provider["secret"], payload)
    stranger = "whsec_" + base64.b64encode(b"x" * 32).decode()
    return {
        "wrong_secret": signed_headers(stranger, payload),
        "tampered_body": signed_headers(provider["secret"], payload + b" "),
        "other_id": {**good, "webhook-id": "msg_other"},
        "other_timestamp": {**good, "webhook-timestamp": str(int(good["webhook-timestamp"]) - 1)},
        "garbage_signature": {**good, "webhook-signature": "v1,not-base64!"},
        "unsigned_version": {**good, "webhook-signature": good["webhook-signature"].replace("v1,", "v1a,")},
        "no_id": {k: v for k, v in good.items() if k != "webhook-id"},
        "no_timestamp": {k: v for k, v in good.items() if k != "webhook-timestamp"},
        "no_signature": {k: v for k, v in good.items() if k != "webhook-signature"},
        "odd_timestamp": {**good, "webhook-timestamp": "1e9"},
        "api_key_instead": {"authorization": "Bearer zk_test_anything"},
    }


def test_refused_signatures_change_nothing_and_are_recorded(api, api_url, runtime, tenant, provider, hold):
    payload = body(hold["id"])
    before = state(api, hold)
    forged = _forged(provider, payload)
    for name, headers in forged.items():
        r = send(api_url, provider["id"], payload, headers)
        assert (r.status_code, r.json()["error"]["code"]) == (400, "signature_invalid"), name
    assert state(api, hold) == before
    assert api.get(f"/providers/{provider['id']}/callbacks").json()["total"] == 0
    records = denials(runtime, tenant.tenant_id)
    assert len(records) == len(forged)
    for record in records:
        assert (record.actor, record.role, record.object_id, record.mode) == (f"provider:{provider['id']}", "provider", provider["id"], "sandbox")
        assert orjson.loads(record.policy_json) == {"decision": "denied", "reason": "signature_invalid"}
        assert record.scope == "POST /v1/providers/{provider_id}/callbacks" and record.request_id


# A timestamp ahead of the server's clock comes closer while the request is in flight: +330, not
# +301, so a request that takes over a second on a loaded machine is still outside the window.
@pytest.mark.parametrize("skew", [-301, 330, -3600, 10**9])
def test_a_timestamp_outside_five_minutes_is_refused_and_recorded(api, api_url, runtime, tenant, provider, hold, skew):
    before = state(api, hold)
    r = deliver(api_url, provider, body(hold["id"]), timestamp=int(time.time()) + skew)
    assert (r.status_code, r.json()["error"]["code"]) == (400, "timestamp_out_of_tolerance")
    assert state(api, hold) == before
    assert [orjson.loads(d.policy_json)["reason"] for d in denials(runtime, tenant.tenant_id)] == ["timestamp_out_of_tolerance"]


def test_a_timestamp_within_five_minutes_is_accepted(api_url, provider, hold):
    assert deliver(api_url, provider, body(hold["id"]), timestamp=int(time.time()) - 290).json()["outcome"] == "applied"


def test_an_unknown_provider_is_not_found(api_url, provider, hold):
    payload = body(hold["id"])
    r = send(api_url, "prv_0000000000000000000000000000", payload, signed_headers(provider["secret"], payload))
    assert (r.status_code, r.json()["error"]["code"]) == (404, "not_found")


def test_a_rotated_secret_keeps_verifying_until_its_overlap_ends(api, api_url, provider, hold):
    old = provider["secret"]
    rotated = api.post(f"/providers/{provider['id']}/rotate-secret", {"overlap_seconds": 3600})
    assert rotated.status_code == 200, rotated.text
    new = rotated.json()["secret"]
    assert new != old and rotated.json()["previous_secret_expires_at"] is not None
    assert "secret" not in api.get(f"/providers/{provider['id']}").json()
    assert deliver(api_url, {**provider, "secret": old}, body(hold["id"], "hold.settled", sequence=1)).json()["outcome"] == "applied"
    assert deliver(api_url, {**provider, "secret": new}, body(hold["id"], "hold.failed", sequence=2)).json()["outcome"] == "stale"
    again = api.post(f"/providers/{provider['id']}/rotate-secret", {"overlap_seconds": 0}).json()
    assert again["previous_secret_expires_at"] is None
    for secret in (old, new):
        r = deliver(api_url, {**provider, "secret": secret}, body(hold["id"], sequence=3))
        assert r.json()["error"]["code"] == "signature_invalid"
    assert deliver(api_url, {**provider, "secret": again["secret"]}, body(hold["id"], sequence=3)).json()["outcome"] == "stale"


def test_a_provider_is_registered_with_its_secret_shown_once(api, provider):
    assert provider["id"].startswith("prv_") and provider["secret"].startswith("whsec_")
    assert provider["callback_url"] == f"/v1/providers/{provider['id']}/callbacks" and provider["event"] == "provider.created"
    shown = api.get(f"/providers/{provider['id']}").json()
    assert shown["name"] == "Acme Pay" and shown["mode"] == "sandbox" and "secret" not in shown
    assert api.post("/providers", {"name": ""}).json()["error"]["code"] == "validation_error"


def test_concurrent_copies_of_a_callback_that_locks_nothing_are_still_duplicates(api_url, provider):
    """A reference that does not exist locks no row: the unique first receipt per webhook-id is
    what turns the racing copies into duplicates."""
    payload = body("hold_0000000000000000000000000000")
    headers = signed_headers(provider["secret"], payload)
    with ThreadPoolExecutor(10) as pool:
        answers = [r.json() for r in pool.map(lambda _: send(api_url, provider["id"], payload, headers), range(10))]
    assert Counter(a["outcome"] for a in answers) == {"rejected": 1, "duplicate": 9}
