"""Importing a provider's report over the API: every kind of match and mismatch in one report, the
run's counts and rate, its event and audit record, and a bad report changing nothing."""

from __future__ import annotations

import pytest
from sqlalchemy import func, select

from backend.audit.sealer import seal
from backend.db import transactions
from backend.db.tables import AuditRecord, ReconciliationLine, ReconciliationMatch
from tests.backend.intents.support import rails
from tests.backend.reconciliation.support import (
    csv_report,
    import_report,
    settle,
    settlement_status,
)


@pytest.fixture
def world(api, runtime):
    """Six intents a sandbox provider settled today; two of them for the same counterparty."""
    rails_ = rails(api)
    intents = settle(runtime, rails_, (1000, "Alpha"), (2000, "Beta"), (3000, "Batch Co"), (4000, "Batch Co"), (5000, "Gamma"), (6000, "Delta"))
    return rails_.providers[0]["id"], intents, runtime.now().date()


def test_a_report_with_every_kind_of_mismatch(api, runtime, tenant, world):
    provider_id, (exact, by_amount, batch_a, batch_b, differs, absent), today = world
    report = csv_report(
        (exact["reference"], 1000, "Alpha", today, "USD"),  # line 2: exact id
        ("PSP-778", 2000, "Beta", today, "USD"),  # line 3: the provider's own reference; amount and date
        ("BATCH-1", 7000, "Batch Co", today, "USD"),  # line 4: the sum of two settlements of Batch Co
        (differs["reference"], 5001, "Gamma", today, "USD"),  # line 5: amount differs
        (exact["reference"], 1000, "Alpha", today, "USD"),  # line 6: duplicate
        ("GHOST-1", 999, "Nobody", today, "USD"),  # line 7: missing in ledger
    )  # and `absent` is missing from the report
    r = import_report(api, provider_id, report, file_name="day.csv")
    assert r.status_code == 201, r.text
    run = r.json()
    assert (run["line_count"], run["matched_count"], run["exception_count"], run["open_exceptions"]) == (6, 3, 4, 4)
    assert run["counts"] == {"exact_id": 1, "amount_date": 1, "one_to_many": 1, "missing_in_ledger": 1, "missing_in_report": 1, "amount_differs": 1, "duplicate": 1}
    assert (run["match_rate_bp"], run["match_rate"]) == (3 * 10_000 // 7, "42.85%")
    assert (run["period_start"], run["period_end"], run["source"], run["file_name"]) == (today.isoformat(), today.isoformat(), "import", "day.csv")

    queue = api.get("/reconciliation/exceptions", params={"run_id": run["id"]}).json()
    found = {(x["reason"], x["line"]["line_no"] if x["line"] else None, x["settlement"]["intent_id"] if x["settlement"] else None) for x in queue["data"]}
    assert found == {("amount_differs", 5, differs["intent_id"]), ("duplicate", 6, None), ("missing_in_ledger", 7, None), ("missing_in_report", None, absent["intent_id"])}
    amounts = next(x for x in queue["data"] if x["reason"] == "amount_differs")
    assert (amounts["report_amount_minor"], amounts["ledger_amount_minor"]) == (5001, 5000)

    methods = transactions.read(runtime.db, lambda s: sorted(s.execute(select(ReconciliationMatch.line_no, ReconciliationMatch.method).where(ReconciliationMatch.run_id == run["id"])).all()))
    assert methods == [(2, "exact_id"), (3, "amount_date"), (4, "one_to_many"), (4, "one_to_many")]
    assert [settlement_status(runtime, i["reference"]) for i in (exact, by_amount, batch_a, batch_b)] == ["matched"] * 4
    assert settlement_status(runtime, differs["reference"]) != "matched"

    events = [e for e in api.get("/events", params={"limit": 100}).json()["data"] if e["type"] == "reconciliation.completed"]
    assert [e["object"] for e in events] == [run["id"]] and events[0]["data"]["match_rate_bp"] == run["match_rate_bp"]
    seal(runtime.db)
    audit = transactions.read(runtime.db, lambda s: s.execute(select(AuditRecord.actor).where(AuditRecord.chain == tenant.tenant_id, AuditRecord.action == "reconciliation.import", AuditRecord.object_id == run["id"])).scalars().all())
    assert len(audit) == 1 and audit[0].startswith("api_key:")
    assert api.get(f"/reconciliation/runs/{run['id']}").json() == run


def test_a_second_report_matching_what_the_first_missed_closes_its_exception(api, runtime, world):
    provider_id, intents, today = world
    first = import_report(api, provider_id, csv_report(*[(i["reference"], i["amount_minor"], "x", today, "USD") for i in intents[:5]])).json()
    assert first["counts"]["missing_in_report"] == 1
    again = import_report(api, provider_id, csv_report((intents[5]["reference"], 6000, "Delta", today, "USD"))).json()
    assert (again["matched_count"], again["exception_count"]) == (1, 0)
    closed = api.get("/reconciliation/exceptions", params={"run_id": first["id"], "status": "resolved"}).json()["data"]
    assert [(x["reason"], x["resolution"], x["resolved_by"]) for x in closed] == [("missing_in_report", "matched_later", "system:reconciliation")]
    assert api.get(f"/reconciliation/runs/{first['id']}").json()["open_exceptions"] == 0


def test_a_report_listing_what_an_earlier_run_matched_marks_it_duplicate(api, world):
    provider_id, intents, today = world
    line = (intents[0]["reference"], 1000, "Alpha", today, "USD")
    import_report(api, provider_id, csv_report(line))
    again = import_report(api, provider_id, csv_report(line)).json()
    assert again["counts"]["duplicate"] == 1 and again["matched_count"] == 0


def test_a_bad_report_is_refused_whole_and_changes_nothing(api, runtime, world):
    provider_id, intents, today = world
    before = (api.get("/reconciliation/runs").json()["total"], api.get("/events", params={"limit": 100}).json()["data"])
    lines_before = transactions.read(runtime.db, lambda s: s.execute(select(func.count()).select_from(ReconciliationLine)).scalar_one())
    good = (intents[0]["reference"], 1000, "Alpha", today, "USD")
    bad = csv_report(good) + f"{intents[1]['reference']},20.001,USD,{today.isoformat()},Beta\n"
    r = import_report(api, provider_id, bad)
    assert (r.status_code, r.json()["error"]["code"], r.json()["error"]["param"]) == (400, "amount_not_integer", "lines[3].amount")
    r = import_report(api, provider_id, csv_report(good).replace("USD", "US$"))
    assert (r.status_code, r.json()["error"]["code"]) == (400, "unknown_currency")
    r = import_report(api, provider_id, csv_report(good), tolerance_days=-1)
    assert (r.status_code, r.json()["error"]["param"]) == (400, "tolerance_days")
    after = (api.get("/reconciliation/runs").json()["total"], api.get("/events", params={"limit": 100}).json()["data"])
    assert after == before
    assert transactions.read(runtime.db, lambda s: s.execute(select(func.count()).select_from(ReconciliationLine)).scalar_one()) == lines_before
    assert settlement_status(runtime, intents[0]["reference"]) != "matched"


def test_an_import_is_idempotent_and_a_reused_key_with_another_report_is_refused(api, world):
    provider_id, intents, today = world
    body = {"provider_id": provider_id, "report": csv_report((intents[0]["reference"], 1000, "Alpha", today, "USD"))}
    first = api.post("/reconciliation/runs", body, key="recon-1")
    replay = api.post("/reconciliation/runs", body, key="recon-1")
    assert replay.headers.get("Idempotent-Replayed") == "true" and replay.content == first.content
    reused = api.post("/reconciliation/runs", {**body, "report": body["report"] + "x,1.00,USD,2026-01-01,\n"}, key="recon-1")
    assert (reused.status_code, reused.json()["error"]["code"]) == (409, "idempotency_key_reused")
    assert api.get("/reconciliation/runs").json()["total"] == 1


def test_an_empty_day_needs_its_period_and_then_lists_what_is_missing(api, world):
    provider_id, intents, today = world
    r = import_report(api, provider_id, "reference,amount,currency,value_date\n")
    assert (r.status_code, r.json()["error"]["param"]) == (400, "report")
    run = import_report(api, provider_id, "reference,amount,currency,value_date\n", period_start=today.isoformat(), period_end=today.isoformat()).json()
    assert (run["line_count"], run["counts"]["missing_in_report"], run["match_rate_bp"]) == (0, 6, 0)


def test_a_providers_own_mapping_is_kept_and_used(api, world):
    provider_id, intents, today = world
    mapping = {"reference": "Ref", "amount": "Cents", "currency": "Ccy", "value_date": "Day", "counterparty": None, "amount_format": "minor", "date_format": "yyyymmdd", "delimiter": ";"}
    r = api.post(f"/reconciliation/providers/{provider_id}/mapping", {"mapping": mapping})
    assert r.status_code == 200 and r.json()["default"] is False, r.text
    assert api.get(f"/reconciliation/providers/{provider_id}/mapping").json()["mapping"] == mapping
    run = import_report(api, provider_id, f"Ref;Cents;Ccy;Day\n{intents[0]['reference']};1000;USD;{today.strftime('%Y%m%d')}\n").json()
    assert run["counts"]["exact_id"] == 1
    assert api.post(f"/reconciliation/providers/{provider_id}/mapping", {"mapping": None}).json()["default"] is True
