"""`replay-storm`: a client that sends every request ten times at once, with one idempotency key
per request. Each request must act once; every copy gets the first answer (byte for byte, marked
`Idempotent-Replayed`) or `409 request_in_progress` with `Retry-After`."""

from __future__ import annotations

import secrets
from concurrent.futures import ThreadPoolExecutor

import httpx

from backend.sandbox.scenarios.rehearsal import Rehearsal
from backend.sandbox.scenarios.verdict import Verdict

COPIES = 10
AMOUNT = 1_000


def _storm(r: Rehearsal, path: str, body: dict) -> list[httpx.Response]:
    """`COPIES` concurrent sends of one request with one idempotency key."""
    key = f"storm_{secrets.token_hex(8)}"
    clients = [r.client(r.cast.sandbox_api_key) for _ in range(COPIES)]
    with ThreadPoolExecutor(COPIES) as pool:
        return list(pool.map(lambda c: c.post(path, body, key=key), clients))


def _judge(v: Verdict, what: str, answers: list[httpx.Response]) -> dict | None:
    """One first answer, the rest replays of it or 409s; answers the first answer's body."""
    done = [a for a in answers if a.status_code in (200, 201)]
    busy = [a for a in answers if a.status_code == 409 and a.json()["error"]["code"] == "request_in_progress"]
    firsts = [a for a in done if a.headers.get("idempotent-replayed") != "true"]
    same = len({a.content for a in done}) == 1
    v.check(f"{what}: acted once", len(firsts) == 1 and same and len(done) + len(busy) == COPIES, f"{len(firsts)} first answer, {len(done) - len(firsts)} identical replays, {len(busy)} request_in_progress, of {COPIES}")
    return firsts[0].json() if len(firsts) == 1 else None


def replay_storm(r: Rehearsal, v: Verdict) -> None:
    r.route("XR-XS", r.provider("Rehearsal provider"))
    customer = r.funded_customer("USD", AMOUNT * 100)
    merchant = r.account("USD", "rehearsal_merchant", "merchant")
    posting = _judge(v, "ledger entry", _storm(r, "/ledger-entries", {"debit": customer, "credit": merchant, "amount_minor": AMOUNT}))
    intent_id = f"intent_rehearsal_{secrets.token_hex(6)}"
    intent = _judge(v, "payment intent", _storm(r, "/runtime/intents", {"intent_id": intent_id, "kind": "payment", "amount_minor": AMOUNT, "currency": "USD", "source": customer, "destination": merchant, "corridor": "XR-XS", "scope": "sandbox_rehearsal"}))
    v.evidence.update({"posting_id": (posting or {}).get("posting_id"), "intent_id": intent_id})
    status = r.wait_for(intent_id, {"evidenced", "failed"})["status"] if intent is not None else "not created"
    posted = r.balances(merchant)["posted"]
    v.check("one ledger effect each", status == "evidenced" and posted == 2 * AMOUNT, f"merchant posted {posted} after one entry of {AMOUNT} and one payment of {AMOUNT} (intent {status})")
