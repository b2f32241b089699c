"""`hold-expiry`: a hold nobody captures or releases expires by itself at its time, and the funds
come back to `available` with the expiry in the hold's history
(and a `hold.expired` event)."""

from __future__ import annotations

from backend.sandbox.scenarios.rehearsal import Rehearsal, until
from backend.sandbox.scenarios.verdict import Verdict

FUNDS, HELD, TTL_SECONDS = 50_000, 20_000, 3


def hold_expiry(r: Rehearsal, v: Verdict) -> None:
    customer = r.funded_customer("USD", FUNDS)
    hold = r.api.ok(r.api.post("/holds", {"account": customer, "amount_minor": HELD, "ttl_seconds": TTL_SECONDS, "reason": "rehearsal authorization", "source_request": "sandbox_rehearsal"}))
    v.evidence["hold_id"] = hold["id"]
    during = r.balances(customer)
    v.check("funds held", during["available"] == FUNDS - HELD, f"available {during['available']} of {FUNDS} while {HELD} is held")
    final = until(lambda: r.api.ok(r.api.get(f"/holds/{hold['id']}")), lambda h: h["status"] != "active", TTL_SECONDS + 20)
    v.check("expired by itself", final["status"] == "expired", f"hold status {final['status']} (expires_at {final.get('expires_at')})")
    after = r.balances(customer)
    v.check("funds released", after["available"] == FUNDS and after["pending"] == 0, f"available {after['available']}, pending {after['pending']}")
    history = [(a["action"], a["reason"]) for a in final.get("history", [])]
    v.check("expiry kept in the hold's history", any(action == "expired" for action, _ in history), f"history {history}")
