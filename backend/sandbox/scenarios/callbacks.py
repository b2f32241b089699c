"""`duplicate-callback` and `out-of-order-callbacks`: a provider that repeats or reorders its
callbacks, and a ledger that moves once."""

from __future__ import annotations

from backend.sandbox.scenarios.rehearsal import Rehearsal
from backend.sandbox.scenarios.steps import AMOUNT, pay, settled_once
from backend.sandbox.scenarios.verdict import Verdict


def duplicate_callback(r: Rehearsal, v: Verdict) -> None:
    provider = r.provider("Rehearsal duplicating provider", duplicate_rate=1.0)
    r.route("XA-XD", provider)
    created, merchant = pay(r, "XA-XD")
    intent = r.wait_for(created["intent_id"], {"evidenced", "failed"})
    v.evidence["intent_id"] = created["intent_id"]
    v.check("intent evidenced", intent["status"] == "evidenced", f"status {intent['status']}")
    callbacks = r.api.ok(r.api.get(f"/providers/{provider['id']}/callbacks", limit=100))["data"]
    outcomes = sorted(c["outcome"] for c in callbacks)
    v.check("duplicate received and refused", outcomes.count("applied") == 1 and "duplicate" in outcomes, f"callback outcomes {outcomes}")
    settled_once(r, v, created["intent_id"], merchant, AMOUNT)


def out_of_order_callbacks(r: Rehearsal, v: Verdict) -> None:
    provider = r.provider("Rehearsal reordering provider", out_of_order_rate=1.0)
    r.route("XA-XO", provider)
    created, merchant = pay(r, "XA-XO")
    intent = r.wait_for(created["intent_id"], {"evidenced", "failed", "reversed"})
    v.evidence["intent_id"] = created["intent_id"]
    v.check("settlement stands", intent["status"] == "evidenced", f"status {intent['status']} after a stale intent.failed arrived late")
    callbacks = r.api.ok(r.api.get(f"/providers/{provider['id']}/callbacks", limit=100))["data"]
    stale = [c for c in callbacks if c["outcome"] in ("stale", "out_of_order")]
    v.check("stale callback recorded with why", bool(stale), stale[0]["reason"] if stale else f"outcomes {[c['outcome'] for c in callbacks]}")
    settled_once(r, v, created["intent_id"], merchant, AMOUNT)
