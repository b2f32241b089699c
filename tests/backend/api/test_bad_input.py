"""Every bad input in the contract's list gets its typed error, never a 500, and changes nothing."""

from __future__ import annotations

import pytest
from sqlalchemy import func, select

from backend.db import transactions
from backend.db.tables import Entry, IdempotencyRecord


def journal_size(runtime, tenant_id: str) -> tuple[int, int]:
    def count(s):
        entries = s.execute(select(func.count()).select_from(Entry).where(Entry.tenant_id == tenant_id)).scalar_one()
        keys = s.execute(select(func.count()).select_from(IdempotencyRecord).where(IdempotencyRecord.tenant_id == tenant_id)).scalar_one()
        return entries, keys

    return transactions.read(runtime.db, count)


AMOUNTS = [
    (12.5, "amount_not_integer"),
    (100.0, "amount_not_integer"),
    ("100", "amount_not_integer"),
    (True, "amount_not_integer"),
    (None, "amount_not_integer"),
    ([100], "amount_not_integer"),
    (0, "amount_out_of_range"),
    (-5, "amount_out_of_range"),
    (2**63, "amount_out_of_range"),
    (10**30, "amount_out_of_range"),
]


@pytest.mark.parametrize(("amount", "code"), AMOUNTS)
def test_bad_amounts_are_refused_with_their_code(api, runtime, tenant, amount, code):
    _, customer = api.funded_account(1000)
    merchant = api.account()
    before = journal_size(runtime, tenant.tenant_id)
    r = api.post("/ledger-entries", {"debit": customer, "credit": merchant, "amount_minor": amount})
    assert r.status_code == 400
    error = r.json()["error"]
    assert error["code"] == code and error["param"] == "amount_minor" and error["request_id"].startswith("req_")
    assert journal_size(runtime, tenant.tenant_id) == before


@pytest.mark.parametrize("amount", [12.5, "7", False, 0, -1, 2**63])
def test_bad_amounts_are_refused_on_holds_legs_and_batches(api, amount):
    _, customer = api.funded_account(1000)
    merchant = api.account()
    hold = api.post("/holds", {"account": customer, "amount_minor": amount, "ttl_seconds": 60, "reason": "r", "source_request": "s"})
    assert hold.status_code == 400 and hold.json()["error"]["param"] == "amount_minor"
    lines = [{"account": customer, "direction": "debit", "amount_minor": amount}, {"account": merchant, "direction": "credit", "amount_minor": amount}]
    legs = api.post("/ledger-entries", {"lines": lines})
    assert legs.status_code == 400 and legs.json()["error"]["param"] == "lines[0].amount_minor"
    batch = api.post("/ledger-entries/batch", {"postings": [{"debit": customer, "credit": merchant, "amount_minor": amount}]})
    assert batch.status_code == 400 and batch.json()["error"]["param"] == "postings[0].amount_minor"
    assert api.balances(customer) == {"posted": 1000, "pending": 0, "available": 1000}


@pytest.mark.parametrize("currency", ["usd", "XYZ", "US", "", 840, None, "XAU"])
def test_unknown_currency_is_refused(api, currency):
    r = api.post("/accounts", {"customer": "c", "currency": currency, "account_type": "operating"})
    assert r.status_code == 400 and r.json()["error"]["code"] == "unknown_currency"
    assert api.get("/accounts").json()["total"] == 0


def test_currency_exponents_follow_iso_4217():
    from backend.money.currencies import exponent, format_minor

    assert (exponent("USD"), exponent("JPY"), exponent("BHD")) == (2, 0, 3)
    assert format_minor(125000, "USD") == "1,250.00 USD"
    assert format_minor(125000, "JPY") == "125,000 JPY"
    assert format_minor(-1, "BHD") == "-0.001 BHD"


def test_posting_mixing_currencies_is_refused(api):
    _, usd = api.funded_account(1000, "USD")
    eur = api.account("EUR")
    r = api.post("/ledger-entries", {"debit": usd, "credit": eur, "amount_minor": 10})
    assert r.status_code == 400 and r.json()["error"]["code"] == "currency_mismatch"
    assert api.balances(usd)["posted"] == 1000


def test_unknown_account_is_refused(api):
    _, customer = api.funded_account(1000)
    r = api.post("/ledger-entries", {"debit": customer, "credit": "acct_doesnotexist", "amount_minor": 10})
    assert r.status_code == 400 and r.json()["error"] == {**r.json()["error"], "code": "unknown_account", "param": "credit"}
    assert api.balances(customer)["posted"] == 1000


