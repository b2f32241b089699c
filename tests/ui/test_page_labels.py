"""A pager's label (no browser): the rows shown out of the total, marked when the total is only a
lower bound (the intents room counts at most 10,000 rows past its page)."""

from __future__ import annotations

from state.display import page_label


def test_an_exact_total_is_shown_as_it_is():
    assert page_label(0, 25, 1_204) == "1–25 of 1,204"
    assert page_label(1_200, 4, 1_204) == "1,201–1,204 of 1,204"
    assert page_label(0, 0, 0) == "0 of 0"


def test_a_capped_total_is_marked_as_a_lower_bound():
    assert page_label(0, 25, 10_000, exact=False) == "1–25 of 10,000+"
    assert page_label(25, 25, 10_025, exact=False) == "26–50 of 10,025+"
