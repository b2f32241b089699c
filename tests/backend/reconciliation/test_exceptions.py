"""Resolving exceptions: finance's audited decision, once; other roles, API keys and other tenants
refused; a manual link counts as a match."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from backend.audit.sealer import seal
from backend.db import transactions
from backend.db.tables import AuditRecord
from tests.backend.intents.support import rails, sandbox_provider
from tests.backend.operators.conftest import make_operator, open_session
from tests.backend.reconciliation.support import (
    csv_report,
    import_report,
    settle,
    settlement_status,
)
from tests.conftest import Api, make_tenant


@pytest.fixture
def person(api_url, runtime, tenant):
    def make(role: str, tenant_id: str | None = None) -> Api:
        tid = tenant_id or tenant.tenant_id
        operator = make_operator(runtime, {tid: role})
        client = Api(api_url, open_session(runtime, operator.operator_id, tid))
        client.actor = f"operator:{operator.operator_id}"
        return client

    return make


@pytest.fixture
def ghost(api, runtime):
    """An open `missing_in_ledger` exception: a report line no settlement explains."""
    provider = sandbox_provider(api, "Sandbox")
    run = import_report(api, provider["id"], csv_report(("GHOST-1", 999, "Nobody", runtime.now().date(), "USD"))).json()
    return api.get("/reconciliation/exceptions", params={"run_id": run["id"]}).json()["data"][0]


def _audit(runtime, tenant_id: str, action: str) -> list[AuditRecord]:
    seal(runtime.db)
    query = select(AuditRecord).where(AuditRecord.chain == tenant_id, AuditRecord.action == action).order_by(AuditRecord.seq)
    return list(transactions.read(runtime.db, lambda s: s.execute(query).scalars().all()))


def test_finance_resolves_once_audited_and_a_second_time_is_refused(api, runtime, tenant, person, ghost):
    finance = person("finance")
    r = finance.post(f"/reconciliation/exceptions/{ghost['id']}/resolve", {"action": "accept_ledger", "note": "provider error, ticket 42"})
    assert r.status_code == 200, r.text
    assert (r.json()["status"], r.json()["resolution"], r.json()["resolved_by"], r.json()["note"]) == ("resolved", "accept_ledger", finance.actor, "provider error, ticket 42")
    again = person("admin").post(f"/reconciliation/exceptions/{ghost['id']}/resolve", {"action": "write_off", "note": "x"})
    assert (again.status_code, again.json()["error"]["code"]) == (409, "invalid_state_transition")
    records = _audit(runtime, tenant.tenant_id, "reconciliation.resolve")
    assert [(r.actor, r.role, r.object_id) for r in records] == [(finance.actor, "finance", ghost["id"])]
    events = [e for e in api.get("/events", params={"limit": 100}).json()["data"] if e["type"] == "reconciliation.exception_resolved"]
    assert [(e["object"], e["data"]["resolution"]) for e in events] == [(ghost["id"], "accept_ledger")]
    assert api.get("/reconciliation/exceptions").json()["total"] == 0
    assert api.get("/reconciliation/exceptions", params={"status": "resolved"}).json()["total"] == 1


@pytest.mark.parametrize("role", ["support", "viewer", "compliance"])
def test_a_role_that_does_not_manage_reconciliation_is_refused_and_recorded(runtime, tenant, person, ghost, role):
    r = person(role).post(f"/reconciliation/exceptions/{ghost['id']}/resolve", {"action": "accept_ledger"})
    assert (r.status_code, r.json()["error"]["code"]) == (403, "forbidden")
    denied = _audit(runtime, tenant.tenant_id, "reconciliation.manage")  # filed under the permission tried
    assert [(d.role, d.policy_json.count("denied")) for d in denied] == [(role, 1)]
    assert _audit(runtime, tenant.tenant_id, "reconciliation.resolve") == []


def test_an_api_key_is_nobody_and_may_not_resolve(api, runtime, tenant, ghost):
    r = api.post(f"/reconciliation/exceptions/{ghost['id']}/resolve", {"action": "accept_ledger"})
    assert (r.status_code, r.json()["error"]["code"]) == (403, "forbidden")
    assert api.get("/reconciliation/exceptions").json()["data"][0]["status"] == "open"
    denied = _audit(runtime, tenant.tenant_id, "reconciliation.resolve")
    assert [(d.role, d.object_id, d.policy_json.count("denied")) for d in denied] == [("api_key", ghost["id"], 1)]


def test_another_tenants_finance_gets_not_found(runtime, person, ghost):
    other = make_tenant(runtime, "Other")
    r = person("finance", other.tenant_id).post(f"/reconciliation/exceptions/{ghost['id']}/resolve", {"action": "accept_ledger"})
    assert (r.status_code, r.json()["error"]["code"]) == (404, "not_found")


def test_bad_resolutions_are_refused_and_leave_it_open(api, person, ghost):
    finance = person("finance")
    for body, param in [({"action": "write_off"}, "note"), ({"action": "ignore"}, "action"), ({"action": "accept_ledger", "settlement_id": "rcs_x"}, "settlement_id"), ({"action": "accept_ledger", "extra": 1}, "extra")]:
        r = finance.post(f"/reconciliation/exceptions/{ghost['id']}/resolve", body)
        assert (r.status_code, r.json()["error"]["param"]) == (400, param), r.text
    assert api.get("/reconciliation/exceptions").json()["data"][0]["status"] == "open"


def test_linking_a_line_to_its_settlement_by_hand_counts_as_a_match(api, runtime, person):
    rails_ = rails(api)
    (intent,) = settle(runtime, rails_, (2500, "Beta"))
    today = runtime.now().date()
    run = import_report(api, rails_.providers[0]["id"], csv_report(("PSP-OWN", 2400, "Beta", today, "USD")), tolerance_days=0).json()
    exceptions = api.get("/reconciliation/exceptions", params={"run_id": run["id"]}).json()["data"]
    line = next(x for x in exceptions if x["reason"] == "missing_in_ledger")
    absent = next(x for x in exceptions if x["reason"] == "missing_in_report")
    finance = person("finance")
    r = finance.post(f"/reconciliation/exceptions/{line['id']}/resolve", {"action": "linked_manually", "note": "fee deducted by the provider", "settlement_id": absent["settlement"]["id"]})
    assert r.status_code == 200, r.text
    assert r.json()["settlement"]["intent_id"] == intent["intent_id"]
    assert settlement_status(runtime, intent["reference"]) == "matched"
    assert api.get(f"/reconciliation/runs/{run['id']}").json()["matched_count"] == 1
    twice = finance.post(f"/reconciliation/exceptions/{absent['id']}/resolve", {"action": "linked_manually", "note": "again", "settlement_id": absent["settlement"]["id"]})
    assert (twice.status_code, twice.json()["error"]["param"]) == (400, "settlement_id")
