"""The matching rules on plain values: each step in its order, and what is left over."""

from __future__ import annotations

from datetime import date

from backend.reconciliation.mapping import ReportLine
from backend.reconciliation.matching import Expected, Pairing, reconcile

DAY = date(2026, 11, 21)
PERIOD = (DAY, DAY)


def line(n: int, reference: str, amount: int, day: date = DAY, counterparty: str | None = None, currency: str = "USD") -> ReportLine:
    return ReportLine(n, reference, amount, currency, day, counterparty, f"{reference},{amount}")


def settled(sid: str, amount: int, day: date = DAY, counterparty: str = "Shop", reference: str | None = None, matched: bool = False) -> Expected:
    return Expected(sid, reference or f"ref_{sid}", f"intent_{sid}", amount, "USD", day, counterparty, matched)


def reasons(outcome) -> list[tuple[str, int | None, str | None]]:
    return [(m.reason, m.line_no, m.settlement_id) for m in outcome.mismatches]


def test_a_reference_with_the_same_amount_is_an_exact_match_by_internal_or_public_id():
    outcome = reconcile([line(2, "ref_a", 100), line(3, "intent_b", 250)], [settled("a", 100), settled("b", 250)], PERIOD, 2)
    assert outcome.pairings == [Pairing("exact_id", (2,), ("a",)), Pairing("exact_id", (3,), ("b",))]
    assert outcome.mismatches == []


def test_a_known_reference_with_another_amount_is_amount_differs_not_a_fallback_match():
    outcome = reconcile([line(2, "ref_a", 101)], [settled("a", 100), settled("x", 101)], PERIOD, 2)
    assert reasons(outcome)[0] == ("amount_differs", 2, "a")
    assert (outcome.mismatches[0].report_amount_minor, outcome.mismatches[0].ledger_amount_minor) == (101, 100)
    assert reasons(outcome)[1:] == [("missing_in_report", None, "x")]


def test_a_reference_listed_twice_matches_once_and_the_copy_is_a_duplicate():
    outcome = reconcile([line(2, "ref_a", 100), line(3, "ref_a", 100)], [settled("a", 100)], PERIOD, 2)
    assert outcome.pairings == [Pairing("exact_id", (2,), ("a",))]
    assert reasons(outcome) == [("duplicate", 3, None)]


def test_an_unknown_reference_listed_twice_is_one_missing_line_and_one_duplicate():
    outcome = reconcile([line(2, "zzz", 100), line(3, "zzz", 100)], [], PERIOD, 2)
    assert reasons(outcome) == [("duplicate", 3, None), ("missing_in_ledger", 2, None)]


def test_a_reference_an_earlier_run_reconciled_is_a_duplicate():
    outcome = reconcile([line(2, "ref_a", 100)], [settled("a", 100, matched=True)], PERIOD, 2)
    assert reasons(outcome) == [("duplicate", 2, None)]
    assert outcome.pairings == []


def test_an_unknown_reference_matches_by_amount_within_the_tolerance_nearest_date_first():
    far, near = settled("far", 500, date(2026, 11, 19)), settled("near", 500, date(2026, 11, 22))
    outcome = reconcile([line(2, "provider-own-id", 500)], [far, near], PERIOD, 2)
    assert outcome.pairings == [Pairing("amount_date", (2,), ("near",))]
    assert reasons(outcome) == []  # `far` is outside the report's period: not missing from it


def test_outside_the_tolerance_an_amount_alone_matches_nothing():
    outcome = reconcile([line(2, "other", 500)], [settled("a", 500, date(2026, 11, 18))], PERIOD, 2)
    assert outcome.pairings == []
    assert reasons(outcome) == [("missing_in_ledger", 2, None)]


def test_among_equal_dates_the_same_counterparty_wins():
    outcome = reconcile([line(2, "other", 500, counterparty="Beta")], [settled("a", 500, counterparty="Alpha"), settled("b", 500, counterparty="Beta")], PERIOD, 0)
    assert outcome.pairings == [Pairing("amount_date", (2,), ("b",))]


def test_one_line_equal_to_all_of_a_counterpartys_settlements_that_day_is_one_to_many():
    group = [settled("a", 100, counterparty="Shop"), settled("b", 250, counterparty="Shop")]
    outcome = reconcile([line(2, "batch-7", 350, counterparty="Shop")], group + [settled("c", 999, counterparty="Other")], PERIOD, 2)
    assert outcome.pairings == [Pairing("one_to_many", (2,), ("a", "b"))]
    assert reasons(outcome) == [("missing_in_report", None, "c")]


def test_a_partial_sum_of_a_counterpartys_day_is_not_guessed():
    group = [settled("a", 100), settled("b", 250), settled("c", 50)]
    outcome = reconcile([line(2, "batch-7", 350, counterparty="Shop")], group, PERIOD, 2)
    assert outcome.pairings == []
    assert [r[0] for r in reasons(outcome)] == ["missing_in_ledger", "missing_in_report", "missing_in_report", "missing_in_report"]


def test_several_lines_of_one_counterparty_and_day_equal_to_one_settlement_are_one_to_many():
    lines = [line(2, "part-1", 300, counterparty="Shop"), line(3, "part-2", 700, counterparty="Shop")]
    outcome = reconcile(lines, [settled("a", 1000)], PERIOD, 2)
    assert outcome.pairings == [Pairing("one_to_many", (2, 3), ("a",))]
    assert outcome.mismatches == []


def test_lines_of_one_reference_that_split_its_settlement_are_one_to_many_not_duplicates():
    outcome = reconcile([line(2, "ref_a", 400), line(3, "ref_a", 600)], [settled("a", 1000)], PERIOD, 2)
    assert outcome.pairings == [Pairing("one_to_many", (2, 3), ("a",))]
    assert outcome.mismatches == []


def test_a_settlement_already_raised_as_missing_is_not_raised_again():
    outcome = reconcile([], [settled("a", 100), settled("b", 100)], PERIOD, 2, already_reported=frozenset({"a"}))
    assert reasons(outcome) == [("missing_in_report", None, "b")]


def test_counts_and_matched_lines_add_up():
    lines = [line(2, "ref_a", 100), line(3, "ref_a", 100), line(4, "ghost", 7), line(5, "ref_b", 9)]
    outcome = reconcile(lines, [settled("a", 100), settled("b", 10), settled("c", 5)], PERIOD, 2)
    assert outcome.matched_lines() == 1
    assert outcome.counts() == {"exact_id": 1, "amount_date": 0, "one_to_many": 0, "missing_in_ledger": 1, "missing_in_report": 1, "amount_differs": 1, "duplicate": 1}
