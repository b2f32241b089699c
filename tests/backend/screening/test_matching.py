"""Matching names against a list: exact (100), fuzzy (a score at or over the threshold), and
names that match nothing; with the scores a reviewer is shown."""

from __future__ import annotations

import pytest

from backend.screening.matching import (
    EXACT_SCORE,
    FUZZY_THRESHOLD,
    MAX_MATCHES,
    Matcher,
    entry,
)

LISTED = Matcher(
    [
        entry("sce_smith", "John Smith", ["Johnny Smith"]),
        entry("sce_petrova", "Ivan Petrova"),
        entry("sce_rashid", "Muhammad al Rashid", ["Abu Rashid"]),
        entry("sce_garcia", "José García"),
        entry("sce_volkov", "Volkov Shipping Limited"),
        entry("sce_jane", "Jane Smith"),
    ]
)


@pytest.mark.parametrize(
    ("name", "entry_id", "matched"),
    [
        ("John Smith", "sce_smith", "John Smith"),
        ("  JOHN   smith ", "sce_smith", "John Smith"),
        ("Johnny Smith", "sce_smith", "Johnny Smith"),  # an alias
        ("Jose Garcia", "sce_garcia", "José García"),  # accents
        ("Volkov Shipping Ltd.", "sce_volkov", "Volkov Shipping Limited"),  # company suffix
        ("Abu-Rashid", "sce_rashid", "Abu Rashid"),
    ],
)
def test_an_exact_match_on_the_normal_form_of_a_name_or_alias_scores_100(name, entry_id, matched):
    [best, *_] = LISTED.match(name)
    assert (best.entry_id, best.matched_name, best.score, best.method) == (entry_id, matched, EXACT_SCORE, "exact")


@pytest.mark.parametrize(
    ("name", "entry_id", "score"),
    [
        ("Jon Smyth", "sce_smith", 95),  # spelt differently, sounds the same
        ("Smith, John", "sce_smith", 99),  # word order is never exact
        ("Ivan Petrov", "sce_petrova", 95),
        ("Mohammed Al-Rashid", "sce_rashid", 88),
        ("Wolkov Shipping", "sce_volkov", 95),
        ("Jose Garsia", "sce_garcia", 90),
    ],
)
def test_a_fuzzy_match_scores_at_or_over_the_threshold(name, entry_id, score):
    [best, *_] = LISTED.match(name)
    assert (best.entry_id, best.score, best.method) == (entry_id, score, "fuzzy")
    assert FUZZY_THRESHOLD <= best.score < EXACT_SCORE


@pytest.mark.parametrize("name", ["Alice Brown", "Smith", "Li Wei", "Ivan", "Volkov", "Golden Lotus Holdings", "", "!!!"])
def test_names_that_match_nothing_find_nothing(name):
    assert LISTED.match(name) == []


def test_a_near_name_below_the_threshold_is_not_a_hit_but_the_exact_one_is():
    """`Jane Smith` is on the list too: `John Smith` matches it only at 80, under the threshold."""
    found = {m.entry_id: m for m in LISTED.match("John Smith")}
    assert set(found) == {"sce_smith"}


def test_matches_come_best_first_each_entry_once_and_at_most_five():
    crowd = Matcher([entry(f"sce_{i}", f"Maria Gonzale{c}") for i, c in enumerate("sxcqwrtk")] + [entry("sce_exact", "Maria Gonzalez")])
    found = crowd.match("Maria Gonzalez")
    assert len(found) == MAX_MATCHES
    assert found[0].entry_id == "sce_exact" and found[0].method == "exact"
    assert [m.score for m in found] == sorted((m.score for m in found), reverse=True)
    assert len({m.entry_id for m in found}) == len(found)


def test_an_entry_whose_alias_matches_better_is_reported_by_that_alias():
    [best] = Matcher([entry("sce_1", "Abdul Karim Trading", ["Karim Abdul"])]).match("Abdul Karim")
    assert (best.matched_name, best.score) == ("Karim Abdul", 99)
