"""Sandbox provider behaviour: parsing refuses what it cannot play, and every decision is a pure
function of (provider, reference, attempt)."""

from __future__ import annotations

from collections import Counter

import pytest

from backend.errors import ZentraError
from backend.sandbox.behaviour import Behaviour, decide, parse_behaviour


def test_missing_keys_take_their_defaults_and_to_dict_round_trips():
    behaviour = parse_behaviour({"failure_rate": 0.25, "latency_ms": 0})
    assert behaviour == Behaviour(latency_ms=0, failure_rate=0.25)
    assert parse_behaviour(behaviour.to_dict()) == behaviour
    assert parse_behaviour({}) == Behaviour()
    assert parse_behaviour({"decline_rate": 1}).decline_rate == 1.0


@pytest.mark.parametrize(
    ("value", "param"),
    [
        ({"failure_rate": 1.5}, "behaviour.failure_rate"),
        ({"timeout_rate": -0.1}, "behaviour.timeout_rate"),
        ({"duplicate_rate": True}, "behaviour.duplicate_rate"),
        ({"out_of_order_rate": "0.5"}, "behaviour.out_of_order_rate"),
        ({"decline_rate": float("nan")}, "behaviour.decline_rate"),
        ({"latency_ms": 60_001}, "behaviour.latency_ms"),
        ({"latency_ms": 1.5}, "behaviour.latency_ms"),
        ({"latency_ms": -1}, "behaviour.latency_ms"),
        ({"failure_rte": 0.1}, "behaviour.failure_rte"),
        ({"failure_rate": 0.6, "timeout_rate": 0.3, "decline_rate": 0.2}, "behaviour"),
    ],
)
def test_what_cannot_be_played_is_refused_naming_the_key(value, param):
    with pytest.raises(ZentraError) as refused:
        parse_behaviour(value)
    assert (refused.value.code, refused.value.param) == ("validation_error", param)


def test_a_behaviour_must_be_an_object():
    with pytest.raises(ZentraError) as refused:
        parse_behaviour([])
    assert refused.value.param == "behaviour"


def test_a_decision_depends_only_on_provider_reference_and_attempt():
    behaviour = Behaviour(failure_rate=0.3, timeout_rate=0.2, decline_rate=0.2, duplicate_rate=0.5, out_of_order_rate=0.5)
    first = [decide(behaviour, "prv_a", f"int_{i}", 1) for i in range(200)]
    assert first == [decide(behaviour, "prv_a", f"int_{i}", 1) for i in range(200)]
    assert first != [decide(behaviour, "prv_b", f"int_{i}", 1) for i in range(200)]
    assert first != [decide(behaviour, "prv_a", f"int_{i}", 2) for i in range(200)]


def test_rates_are_shares_of_one_draw():
    behaviour = Behaviour(failure_rate=0.2, timeout_rate=0.1, decline_rate=0.3, duplicate_rate=0.5)
    decisions = [decide(behaviour, "prv_a", f"int_{i}", 1) for i in range(4000)]
    shares = {name: count / len(decisions) for name, count in Counter(d.outcome for d in decisions).items()}
    for name, expected in {"failure": 0.2, "timeout": 0.1, "decline": 0.3, "settle": 0.4}.items():
        assert shares[name] == pytest.approx(expected, abs=0.03)
    assert sum(d.duplicate for d in decisions) / len(decisions) == pytest.approx(0.5, abs=0.03)
    assert not any(d.out_of_order for d in decisions)


def test_certain_and_impossible_rates_are_exact():
    assert {decide(Behaviour(failure_rate=1), "prv_a", f"int_{i}", 1).outcome for i in range(100)} == {"failure"}
    assert {decide(Behaviour(), "prv_a", f"int_{i}", 1).outcome for i in range(100)} == {"settle"}
