"""`consumer-outage`: the tenant's webhook consumer answers 503; deliveries back off on the
sandbox schedule, the intent shows `retrying`, and once the consumer is back a replay delivers
what it missed (the schedule's next retry, or a resend once retries are spent), without touching
the ledger a second time."""

from __future__ import annotations

import secrets
from datetime import datetime, timedelta, timezone

from backend.sandbox.scenarios.rehearsal import Client, Rehearsal, until
from backend.sandbox.scenarios.steps import AMOUNT, pay
from backend.sandbox.scenarios.verdict import Verdict

FAILED_ATTEMPTS = 2
# The consumer hears of the intent at `intent.accepted`, and the provider settles seconds later, so
# the failed attempts are on record while the intent is still moving (evidence waits for every
# message's first attempt, then follows the delivery: see `backend.intents.evidencer`).
SETTLE_LATENCY_MS = 3_000
WAIT_SECONDS = 60


def _receiver(r: Rehearsal, name: str, status: int) -> dict:
    return r.api.ok(r.api.http.put(f"{r.base_url}/sandbox/receivers/{name}", json={"status": status}))


def _attempts(client: Client, endpoint_id: str) -> list[dict]:
    return client.ok(client.get(f"/webhook-endpoints/{endpoint_id}/attempts", limit=100))["data"]


def _message(client: Client, endpoint_id: str) -> dict | None:
    messages = client.ok(client.get(f"/webhook-endpoints/{endpoint_id}/messages", limit=10))["data"]
    return messages[0] if messages else None


def consumer_outage(r: Rehearsal, v: Verdict) -> None:
    name = f"outage-{secrets.token_hex(4)}"
    receiver = _receiver(r, name, 503)
    endpoint = r.api.ok(r.api.post("/webhook-endpoints", {"url": receiver["url"], "event_types": ["intent.accepted"]}))
    v.evidence["endpoint_id"] = endpoint["id"]
    try:
        r.route("XC-XO", r.provider("Rehearsal slow provider", latency_ms=SETTLE_LATENCY_MS))
        created, merchant = pay(r, "XC-XO")
        v.evidence["intent_id"] = created["intent_id"]
        failing = until(lambda: _attempts(r.api, endpoint["id"]), lambda found: len(found) >= FAILED_ATTEMPTS, WAIT_SECONDS)
        kinds = [(a["response_code"], a["error_kind"]) for a in reversed(failing)]
        v.check("deliveries back off while the consumer is down", len(failing) >= FAILED_ATTEMPTS and all(code == 503 for code, _ in kinds), f"attempts {kinds}, next at {failing[0]['next_attempt_at'] if failing else None}")
        behind = r.wait_for(created["intent_id"], {"retrying"}, WAIT_SECONDS)
        v.check("intent shows delivery behind", behind["status"] == "retrying", f"status {behind['status']}")
        _receiver(r, name, 200)
        since = (datetime.now(timezone.utc) - timedelta(minutes=10)).isoformat()
        counted = r.api.ok(r.api.post(f"/webhook-endpoints/{endpoint['id']}/recover", {"since": since, "dry_run": True}))
        message = _message(r.api, endpoint["id"])
        if message["status"] == "failed":
            r.api.ok(r.api.post(f"/webhook-endpoints/{endpoint['id']}/messages/{message['id']}/resend"), 200, 202)
        delivered = until(lambda: _message(r.api, endpoint["id"]), lambda m: m["status"] == "delivered", WAIT_SECONDS)
        v.check("delivered once the consumer is back", delivered["status"] == "delivered", f"message {delivered['status']} after {delivered['attempts']} attempts (dry run counted {counted['would_send']} to send, {counted['already_acknowledged']} acknowledged)")
    finally:
        _receiver(r, name, 200)
    done = r.wait_for(created["intent_id"], {"evidenced"}, WAIT_SECONDS)
    v.check("intent evidenced after recovery", done["status"] == "evidenced", f"path {' > '.join(s['state'] for s in done['states'])}")
    posted = r.balances(merchant)["posted"]
    v.check("no second ledger effect", posted == AMOUNT, f"merchant posted {posted} for one payment of {AMOUNT}")
    valid, said, contents = r.verified_packet(created["intent_id"])
    attempts = [a["status"] for a in contents.get("webhook_attempts", {}).get("data", [])]
    v.check("evidence keeps every attempt and verifies", valid and "failed" in attempts and attempts[-1] == "succeeded", f"{said}; attempts in packet {attempts}")
