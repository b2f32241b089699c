"""`high-value-review`: an intent over the dual-approval threshold waits for people: its maker
may not approve it, one checker is not enough, two different checkers are."""

from __future__ import annotations

import secrets

from backend.sandbox.scenarios.rehearsal import Client, Rehearsal
from backend.sandbox.scenarios.steps import evidence_verifies
from backend.sandbox.scenarios.verdict import Verdict

CURRENCY = "USD"


def _threshold(rules: dict, name: str) -> int | None:
    table = rules.get(name) or {}
    return table.get(CURRENCY, table.get("*"))


def _approve(client: Client, review_id: str, reason_code: str):
    claimed = client.ok(client.post(f"/reviews/{review_id}/claim"))
    return client.post(f"/reviews/{review_id}/approve", {"reviewed_hash": claimed["review_hash"], "reason_code": reason_code})


def high_value_review(r: Rehearsal, v: Verdict) -> None:
    rules = r.api.ok(r.api.get("/policy"))["rules"]
    threshold = _threshold(rules, "dual_approval_threshold") or _threshold(rules, "review_threshold")
    if not v.check("policy has a review threshold", threshold is not None, f"{CURRENCY} threshold {threshold}"):
        return
    amount = threshold + 1
    maker, checker, second = r.as_player("maker"), r.as_player("checker"), r.as_player("second_checker")
    customer = r.funded_customer(CURRENCY, amount * 2)
    merchant = r.account(CURRENCY, "rehearsal_merchant", "merchant")
    body = {"intent_id": f"intent_rehearsal_{secrets.token_hex(6)}", "kind": "payment", "amount_minor": amount, "currency": CURRENCY, "source": customer, "destination": merchant, "scope": "sandbox_rehearsal"}
    held = maker.ok(maker.post("/runtime/intents", body))
    v.evidence["intent_id"] = held["intent_id"]
    if not v.check("held for review", held["status"] == "review", f"status {held['status']}, policy {held.get('policy', {}).get('reason')}"):
        return
    review_id, needed = held["review"]["id"], held["review"]["required_approvals"]
    v.check("nothing moved before a decision", r.balances(customer)["available"] == amount * 2, "customer's available balance unchanged")
    refused = _approve(maker, review_id, "verified_customer")
    v.check("maker may not approve", refused.status_code == 403, f"{refused.status_code} {refused.json().get('error', {}).get('message', '')}")
    maker.ok(maker.post(f"/reviews/{review_id}/release"))
    first = checker.ok(_approve(checker, review_id, "verified_customer"))
    if needed > 1:
        v.check("one approval is not enough", first["status"] == "open", f"after one approval the review is {first['status']} ({len(first['approvals'])}/{needed})")
        first = second.ok(_approve(second, review_id, "within_risk_appetite"))
    v.check("approved by different people", first["status"] == "approved" and len({a["approver"] for a in first["approvals"]}) == needed, f"{len(first['approvals'])} approvals for {needed} required")
    intent = r.wait_for(held["intent_id"], {"evidenced", "failed"})
    v.check("then completes", intent["status"] == "evidenced", f"path {' > '.join(s['state'] for s in intent['states'])}")
    evidence_verifies(r, v, held["intent_id"])
