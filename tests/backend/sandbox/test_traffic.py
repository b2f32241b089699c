"""The traffic generator's choices: seeded, repeatable, a realistic mix, always a valid request."""

from __future__ import annotations

from collections import Counter

import pytest

from backend.intents.requests import parse_runtime_intent
from backend.sandbox.traffic import Book, next_intent

BOOKS = [
    Book("USD", ("acct_c1", "acct_c2", "acct_c3"), ("acct_m1", "acct_m2")),
    Book("JPY", ("acct_jc1", "acct_jc2"), ("acct_jm1",)),
]


def test_the_same_seed_and_number_give_the_same_intent():
    assert next_intent(7, 42, BOOKS) == next_intent(7, 42, BOOKS)
    assert next_intent(7, 42, BOOKS) != next_intent(8, 42, BOOKS)
    assert next_intent(7, 42, BOOKS)["intent_id"] == "intent_sbx_7_42"


def test_a_thousand_intents_are_valid_requests_with_a_realistic_mix():
    bodies = [next_intent(7, n, BOOKS) for n in range(1000)]
    requests = [parse_runtime_intent(dict(body)) for body in bodies]
    kinds = Counter(r.kind for r in requests)
    assert set(kinds) == {"payment", "card_authorization", "transfer", "payout"}
    assert 400 < kinds["payment"] < 600 and kinds["payout"] > 80
    assert {r.currency for r in requests} == {"USD", "JPY"}
    usd = [r.amount_minor for r in requests if r.currency == "USD"]
    over_review = sum(1 for a in usd if a > 100_000)
    assert 0 < over_review < len(usd) * 0.06  # a few need a person, most flow straight through
    for r in requests:
        if r.kind in ("payment", "transfer"):
            assert r.destination.startswith("acct_") and r.destination != r.source
        else:
            assert r.destination.startswith(("card:", "bank:")) and r.counterparty


def test_yen_amounts_are_scaled_to_comparable_value():
    yen = [next_intent(7, n, BOOKS) for n in range(400)]
    small = sorted(b["amount_minor"] for b in yen if b["currency"] == "JPY")
    assert small[len(small) // 2] > 5_000  # a median payment of thousands of yen, not a few yen


def test_without_customers_and_merchants_there_is_nothing_to_send():
    with pytest.raises(ValueError, match="customer and merchant"):
        next_intent(7, 0, [Book("USD", ("acct_c1",), ())])
