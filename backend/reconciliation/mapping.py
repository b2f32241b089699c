"""Provider settlement reports: the documented CSV column mapping, and the parser that turns a
report into typed lines or refuses it whole.

A mapping names the report's columns for each field Zentra reads and says how amounts and dates
are written. A provider keeps its own (`providers.report_mapping_json`), else the default below,
which is the format the sandbox providers write:

    reference,amount,currency,value_date,counterparty
    intent_0193…,12.50,USD,2026-11-21,Merchant Ltd

`amount_format` `decimal` reads major units with at most the currency's exponent of decimals
(12.5 USD is 1250 minor units, 12.505 USD is refused, 1200 JPY is 1200); `minor` reads an integer
count of minor units. Amounts are never floats: the digits are converted exactly. A report with
any bad line is refused as a whole (naming the first bad line and counting the others), so a
half-read report never reaches the ledger's comparison.
"""

from __future__ import annotations

import csv
import io
import re
from dataclasses import asdict, dataclass, fields
from datetime import date, datetime
from typing import NamedTuple

import orjson

from backend.errors import ZentraError
from backend.inputs import object_body, reject_unknown, storable_text
from backend.money.amounts import MAX_AMOUNT
from backend.money.currencies import exponent, parse_currency

AMOUNT_FORMATS = ("decimal", "minor")
DATE_FORMATS = {"iso": None, "dd/mm/yyyy": "%d/%m/%Y", "mm/dd/yyyy": "%m/%d/%Y", "yyyymmdd": "%Y%m%d"}
DELIMITERS = (",", ";", "\t", "|")
COLUMN_FIELDS = ("reference", "amount", "currency", "value_date", "counterparty")
MAX_REFERENCE = 64
MAX_COUNTERPARTY = 200
_DECIMAL = re.compile(r"([0-9]+)(?:\.([0-9]+))?")


@dataclass(frozen=True)
class Mapping:
    """Which column holds each field (`counterparty` may be None: the report has none)."""

    reference: str = "reference"
    amount: str = "amount"
    currency: str = "currency"
    value_date: str = "value_date"
    counterparty: str | None = "counterparty"
    amount_format: str = "decimal"
    date_format: str = "iso"
    delimiter: str = ","

    def to_dict(self) -> dict:
        return asdict(self)


DEFAULT_MAPPING = Mapping()


class ReportLine(NamedTuple):
    """One parsed line; `line_no` is its line in the file (the header is line 1). A tuple: a
    report has 100,000 of them and a frozen dataclass costs three times as much to build."""

    line_no: int
    reference: str
    amount_minor: int
    currency: str
    value_date: date
    counterparty: str | None
    raw: str


def parse_mapping(value: object) -> Mapping:
    """A mapping from its JSON object (missing keys take the default), or `validation_error`
    naming `mapping.<key>`."""
    body = object_body(value, "mapping")
    reject_unknown(body, {f.name for f in fields(Mapping)}, prefix="mapping.")
    for name in COLUMN_FIELDS:
        column = body.get(name, getattr(DEFAULT_MAPPING, name))
        if column is None and name == "counterparty":
            continue
        if not isinstance(column, str) or not column.strip() or len(column) > 100:
            raise ZentraError("validation_error", f"mapping.{name} must be a column name of 1 to 100 characters", f"mapping.{name}")
    _one_of(body, "amount_format", AMOUNT_FORMATS)
    _one_of(body, "date_format", tuple(DATE_FORMATS))
    _one_of(body, "delimiter", DELIMITERS)
    return Mapping(**body)


def _one_of(body: dict, name: str, options: tuple[str, ...]) -> None:
    if name in body and body[name] not in options:
        shown = ", ".join(repr(o) for o in options)
        raise ZentraError("validation_error", f"mapping.{name} must be one of {shown}", f"mapping.{name}")


def stored_mapping(raw: str | None) -> Mapping:
    """The mapping kept on a provider row, or the default."""
    return DEFAULT_MAPPING if raw is None else parse_mapping(orjson.loads(raw))


class _Lines:
    """Feeds the csv reader line by line and keeps what it consumed for the current row, so each
    parsed line keeps its exact text (`raw`)."""

    def __init__(self, text: str):
        self._source = io.StringIO(text, newline="")
        self.consumed: list[str] = []

    def __iter__(self):
        return self

    def __next__(self) -> str:
        line = self._source.readline()
        if not line:
            raise StopIteration
        self.consumed.append(line)
        return line

    def take(self) -> str:
        raw, self.consumed = "".join(self.consumed).rstrip("\r\n"), []
        return raw


