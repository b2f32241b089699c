"""The reconciliation room's pure logic: rows from service views, the upload's checks, the resolve
request and the notice after an import (no database, no browser)."""

from __future__ import annotations

import pytest

from state.reconciliation import (
    decode_report,
    exception_row,
    mapping_columns,
    outcome_notice,
    resolve_body,
    run_row,
    tolerance_days,
    words,
)

RUN = {
    "id": "rcn_1", "source": "import", "provider_id": "prv_1", "file_name": "day.csv", "period_start": "2026-11-20", "period_end": "2026-11-21",
    "line_count": 12_000, "matched_count": 11_988, "match_rate_bp": 9_990, "match_rate": "99.90%", "open_exceptions": 12,
    "counts": {"exact_id": 11_000, "amount_date": 900, "one_to_many": 88, "missing_in_ledger": 3, "missing_in_report": 0, "amount_differs": 9, "duplicate": 0},
    "created_by": "operator:op_1", "created_at": "2026-11-21T09:00:00.000000Z",
}


def _exception(**overrides) -> dict:
    view = {
        "id": "rcx_1", "run_id": "rcn_1", "provider_id": "prv_1", "reason": "amount_differs", "reference": "intent_9", "currency": "USD",
        "report_amount_minor": 5001, "ledger_amount_minor": 5000, "detail": "report says 5001 USD, ledger settled 5000 USD",
        "line": {"line_no": 5, "value_date": "2026-11-21", "counterparty": "Gamma", "raw": "intent_9,50.01,USD,2026-11-21,Gamma"},
        "settlement": {"id": "rcs_1", "intent_id": "pay_9", "posting_id": "pst_1", "value_date": "2026-11-21", "amount_minor": 5000},
        "status": "open", "resolution": None, "resolved_by": None, "resolved_at": None, "note": None, "created_at": "2026-11-21T09:00:00.000000Z",
    }
    return {**view, **overrides}


def test_a_run_row_shows_its_period_counts_and_rate_flagging_anything_below_100_percent():
    row = run_row(RUN, "Europe/Berlin")
    assert (row["period"], row["lines"], row["matched"], row["rate"], row["low"], row["open"]) == ("2026-11-20 → 2026-11-21", "12,000", "11,988", "99.90%", "yes", "12")
    assert row["created_at"] == "2026-11-21 10:00:00 CET"
    full = run_row({**RUN, "period_end": "2026-11-20", "match_rate_bp": 10_000, "match_rate": "100.00%"})
    assert (full["period"], full["low"]) == ("2026-11-20", "")


def test_an_exception_row_formats_both_amounts_and_says_whether_it_can_be_linked():
    row = exception_row(_exception())
    assert (row["reason_words"], row["report_amount"], row["ledger_amount"], row["intent_id"], row["linkable"]) == ("amount differs", "50.01 USD", "50.00 USD", "pay_9", "")
    assert row["line"] == "line 5: intent_9,50.01,USD,2026-11-21,Gamma"
    ghost = exception_row(_exception(reason="missing_in_ledger", ledger_amount_minor=None, settlement=None))
    assert (ghost["ledger_amount"], ghost["intent_id"], ghost["linkable"]) == ("—", "", "yes")
    absent = exception_row(_exception(reason="missing_in_report", report_amount_minor=None, line=None, status="resolved", resolution="matched_later", resolved_by="system:reconciliation"))
    assert (absent["report_amount"], absent["line"], absent["linkable"], absent["resolution"]) == ("—", "", "", "matched later")


def test_an_upload_must_be_utf8_and_a_byte_order_mark_is_dropped():
    assert decode_report("\ufeffreference,amount\n".encode()) == "reference,amount\n"
    with pytest.raises(ValueError, match="not UTF-8"):
        decode_report(b"reference,\xff\xfe")


@pytest.mark.parametrize("raw, days", [("2", 2), (" 0 ", 0), ("31", 31)])
def test_the_tolerance_is_whole_days_within_bounds(raw, days):
    assert tolerance_days(raw) == days


@pytest.mark.parametrize("raw", ["", "-1", "32", "1.5", "two"])
def test_a_bad_tolerance_is_refused_before_anything_is_sent(raw):
    with pytest.raises(ValueError, match="0 to 31"):
        tolerance_days(raw)


def test_the_resolve_request_leaves_out_empty_fields_so_the_service_names_what_is_missing():
    assert resolve_body("write_off", "   ", "") == {"action": "write_off"}
    assert resolve_body("linked_manually", " fee ", " rcs_1 ") == {"action": "linked_manually", "note": "fee", "settlement_id": "rcs_1"}


def test_the_import_notice_counts_matches_and_names_each_kind_of_exception():
    assert outcome_notice(RUN) == "Run rcn_1: 11,988 of 12,000 lines matched (99.90%); exceptions: 3 missing in ledger, 9 amount differs."
    clean = {**RUN, "counts": dict.fromkeys(RUN["counts"], 0)}
    assert outcome_notice(clean).endswith("; no exceptions.")


def test_a_providers_columns_are_documented_beside_the_upload():
    default = {"default": True, "mapping": {"reference": "reference", "amount": "amount", "currency": "currency", "value_date": "value_date", "counterparty": "counterparty", "amount_format": "decimal", "date_format": "iso", "delimiter": ","}}
    assert mapping_columns(default) == "default mapping: reference,amount,currency,value_date,counterparty · amounts decimal · dates iso"
    own = {"default": False, "mapping": {**default["mapping"], "counterparty": None, "delimiter": "\t", "amount_format": "minor"}}
    assert mapping_columns(own) == "provider's mapping: reference ⇥ amount ⇥ currency ⇥ value_date · amounts minor · dates iso"
    assert words("missing_in_report") == "missing in report"
