"""Reconciliation from the operations room: the same services as the API behind the operator's
session and role, each action recorded with the operator."""

from __future__ import annotations

import pytest

from backend.errors import ZentraError
from backend.operators import reconciliation_actions
from tests.backend.intents.support import rails
from tests.backend.operators.conftest import make_operator, open_session, records, rid
from tests.backend.reconciliation.support import settle


def test_finance_reconciles_a_sandbox_providers_day_and_resolves_what_is_left(api, runtime, tenant):
    rails_ = rails(api)
    settle(runtime, rails_, (1000, "Alpha"), (2000, "Beta"))
    finance = make_operator(runtime, {tenant.tenant_id: "finance"})
    token, request_id = open_session(runtime, finance.operator_id, tenant.tenant_id), rid()
    run = reconciliation_actions.reconcile_sandbox_day(runtime, token, rails_.providers[0]["id"], runtime.now().date(), request_id)
    assert (run["line_count"], run["matched_count"], run["match_rate"], run["created_by"]) == (2, 2, "100.00%", f"operator:{finance.operator_id}")
    [record] = [r for r in records(runtime, request_id) if r["action"] == "reconciliation.manage"]
    assert (record["object"], record["detail"]["action"]) == (run["id"], "import_sandbox_report")

    ghost = reconciliation_actions.import_report(runtime, token, {"provider_id": rails_.providers[0]["id"], "report": "reference,amount,currency,value_date\nGHOST,1.00,USD,2026-01-01\n"})
    exception_id = api.get("/reconciliation/exceptions", params={"run_id": ghost["id"]}).json()["data"][0]["id"]
    resolved = reconciliation_actions.resolve_exception(runtime, token, exception_id, {"action": "accept_ledger", "note": "not ours"})
    assert (resolved["status"], resolved["resolved_by"]) == ("resolved", f"operator:{finance.operator_id}")


def test_support_may_not_import_or_resolve_from_the_room(api, runtime, tenant):
    provider_id = rails(api).providers[0]["id"]
    support = make_operator(runtime, {tenant.tenant_id: "support"})
    token = open_session(runtime, support.operator_id, tenant.tenant_id)
    with pytest.raises(ZentraError) as refused:
        reconciliation_actions.reconcile_sandbox_day(runtime, token, provider_id, runtime.now().date())
    assert refused.value.code == "forbidden"
    assert api.get("/reconciliation/runs").json()["total"] == 0
