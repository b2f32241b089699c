"""Reconciliation as callbacks arrive: each settlement is recorded with the callback that moved the
money, and the worker matches it to a report line that came first, or leaves it for a report;
each provider's day is a continuous run kept current."""

from __future__ import annotations

from sqlalchemy import select

from backend.db import transactions
from backend.db.tables import ReconciliationSettlement
from backend.reconciliation import continuous
from tests.backend.intents.support import payment, rails, route_due, wait_for
from tests.backend.reconciliation.support import csv_report, import_report, settle


def match_pass(runtime) -> int:
    return transactions.write(runtime.db, lambda s: continuous.match_new(s, runtime.now()))


def test_a_settlement_callback_records_what_the_report_should_show(api, runtime):
    rails_ = rails(api)
    (intent,) = settle(runtime, rails_, (4200, "Alpha"))
    rows = transactions.read(runtime.db, lambda s: s.execute(select(ReconciliationSettlement).where(ReconciliationSettlement.reference == intent["reference"])).scalars().all())
    assert [(r.provider_id, r.intent_id, r.amount_minor, r.currency, r.counterparty, r.status, r.posting_id in intent["postings"]) for r in rows] == [
        (rails_.providers[0]["id"], intent["intent_id"], 4200, "USD", "Alpha", "new", True)
    ]


def test_a_line_listed_before_its_callback_is_matched_when_the_callback_arrives(api, runtime):
    rails_ = rails(api)
    provider_id, today = rails_.providers[0]["id"], runtime.now().date()
    early, differs = (payment(rails_, amount, counterparty="Alpha").json() for amount in (1500, 2500))
    run = import_report(api, provider_id, csv_report((early["intent_id"], 1500, "Alpha", today, "USD"), (differs["intent_id"], 2499, "Alpha", today, "USD"))).json()
    assert (run["matched_count"], run["counts"]["missing_in_ledger"]) == (0, 2)

    route_due(runtime)
    for intent in (early, differs):
        wait_for(api, intent["intent_id"], "synchronized")
    while match_pass(runtime):
        pass

    after = api.get(f"/reconciliation/runs/{run['id']}").json()
    assert (after["matched_count"], after["open_exceptions"], after["match_rate_bp"]) == (1, 1, 5000)
    resolved = api.get("/reconciliation/exceptions", params={"run_id": run["id"], "status": "resolved"}).json()["data"]
    assert [(x["reference"], x["resolution"], x["resolved_by"], x["settlement"]["intent_id"]) for x in resolved] == [(early["intent_id"], "matched_later", "system:reconciliation", early["intent_id"])]
    still = api.get("/reconciliation/exceptions", params={"run_id": run["id"]}).json()["data"]
    assert [(x["reason"], x["report_amount_minor"], x["ledger_amount_minor"]) for x in still] == [("amount_differs", 2499, 2500)]
    assert {e["type"] for e in api.get("/events", params={"limit": 100}).json()["data"]} >= {"reconciliation.exception_resolved", "reconciliation.exception_updated"}


def test_each_providers_day_is_a_continuous_run_that_imports_keep_current(api, runtime):
    rails_ = rails(api)
    provider_id, today = rails_.providers[0]["id"], runtime.now().date()
    while match_pass(runtime):  # settlements earlier tests left in the shared database are not this test's
        pass
    intents = settle(runtime, rails_, (100, "A"), (200, "B"), (300, "C"))
    assert match_pass(runtime) == 3
    assert match_pass(runtime) == 0
    day = api.get("/reconciliation/runs", params={"source": "continuous"}).json()["data"]
    assert [(r["provider_id"], r["period_start"], r["line_count"], r["matched_count"], r["match_rate_bp"]) for r in day] == [(provider_id, today.isoformat(), 3, 0, 0)]
    import_report(api, provider_id, csv_report(*[(i["reference"], i["amount_minor"], "x", today, "USD") for i in intents[:2]]))
    day = api.get(f"/reconciliation/runs/{day[0]['id']}").json()
    assert (day["matched_count"], day["match_rate"], day["counts"]) == (2, "66.66%", {"settled": 3, "matched": 2, "awaiting_report": 1})
