"""An intent packet's screening matches: verified as the subject's, tampering caught, and packets
made before screening existed still verify."""

from __future__ import annotations

import orjson
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from backend.db import transactions
from backend.evidence.verification import verify_packet
from backend.screening.lists import parse_csv, replace_list
from tests.backend.evidence.support import fetch, resign, rewrite


def held_intent(api, runtime, tenant) -> str:
    """An intent held for a screening match in the key's tenant."""
    transactions.write(runtime.db, lambda s: replace_list(s, tenant.sandbox, "Sanctions", "test", parse_csv("name\nJohn Smith\n"), runtime.now()))
    _, customer = api.funded_account(10_000)
    body = {"kind": "payment", "amount_minor": 100, "currency": "USD", "source": customer, "destination": api.account(), "counterparty": "Jon Smyth"}
    intent = api.post("/runtime/intents", body).json()
    assert intent["status"] == "review", intent
    return intent["intent_id"]


def test_a_changed_match_fails_and_a_match_moved_to_another_intent_fails_even_re_signed(api, runtime, tenant):
    raw = fetch(api, held_intent(api, runtime, tenant))
    assert verify_packet(raw).ok

    def rescore(document: dict) -> None:
        document["packet"]["contents"]["screening"]["data"][0]["score"] = 60

    assert "digest does not match" in verify_packet(rewrite(raw, rescore)).problem

    def moved(packet: dict) -> None:
        packet["contents"]["screening"]["data"][0]["intent_id"] = "intent_other"

    subject = orjson.loads(raw)["packet"]["subject"]["id"]
    forged = verify_packet(resign(raw, Ed25519PrivateKey.generate(), moved))
    assert forged.problem == f"contents screening #1 is not a screening match of intent {subject!r}"


def test_a_packet_without_screening_contents_as_made_before_screening_still_verifies(api, runtime, tenant):
    raw = fetch(api, held_intent(api, runtime, tenant))
    older = resign(raw, Ed25519PrivateKey.generate(), lambda packet: packet["contents"].pop("screening"))
    assert verify_packet(older).ok
