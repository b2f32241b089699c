"""A sandbox provider's settlement report: what it settled, in the default mapping, which
reconciles to 100 % against the intents it settled through the real API."""

from __future__ import annotations

import csv
import io

import httpx

from tests.backend.intents.support import rails
from tests.backend.reconciliation.support import import_report, settle
from tests.conftest import make_tenant


def fetch(api_url: str, key: str, provider_id: str, day: str) -> httpx.Response:
    return httpx.get(f"{api_url}/sandbox/providers/{provider_id}/settlement-report", params={"date": day}, headers={"Authorization": f"Bearer {key}"})


def test_the_report_lists_each_settlement_once_and_reconciles_to_100_percent(api, api_url, runtime, tenant):
    rails_ = rails(api, {"duplicate_rate": 1.0, "out_of_order_rate": 1.0})  # every callback twice, each followed by a stale failure
    intents = settle(runtime, rails_, (1234, "Alpha"), (50_000, "Beta"), (7, "Gamma"))
    provider_id, today = rails_.providers[0]["id"], runtime.now().date().isoformat()
    r = fetch(api_url, tenant.sandbox_key, provider_id, today)
    assert r.status_code == 200 and r.headers["content-type"].startswith("text/csv"), r.text
    rows = list(csv.DictReader(io.StringIO(r.text)))
    assert sorted((row["reference"], row["amount"], row["currency"], row["value_date"], row["counterparty"]) for row in rows) == sorted(
        (i["reference"], f"{i['amount_minor'] // 100}.{i['amount_minor'] % 100:02d}", "USD", today, cp) for i, cp in zip(intents, ("Alpha", "Beta", "Gamma"))
    )
    run = import_report(api, provider_id, r.text).json()
    assert (run["line_count"], run["matched_count"], run["exception_count"], run["match_rate"]) == (3, 3, 0, "100.00%")
    assert run["counts"]["exact_id"] == 3


def test_another_day_is_empty_and_a_bad_date_is_refused(api, api_url, runtime, tenant):
    provider_id = rails(api).providers[0]["id"]
    assert fetch(api_url, tenant.sandbox_key, provider_id, "2001-01-01").text.splitlines() == ["reference,amount,currency,value_date,counterparty,receipt"]
    r = fetch(api_url, tenant.sandbox_key, provider_id, "21/11/2026")
    assert (r.status_code, r.json()["param"]) == (400, "date")


def test_only_the_providers_own_tenant_in_sandbox_reads_it(api, api_url, runtime, tenant):
    provider_id, today = rails(api).providers[0]["id"], runtime.now().date().isoformat()
    assert fetch(api_url, make_tenant(runtime, "Other").sandbox_key, provider_id, today).status_code == 404
    assert fetch(api_url, tenant.live_key, provider_id, today).status_code == 403
    assert fetch(api_url, "zk_test_nope", provider_id, today).status_code == 401