class _Fields:
    """Converts one line's fields, caching currencies and dates (a report repeats a few of each)."""

    def __init__(self, mapping: Mapping):
        self.mapping = mapping
        self.date_pattern = DATE_FORMATS[mapping.date_format]
        self.currencies: dict[str, tuple[str, int]] = {}
        self.dates: dict[str, date] = {}

    def currency(self, text: str) -> tuple[str, int]:
        known = self.currencies.get(text)
        if known is None:
            code = parse_currency(text.strip(), "currency")
            known = self.currencies[text] = (code, exponent(code))
        return known

    def amount(self, text: str, code: str, exp: int) -> int:
        text = text.strip()
        if self.mapping.amount_format == "minor":
            if not (text.isascii() and text.isdigit()):
                raise ZentraError("amount_not_integer", f"amount {text!r} must be an integer count of minor units", "amount")
            value = int(text)
        else:
            match = _DECIMAL.fullmatch(text)
            if match is None:
                raise ZentraError("amount_not_integer", f"amount {text!r} must be a decimal number such as 12.50", "amount")
            whole, fraction = match.group(1), match.group(2) or ""
            if len(fraction) > exp:
                raise ZentraError("amount_not_integer", f"amount {text!r} has more decimal places than {code} has ({exp})", "amount")
            value = int(whole + fraction.ljust(exp, "0"))
        if not 0 < value <= MAX_AMOUNT:
            raise ZentraError("amount_out_of_range", f"amount {text!r} must be between 1 and {MAX_AMOUNT} minor units", "amount")
        return value

    def value_date(self, text: str) -> date:
        known = self.dates.get(text)
        if known is None:
            known = self.dates[text] = self._date(text.strip())
        return known

    def _date(self, text: str) -> date:
        try:
            if self.date_pattern is None:
                if len(text) != 10:
                    raise ValueError(text)
                return date.fromisoformat(text)
            return datetime.strptime(text, self.date_pattern).date()
        except ValueError:
            raise ZentraError("validation_error", f"value_date {text!r} is not a {self.mapping.date_format} date", "value_date") from None

    def text(self, value: str, name: str, max_length: int, required: bool) -> str | None:
        value = value.strip()
        if not value:
            if required:
                raise ZentraError("validation_error", f"{name} is empty", name)
            return None
        if len(value) > max_length:
            raise ZentraError("validation_error", f"{name} is longer than {max_length} characters", name)
        return storable_text(value, name)


def parse_report(text: str, mapping: Mapping) -> list[ReportLine]:
    """Every line of the report, typed, or the refusal of the whole report: the first bad line's
    code, with `param` `lines[N].field` and how many other lines are bad."""
    if "\x00" in text:
        raise ZentraError("validation_error", "the report must not contain NUL characters", "report")
    source = _Lines(text)
    reader = csv.reader(source, delimiter=mapping.delimiter, strict=True)
    columns = _header(reader, source, mapping)
    convert, parsed, errors = _Fields(mapping), [], []
    while True:
        try:
            row = next(reader)
        except StopIteration:
            break
        except csv.Error as exc:
            errors.append((reader.line_num, ZentraError("validation_error", f"not valid CSV: {exc}", "row")))
            break
        raw = source.take()
        if not any(cell.strip() for cell in row):
            continue
        try:
            parsed.append(_line(reader.line_num, row, raw, columns, convert))
        except ZentraError as err:
            errors.append((reader.line_num, err))
    if errors:
        raise _refusal(errors)
    return parsed


def _header(reader, source: _Lines, mapping: Mapping) -> dict[str, int]:
    """Column index of each mapped field; a missing column is named by its mapping key."""
    try:
        header = [name.strip().lstrip("\ufeff") for name in next(reader)]
    except StopIteration:
        raise ZentraError("validation_error", "the report is empty: it needs a header line", "report") from None
    except csv.Error as exc:
        raise ZentraError("validation_error", f"the report's header is not valid CSV: {exc}", "report") from None
    source.take()
    columns = {}
    for name in COLUMN_FIELDS:
        wanted = getattr(mapping, name)
        if wanted is None:
            continue
        if wanted not in header:
            if name == "counterparty":
                continue  # optional: without it, only references, amounts and dates match
            raise ZentraError("validation_error", f"the report has no column {wanted!r} (mapping.{name})", f"mapping.{name}")
        columns[name] = header.index(wanted)
    return columns


def _line(line_no: int, row: list[str], raw: str, columns: dict[str, int], convert: _Fields) -> ReportLine:
    width = max(columns.values()) + 1
    if len(row) < width:
        raise ZentraError("validation_error", f"has {len(row)} fields, the header maps {width}", "row")
    code, exp = convert.currency(row[columns["currency"]])
    counterparty = convert.text(row[columns["counterparty"]], "counterparty", MAX_COUNTERPARTY, False) if "counterparty" in columns else None
    return ReportLine(
        line_no=line_no,
        reference=convert.text(row[columns["reference"]], "reference", MAX_REFERENCE, True),
        amount_minor=convert.amount(row[columns["amount"]], code, exp),
        currency=code,
        value_date=convert.value_date(row[columns["value_date"]]),
        counterparty=counterparty,
        raw=raw,
    )


def _refusal(errors: list[tuple[int, ZentraError]]) -> ZentraError:
    line_no, first = errors[0]
    more = f" ({len(errors) - 1} more bad lines)" if len(errors) > 1 else ""
    return ZentraError(first.code, f"line {line_no}: {first.message}{more}; nothing was imported", f"lines[{line_no}].{first.param}")


def decimal_text(amount_minor: int, currency: str) -> str:
    """Minor units written as the `decimal` format reads them: 1250 USD -> '12.50', 1200 JPY -> '1200'."""
    exp = exponent(currency)
    if exp == 0:
        return str(amount_minor)
    whole, fraction = divmod(amount_minor, 10**exp)
    return f"{whole}.{fraction:0{exp}d}"
