"""The transition table: every listed transition emits its event, every other pair is refused."""

from __future__ import annotations

import itertools

import pytest

from backend.errors import ZentraError
from backend.intents.states import (
    HAPPY_PATH,
    STATES,
    TERMINAL,
    TRANSITIONS,
    allowed_from,
    event_for,
)

FORBIDDEN = [pair for pair in itertools.product(STATES, STATES) if pair not in TRANSITIONS]


@pytest.mark.parametrize(("current", "target"), sorted(TRANSITIONS))
def test_each_allowed_transition_emits_its_event(current, target):
    assert event_for(current, target) == TRANSITIONS[(current, target)]
    assert target in allowed_from(current)


@pytest.mark.parametrize(("current", "target"), FORBIDDEN)
def test_each_other_transition_is_invalid(current, target):
    with pytest.raises(ZentraError) as refused:
        event_for(current, target)
    assert refused.value.code == "invalid_state_transition"
    assert target not in allowed_from(current)


def test_the_happy_path_is_a_chain_of_allowed_steps():
    for current, target in zip(HAPPY_PATH, HAPPY_PATH[1:]):
        event_for(current, target)


def test_terminal_states_lead_nowhere_and_every_state_is_reachable():
    assert all(allowed_from(state) == () for state in TERMINAL)
    reachable = {"accepted"} | {target for (_, target) in TRANSITIONS}
    assert reachable == set(STATES)


def test_the_seed_pages_events_are_the_ones_emitted():
    emitted = set(TRANSITIONS.values())
    assert {"policy.accepted", "policy.review_required", "review.approved", "review.rejected", "ledger.reserved", "provider.routed", "evidence.sealed", "webhook.retrying"} <= emitted
