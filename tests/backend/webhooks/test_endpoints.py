"""Managing endpoints through the API: filters, keys shown once, rotation, states, validation."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone

import pytest

from backend.webhooks.endpoints import subscribed
from tests.conftest import Api


@pytest.mark.parametrize(
    "filters, event_type, expected",
    [
        (["*"], "ledger.entry.created", True),
        (["ledger.*"], "ledger.entry.created", True),
        (["ledger.entry.*"], "ledger.entry.posted", True),
        (["ledger.*"], "ledgers.x", False),
        (["ledger.*"], "ledger", False),
        (["hold.created"], "hold.created", True),
        (["hold.created"], "hold.captured", False),
        (["*"], "webhook.delivered", False),
    ],
)
def test_event_type_filters(filters, event_type, expected):
    assert subscribed(filters, event_type) is expected


def create(api: Api, **fields) -> dict:
    r = api.post("/webhook-endpoints", {"url": "https://hooks.example.com/zentra", "event_types": ["ledger.*"], **fields})
    assert r.status_code == 201, r.text
    return r.json()


def test_the_secret_is_shown_once_and_never_read_back(api):
    made = create(api)
    assert made["secret"].startswith("whsec_") and made["signing"] == "hmac" and made["public_key"] is None
    shown = api.get(f"/webhook-endpoints/{made['id']}").json()
    listed = api.get("/webhook-endpoints").json()
    assert "secret" not in shown and all("secret" not in e for e in listed["data"])
    assert listed["total"] == 1 and shown["health"]["state"] == "idle"


def test_ed25519_endpoints_publish_their_public_key(api):
    made = create(api, signing="ed25519")
    assert "secret" not in made and made["public_key"].startswith("whpk_")
    assert api.get(f"/webhook-endpoints/{made['id']}").json()["public_key"] == made["public_key"]


def test_rotation_answers_the_new_secret_and_when_the_old_one_stops(api):
    made = create(api)
    before = datetime.now(timezone.utc)
    rotated = api.post(f"/webhook-endpoints/{made['id']}/rotate-secret", {"overlap_seconds": 600}).json()
    assert rotated["secret"] != made["secret"]
    ends = datetime.fromisoformat(rotated["previous_key_expires_at"])
    assert before + timedelta(seconds=590) < ends < before + timedelta(seconds=660)
    again = api.post(f"/webhook-endpoints/{made['id']}/rotate-secret", {"overlap_seconds": 0}).json()
    assert again["previous_key_expires_at"] is None
    r = api.post(f"/webhook-endpoints/{made['id']}/rotate-secret", {"overlap_seconds": 8 * 86400})
    assert (r.status_code, r.json()["error"]["param"]) == (400, "overlap_seconds")


def test_update_disable_enable(api):
    made = create(api)
    updated = api.post(f"/webhook-endpoints/{made['id']}", {"url": "https://other.example.com/h", "event_types": ["hold.*", "account.created"], "rate_limit": 5}).json()
    assert (updated["url"], updated["event_types"], updated["rate_limit"]) == ("https://other.example.com/h", ["hold.*", "account.created"], 5)
    disabled = api.post(f"/webhook-endpoints/{made['id']}/disable", {}).json()
    assert disabled["status"] == "disabled" and disabled["disabled_reason"] == "disabled by request"
    assert api.post(f"/webhook-endpoints/{made['id']}/disable", {}).json()["error"]["code"] == "invalid_state_transition"
    since = datetime.now(timezone.utc).isoformat()
    refused = api.post(f"/webhook-endpoints/{made['id']}/recover", {"since": since})
    assert refused.json()["error"]["code"] == "invalid_state_transition"
    assert api.post(f"/webhook-endpoints/{made['id']}/recover", {"since": since, "dry_run": True}).status_code == 200
    enabled = api.post(f"/webhook-endpoints/{made['id']}/enable", {}).json()
    assert enabled["status"] == "enabled" and enabled["disabled_reason"] is None


@pytest.mark.parametrize(
    "body, param",
    [
        ({"url": "https://h.example.com/x", "event_types": []}, "event_types"),
        ({"url": "https://h.example.com/x", "event_types": "ledger.*"}, "event_types"),
        ({"url": "https://h.example.com/x", "event_types": ["ledger.*.x"]}, "event_types[0]"),
        ({"url": "https://h.example.com/x", "event_types": ["ok", "webhook.failed"]}, "event_types[1]"),
        ({"url": "https://h.example.com/x", "event_types": ["*"], "signing": "rsa"}, "signing"),
        ({"url": "https://h.example.com/x", "event_types": ["*"], "rate_limit": 0}, "rate_limit"),
        ({"url": "https://h.example.com/x", "event_types": ["*"], "secret": "mine"}, "secret"),
        ({"url": "ftp://h.example.com/x", "event_types": ["*"]}, "url"),
        ({"event_types": ["*"]}, "url"),
    ],
)
def test_bad_endpoints_are_refused_with_the_field(api, body, param):
    r = api.post("/webhook-endpoints", body)
    assert (r.status_code, r.json()["error"]["code"], r.json()["error"]["param"]) == (400, "validation_error", param)
    assert api.get("/webhook-endpoints").json()["total"] == 0


def test_live_endpoints_must_be_public_https(api_url, tenant):
    live = Api(api_url, tenant.live_key)
    for url in ("http://hooks.example.com/x", "https://127.0.0.1/x", "https://192.168.1.2/x", "https://localhost:8443/x", "https://169.254.169.254/latest"):
        r = live.post("/webhook-endpoints", {"url": url, "event_types": ["*"]})
        assert (r.status_code, r.json()["error"]["param"]) == (400, "url"), url
    assert live.post("/webhook-endpoints", {"url": "https://hooks.example.com/x", "event_types": ["*"]}).status_code == 201


def test_recover_and_history_check_their_inputs(api):
    made = create(api)
    old = (datetime.now(timezone.utc) - timedelta(days=8)).isoformat()
    r = api.post(f"/webhook-endpoints/{made['id']}/recover", {"since": old, "dry_run": True})
    assert (r.status_code, r.json()["error"]["param"]) == (400, "since")
    r = api.get(f"/webhook-endpoints/{made['id']}/attempts", params={"status": "maybe"})
    assert (r.status_code, r.json()["error"]["param"]) == (400, "status")
    assert api.get("/webhook-endpoints/we_0000000000000000000000000000").status_code == 404


def test_a_replayed_create_answers_the_same_endpoint_and_secret(api):
    body = {"url": "https://hooks.example.com/x", "event_types": ["*"]}
    first = api.post("/webhook-endpoints", body, key="create-once")
    second = api.post("/webhook-endpoints", body, key="create-once")
    assert second.headers["idempotent-replayed"] == "true" and second.content == first.content
    assert api.get("/webhook-endpoints").json()["total"] == 1
