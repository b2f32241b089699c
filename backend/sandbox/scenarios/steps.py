"""Steps several scenarios share: a payment on a corridor of the scenario's own, and the checks
that it moved money once and that its evidence verifies."""

from __future__ import annotations

import secrets

from backend.sandbox.scenarios.rehearsal import Rehearsal
from backend.sandbox.scenarios.verdict import Verdict

AMOUNT = 12_500


def pay(r: Rehearsal, corridor: str, amount: int = AMOUNT) -> tuple[dict, str]:
    """A USD payment on `corridor` from a fresh funded customer to a fresh merchant; answers
    (the created intent, the merchant's account id)."""
    customer = r.funded_customer("USD", amount * 4)
    merchant = r.account("USD", "rehearsal_merchant", "merchant")
    body = {"intent_id": f"intent_rehearsal_{secrets.token_hex(6)}", "kind": "payment", "amount_minor": amount, "currency": "USD", "source": customer, "destination": merchant, "corridor": corridor, "scope": "sandbox_rehearsal"}
    return r.api.ok(r.api.post("/runtime/intents", body)), merchant


def settled_once(r: Rehearsal, v: Verdict, intent_id: str, merchant: str, amount: int) -> None:
    """The merchant was paid `amount` exactly once, and the intent's packet verifies."""
    posted = r.balances(merchant)["posted"]
    v.check("one ledger effect", posted == amount, f"merchant posted balance {posted} for one payment of {amount}")
    evidence_verifies(r, v, intent_id)


def evidence_verifies(r: Rehearsal, v: Verdict, intent_id: str) -> None:
    valid, said, _ = r.verified_packet(intent_id)
    v.check("evidence verifies offline", valid, said)