def test_insufficient_funds_is_refused_and_changes_nothing(api):
    _, customer = api.funded_account(1000)
    merchant = api.account()
    r = api.post("/ledger-entries", {"debit": customer, "credit": merchant, "amount_minor": 1001})
    assert r.status_code == 422 and r.json()["error"]["code"] == "insufficient_funds" and r.json()["error"]["param"] == "debit"
    assert api.balances(customer)["posted"] == 1000 and api.balances(merchant)["posted"] == 0


def test_a_hold_counts_against_available(api):
    _, customer = api.funded_account(1000)
    merchant = api.account()
    assert api.post("/holds", {"account": customer, "amount_minor": 600, "ttl_seconds": 600, "reason": "auth", "source_request": "r1"}).status_code == 201
    r = api.post("/ledger-entries", {"debit": customer, "credit": merchant, "amount_minor": 401})
    assert r.json()["error"]["code"] == "insufficient_funds"
    assert api.post("/ledger-entries", {"debit": customer, "credit": merchant, "amount_minor": 400}).status_code == 201


def test_allow_negative_account_may_go_below_zero(api):
    funding = api.account(allow_negative=True)
    customer = api.account()
    assert api.post("/ledger-entries", {"debit": funding, "credit": customer, "amount_minor": 5}).status_code == 201
    assert api.balances(funding) == {"posted": -5, "pending": 0, "available": -5}


def test_balance_overflow_is_refused(api):
    funding = api.account(allow_negative=True)
    customer = api.account()
    assert api.post("/ledger-entries", {"debit": funding, "credit": customer, "amount_minor": 2**63 - 1}).status_code == 201
    r = api.post("/ledger-entries", {"debit": funding, "credit": customer, "amount_minor": 1})
    assert r.status_code == 400 and r.json()["error"]["code"] == "amount_out_of_range"
    assert api.balances(customer)["posted"] == 2**63 - 1


@pytest.mark.parametrize(
    ("raw", "code"),
    [
        (b"{not json", "invalid_request"),
        (b"[1, 2]", "invalid_request"),
        (b'{"amount_minor": NaN}', "invalid_request"),
        (b'"text"', "invalid_request"),
    ],
)
def test_malformed_bodies_are_invalid_request(api, raw, code):
    r = api.client.post("/ledger-entries", content=raw, headers={"Idempotency-Key": "k", "Content-Type": "application/json"})
    assert r.status_code == 400 and r.json()["error"]["code"] == code


def test_unknown_fields_missing_fields_and_bad_timestamps_are_validation_errors(api):
    _, customer = api.funded_account(1000)
    merchant = api.account()
    cases = [
        ({"debit": customer, "credit": merchant, "amount_minor": 1, "amount": 5}, "amount"),
        ({"credit": merchant, "amount_minor": 1}, "debit"),
        ({"debit": customer, "credit": customer, "amount_minor": 1}, "credit"),
        ({"debit": customer, "credit": merchant, "amount_minor": 1, "pending": True, "expires_at": "tomorrow"}, "expires_at"),
        ({"debit": customer, "credit": merchant, "amount_minor": 1, "pending": True, "expires_at": "2030-01-01T00:00:00"}, "expires_at"),
        ({"debit": customer, "credit": merchant, "amount_minor": 1, "pending": True, "expires_at": "2001-01-01T00:00:00Z"}, "expires_at"),
        ({"debit": customer, "credit": merchant, "amount_minor": 1, "expires_at": "2030-01-01T00:00:00Z"}, "expires_at"),
        ({"debit": customer, "credit": merchant, "amount_minor": 1, "pending": "yes"}, "pending"),
        ({"debit": customer, "credit": merchant, "amount_minor": 1, "metadata": {"k": 1.5}}, "metadata.k"),
    ]
    for body, param in cases:
        r = api.post("/ledger-entries", body)
        assert (r.status_code, r.json()["error"]["code"], r.json()["error"]["param"]) == (400, "validation_error", param), body
    assert api.balances(customer)["posted"] == 1000


def test_missing_idempotency_key_is_a_validation_error(api):
    r = api.client.post("/accounts", json={"customer": "c", "currency": "USD", "account_type": "x"})
    assert r.status_code == 400 and r.json()["error"]["param"] == "idempotency_key"


def test_bad_query_parameters_are_validation_errors(api):
    customer = api.account()
    assert api.get("/accounts", params={"limit": "0"}).json()["error"]["param"] == "limit"
    assert api.get("/accounts", params={"limit": "abc"}).json()["error"]["code"] == "validation_error"
    assert api.get(f"/accounts/{customer}", params={"as_of": "yesterday"}).json()["error"]["param"] == "as_of"
    assert api.get(f"/accounts/{customer}", params={"as_of": "2999-01-01T00:00:00Z"}).json()["error"]["param"] == "as_of"


