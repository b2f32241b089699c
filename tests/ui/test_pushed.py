"""Which pushed bursts a room refreshes for (no browser): by the prefix of the events' types."""

from __future__ import annotations

from state.pushed import any_of_type


def test_a_burst_matches_when_any_event_type_starts_with_a_prefix():
    burst = [{"type": "ledger.posted"}, {"type": "hold.captured"}]
    assert any_of_type(burst, "hold.")
    assert any_of_type(burst, "sandbox.", "ledger.")
    assert not any_of_type(burst, "reconciliation.")


def test_events_without_a_type_match_nothing():
    assert not any_of_type([{}, {"type": None}], "hold.", "None")
    assert not any_of_type([], "hold.")
