"""Reading provider reports: the documented default mapping, a provider's own, exact amounts by the
currency's exponent, and a report with any bad line refused whole with a typed error."""

from __future__ import annotations

from datetime import date

import pytest

from backend.errors import ZentraError
from backend.reconciliation.mapping import (
    DEFAULT_MAPPING,
    Mapping,
    decimal_text,
    parse_mapping,
    parse_report,
)

HEADER = "reference,amount,currency,value_date,counterparty\n"


def refused(text: str, mapping: Mapping = DEFAULT_MAPPING) -> ZentraError:
    with pytest.raises(ZentraError) as caught:
        parse_report(text, mapping)
    return caught.value


def test_the_default_mapping_reads_decimal_amounts_exactly_by_each_currencys_exponent():
    lines = parse_report(HEADER + "a,12.5,USD,2026-11-21,Shop\nb,1200,JPY,2026-11-21,\nc,1.005,BHD,2026-11-22,Souk\n", DEFAULT_MAPPING)
    assert [(x.line_no, x.reference, x.amount_minor, x.currency, x.value_date, x.counterparty) for x in lines] == [
        (2, "a", 1250, "USD", date(2026, 11, 21), "Shop"),
        (3, "b", 1200, "JPY", date(2026, 11, 21), None),
        (4, "c", 1005, "BHD", date(2026, 11, 22), "Souk"),
    ]
    assert lines[0].raw == "a,12.5,USD,2026-11-21,Shop"


def test_a_providers_own_columns_minor_units_dates_and_delimiter():
    mapping = parse_mapping({"reference": "Ref", "amount": "Cents", "currency": "Ccy", "value_date": "Date", "counterparty": None, "amount_format": "minor", "date_format": "dd/mm/yyyy", "delimiter": ";"})
    lines = parse_report("Date;Ref;Ccy;Cents;Extra\n21/11/2026;x1;EUR;995;ignored\n", mapping)
    assert [(x.reference, x.amount_minor, x.currency, x.value_date) for x in lines] == [("x1", 995, "EUR", date(2026, 11, 21))]


def test_blank_lines_are_skipped_and_line_numbers_stay_the_files():
    lines = parse_report(HEADER + "\na,1.00,USD,2026-11-21,\r\n\n", DEFAULT_MAPPING)
    assert [(x.line_no, x.raw) for x in lines] == [(3, "a,1.00,USD,2026-11-21,")]


@pytest.mark.parametrize("amount, code", [
    ("12.345", "amount_not_integer"),  # more decimals than USD has
    ("1e3", "amount_not_integer"),
    ("12,50", "amount_not_integer"),
    ("-5.00", "amount_not_integer"),
    ("0.00", "amount_out_of_range"),
    ("92233720368547758.08", "amount_out_of_range"),
])
def test_a_bad_amount_refuses_the_report_naming_the_line(amount, code):
    err = refused(HEADER + "ok,1.00,USD,2026-11-21,\n" + f'bad,"{amount}",USD,2026-11-21,\n')
    assert (err.code, err.param) == (code, "lines[3].amount")
    assert err.message.startswith("line 3:") and "nothing was imported" in err.message


def test_minor_units_must_be_an_integer():
    err = refused("reference,amount,currency,value_date\na,12.50,USD,2026-11-21\n", parse_mapping({"amount_format": "minor"}))
    assert (err.code, err.param) == ("amount_not_integer", "lines[2].amount")


def test_an_unknown_currency_and_a_bad_date_are_typed_and_the_other_bad_lines_counted():
    err = refused(HEADER + "a,1.00,XXY,2026-11-21,\nb,1.00,USD,21/11/2026,\nc,1.00,usd,2026-11-21,\n")
    assert (err.code, err.param) == ("unknown_currency", "lines[2].currency")
    assert "(2 more bad lines)" in err.message
    err = refused(HEADER + "b,1.00,USD,2026-02-30,\n")
    assert (err.code, err.param) == ("validation_error", "lines[2].value_date")


def test_a_missing_column_an_empty_report_and_an_empty_reference_are_refused():
    assert refused("reference,currency,value_date\n").param == "mapping.amount"
    assert refused("").param == "report"
    assert refused(HEADER + " ,1.00,USD,2026-11-21,\n").param == "lines[2].reference"
    assert refused(HEADER + "a,1.00\n").param == "lines[2].row"


def test_a_mapping_with_an_unknown_key_or_format_is_refused_by_name():
    with pytest.raises(ZentraError) as caught:
        parse_mapping({"amount_fmt": "minor"})
    assert caught.value.param == "mapping.amount_fmt"
    with pytest.raises(ZentraError) as caught:
        parse_mapping({"date_format": "%d.%m.%Y"})
    assert caught.value.param == "mapping.date_format"


def test_decimal_text_writes_what_the_decimal_format_reads():
    assert [decimal_text(1250, "USD"), decimal_text(1200, "JPY"), decimal_text(5, "BHD")] == ["12.50", "1200", "0.005"]
