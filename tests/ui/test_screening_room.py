"""The screening room's pure logic: rows from service views and which pushed events refresh it
(no database, no browser)."""

from __future__ import annotations

from state.screening import customer_row, list_row, touches_screening

LIST = {"id": "scl_1", "object": "screening_list", "name": "Sanctions", "source": "OFAC export", "version": 3, "entry_count": 12_480, "loaded_at": "2026-11-21T09:00:00.000000Z", "loaded_by": "operator:op_1"}
CUSTOMER = {"id": "cus_1", "object": "customer", "customer": "Customer 7", "name": "Ada Lovelace", "kyc_status": "pending", "created_at": "2026-11-20T09:00:00.000000Z", "updated_at": "2026-11-21T09:00:00.000000Z", "updated_by": "operator:op_2"}


def test_a_list_row_shows_its_version_size_and_when_it_was_loaded_in_the_operators_zone():
    row = list_row(LIST, "Europe/Berlin")
    assert (row["name"], row["version"], row["entries"], row["source"], row["loaded_by"]) == ("Sanctions", "3", "12,480", "OFAC export", "operator:op_1")
    assert (row["loaded_at"], row["loaded_at_iso"]) == ("2026-11-21 10:00:00 CET", LIST["loaded_at"])


def test_a_customer_row_shows_its_kyc_status_and_who_changed_it_last():
    row = customer_row(CUSTOMER, "America/New_York")
    assert (row["customer"], row["name"], row["kyc_status"], row["updated_by"]) == ("Customer 7", "Ada Lovelace", "pending", "operator:op_2")
    assert row["updated_at"] == "2026-11-21 04:00:00 EST"
    assert customer_row({**CUSTOMER, "updated_by": None})["updated_by"] == ""


def test_only_list_loads_and_customer_changes_refresh_the_room():
    assert touches_screening([{"type": "ledger.posted"}, {"type": "customer.kyc_updated"}])
    assert touches_screening([{"type": "screening.list_loaded"}])
    assert not touches_screening([{"type": "screening.matched"}, {"type": "intent.settled"}, {}])
