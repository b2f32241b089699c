"""`provider-failover`: the first provider on a corridor fails every submission; the router
fails over to the next and records both in the corridor decision."""

from __future__ import annotations

from backend.sandbox.scenarios.rehearsal import Rehearsal
from backend.sandbox.scenarios.steps import AMOUNT, pay, settled_once
from backend.sandbox.scenarios.verdict import Verdict


def provider_failover(r: Rehearsal, v: Verdict) -> None:
    down = r.provider("Rehearsal provider down", failure_rate=1.0)
    up = r.provider("Rehearsal provider up")
    r.route("XF-XG", down, up)
    created, merchant = pay(r, "XF-XG")
    intent = r.wait_for(created["intent_id"], {"evidenced", "failed"})
    v.evidence["intent_id"] = created["intent_id"]
    v.check("completed on the second provider", intent["status"] == "evidenced" and intent["provider_id"] == up["id"], f"status {intent['status']} via {intent['provider_id']}")
    tried = [(step["provider_id"], step["result"]) for step in intent["routing"]]
    v.check("corridor decision names both", (down["id"], "failed") in tried and (up["id"], "accepted") in tried, f"routing attempts {tried}")
    settled_once(r, v, created["intent_id"], merchant, AMOUNT)