def test_unknown_routes_and_methods_answer_in_the_error_shape(api):
    r = api.get("/no-such-thing")
    assert r.status_code == 404 and r.json()["error"]["code"] == "not_found"
    r = api.client.delete("/accounts")
    assert r.status_code == 405 and r.json()["error"]["code"] == "invalid_request"


@pytest.mark.parametrize(
    ("path", "params", "param"),
    [
        ("/accounts", {"limit": "²"}, "limit"),
        ("/accounts", {"offset": "9" * 5000}, "offset"),
        ("/accounts", {"q": "a\x00b"}, "q"),
        ("/events", {"after": "evt\x00"}, "after"),
        ("/holds", {"account": "acct\x00"}, "account"),
    ],
)
def test_odd_query_parameters_are_validation_errors(api, path, params, param):
    r = api.get(path, params=params)
    assert r.status_code == 400 and r.json()["error"]["param"] == param


def test_invalid_utf8_in_a_query_is_searched_as_replacement_characters(api):
    api.account()
    r = api.get("/accounts?q=%ED%A0%80")
    assert r.status_code == 200 and r.json()["total"] == 0


@pytest.mark.parametrize("as_of", ["9999-12-31T23:59:59-01:00", "0001-01-01T00:00:00+01:00"])
def test_timestamps_beyond_the_calendar_are_validation_errors(api, as_of):
    customer = api.account()
    r = api.get(f"/accounts/{customer}", params={"as_of": as_of})
    assert r.status_code == 400 and r.json()["error"]["param"] == "as_of"
    merchant = api.account(allow_negative=True)
    r = api.post("/ledger-entries", {"debit": merchant, "credit": customer, "amount_minor": 1, "pending": True, "expires_at": as_of})
    assert r.status_code == 400 and r.json()["error"]["param"] == "expires_at"


@pytest.mark.parametrize("text", ["a\x00b", "\ud800"])
def test_text_no_column_can_hold_is_refused_on_every_string_field(api, text):
    import json

    funding, customer = api.funded_account(100)
    bodies = [
        ("/accounts", {"customer": text, "currency": "USD", "account_type": "t"}, "customer"),
        ("/ledger-entries", {"debit": funding, "credit": customer, "amount_minor": 1, "description": text}, "description"),
        ("/ledger-entries", {"debit": funding, "credit": customer, "amount_minor": 1, "metadata": {"k": text}}, "metadata.k"),
        ("/ledger-entries", {"debit": funding, "credit": customer, "amount_minor": 1, "idempotency_key": text}, "idempotency_key"),
    ]
    for path, body, param in bodies:
        raw = json.dumps({"idempotency_key": "k-" + param, **body})
        r = api.client.post(path, content=raw.encode(), headers={"Content-Type": "application/json"})
        assert r.status_code == 400 and r.json()["error"]["param"] == param, (path, r.text)
    assert api.balances(customer)["posted"] == 100


def test_metadata_integers_must_fit_64_bits(api):
    funding, customer = api.funded_account(100)
    r = api.post("/ledger-entries", {"debit": funding, "credit": customer, "amount_minor": 1, "metadata": {"big": 2**70}})
    assert r.status_code == 400 and r.json()["error"]["param"] == "metadata.big"
    assert api.get("/ledger-entries", params={"account": customer}).status_code == 200


def test_deeply_nested_body_is_invalid_request(api):
    r = api.client.post("/ledger-entries", content=b"[" * 100_000, headers={"Idempotency-Key": "k"})
    assert r.status_code == 400 and r.json()["error"]["code"] == "invalid_request"


def test_ids_that_could_never_exist_are_not_found(api):
    for path in ("/ledger-entries/" + "p" * 300 + "/void", "/holds/" + "h" * 300 + "/capture"):
        r = api.post(path, {"reason": "x", "source_request": "y"})
        assert r.status_code == 404 and r.json()["error"]["code"] == "not_found"
    assert api.get("/accounts/" + "a" * 300).status_code == 404


def test_void_reason_must_be_a_short_string(api):
    funding, customer = api.funded_account(100)
    pending = api.post("/ledger-entries", {"debit": customer, "credit": funding, "amount_minor": 1, "pending": True}).json()
    for reason in ({"x": 1}, ["a"], "r" * 501):
        r = api.post(f"/ledger-entries/{pending['posting_id']}/void", {"reason": reason})
        assert r.status_code == 400 and r.json()["error"]["param"] == "reason"
    assert api.get(f"/ledger-entries/{pending['posting_id']}").json()["status"] == "pending"
