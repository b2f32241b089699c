"""How the review queue shows a screening match (no database, no browser)."""

from __future__ import annotations

from state.reviews import match_row

MATCH = {
    "id": "scr_1",
    "list": {"id": "scl_1", "name": "Sanctions", "version": 3},
    "entry": {"id": "sce_1", "name": "John Smith", "aliases": ["Johnny Smith"], "country": "GB", "reference": "UK-0001"},
    "screened_name": "Jon Smyth",
    "matched_name": "Johnny Smith",
    "score": 95,
    "method": "fuzzy",
    "decision": "cleared",
    "decided_by": "operator:op_me",
    "note": "another person",
}


def test_a_match_row_names_the_list_version_the_entry_the_score_and_who_decided():
    row = match_row(MATCH, "operator:op_me")
    assert (row["list"], row["screened_name"], row["matched_name"], row["entry_name"]) == ("Sanctions v3", "Jon Smyth", "Johnny Smith", "John Smith")
    assert (row["score"], row["method"], row["decision"], row["entry_where"]) == ("95", "fuzzy", "cleared", "GB · UK-0001")
    assert (row["decided_by"], row["note"]) == ("you", "another person")
    assert all(isinstance(v, str) for v in row.values())


def test_an_undecided_match_without_country_or_reference_shows_empty_fields():
    row = match_row({**MATCH, "entry": {**MATCH["entry"], "country": None, "reference": None}, "decision": "pending", "decided_by": None, "note": None}, "operator:op_me")
    assert (row["entry_where"], row["decided_by"], row["note"], row["decision"]) == ("", "", "", "pending")
