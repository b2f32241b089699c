"""Failure-scenario runs as records: queued once per scenario and tenant, claimed by one worker,
closed with their verdict, interrupted when nobody finishes them; refusals change nothing."""

from __future__ import annotations

import dataclasses
import threading
from datetime import timedelta

import pytest
from sqlalchemy import func, select

from backend.db import transactions
from backend.db.tables import Event, SandboxScenarioRun
from backend.errors import ZentraError
from backend.sandbox import scenario_runs, scenario_worker
from backend.sandbox.cast import issue_cast, write_cast
from backend.tenancy.scope import Scope
from tests.backend.operators.conftest import make_operator, open_session
from tests.conftest import Api, free_port, make_tenant


@pytest.fixture
def cast(runtime, tenant):
    """A real rehearsal cast of `tenant` (logins and sandbox keys), as `zentra sandbox seed` makes."""
    return transactions.write(runtime.db, lambda s: issue_cast(s, tenant.tenant_id, runtime.now()))


def _request(runtime, scope, body, cast, now=None):
    return transactions.write(runtime.db, lambda s: scenario_runs.request_run(s, scope, body, now or runtime.now(), cast))


def _runs(runtime, tenant_id) -> int:
    return transactions.read(runtime.db, lambda s: s.execute(select(func.count()).select_from(SandboxScenarioRun).where(SandboxScenarioRun.tenant_id == tenant_id)).scalar_one())


def _claim_all(runtime, now=None):
    return transactions.write(runtime.db, lambda s: scenario_runs.claim(s, now or runtime.now(), 100))


def test_a_request_queues_one_run_and_says_so_on_the_stream(runtime, tenant, cast):
    queued = _request(runtime, tenant.sandbox, {"scenario": "hold-expiry"}, cast)
    assert (queued["status"], queued["scenario"], queued["event"]) == ("queued", "hold-expiry", "sandbox.scenario_requested")
    events = transactions.read(runtime.db, lambda s: s.execute(select(Event.type).where(Event.object_id == queued["id"])).scalars().all())
    assert events == ["sandbox.scenario_requested"]
    _claim_all(runtime)


def test_the_same_scenario_cannot_be_queued_twice_while_active_but_another_can(runtime, tenant, cast):
    first = _request(runtime, tenant.sandbox, {"scenario": "replay-storm"}, cast)
    with pytest.raises(ZentraError) as refused:
        _request(runtime, tenant.sandbox, {"scenario": "replay-storm"}, cast)
    assert refused.value.code == "invalid_state_transition"
    other = _request(runtime, tenant.sandbox, {"scenario": "hold-expiry"}, cast)
    assert other["id"] != first["id"] and _runs(runtime, tenant.tenant_id) == 2
    claimed = {run_id for _, run_id, _ in _claim_all(runtime)}
    assert {first["id"], other["id"]} <= claimed
    scope = Scope(tenant.tenant_id, "sandbox")
    transactions.write(runtime.db, lambda s: scenario_runs.finish(s, scope, first["id"], {"passed": True, "checks": []}, runtime.now()))
    again = _request(runtime, tenant.sandbox, {"scenario": "replay-storm"}, cast)
    assert again["status"] == "queued"  # finished runs no longer block the scenario
    _claim_all(runtime)


@pytest.mark.parametrize("body, code, param", [
    ({"scenario": "meteor-strike"}, "validation_error", "scenario"),
    ({}, "validation_error", "scenario"),
    ({"scenario": ["hold-expiry"]}, "validation_error", "scenario"),
    ({"scenario": "hold-expiry", "speed": 2}, "validation_error", "speed"),
])
def test_bad_requests_are_refused_and_queue_nothing(runtime, tenant, cast, body, code, param):
    with pytest.raises(ZentraError) as refused:
        _request(runtime, tenant.sandbox, body, cast)
    assert (refused.value.code, refused.value.param) == (code, param)
    assert _runs(runtime, tenant.tenant_id) == 0


def test_live_mode_and_tenants_without_their_own_cast_are_refused(runtime, tenant, cast):
    with pytest.raises(ZentraError) as live:
        _request(runtime, tenant.live, {"scenario": "hold-expiry"}, cast)
    with pytest.raises(ZentraError) as uncast:
        _request(runtime, tenant.sandbox, {"scenario": "hold-expiry"}, None)
    neighbour = make_tenant(runtime, "Neighbour")
    with pytest.raises(ZentraError) as borrowed:
        _request(runtime, neighbour.sandbox, {"scenario": "hold-expiry"}, cast)
    assert [e.value.code for e in (live, uncast, borrowed)] == ["invalid_request"] * 3
    assert "rehearsal cast" in borrowed.value.message
    assert _runs(runtime, tenant.tenant_id) == _runs(runtime, neighbour.tenant_id) == 0


def test_racing_workers_claim_each_queued_run_once(runtime, tenant, cast):
    queued = {_request(runtime, tenant.sandbox, {"scenario": name}, cast)["id"] for name in ("hold-expiry", "replay-storm", "duplicate-callback")}
    claims: list[str] = []
    start = threading.Barrier(4)

    def worker():
        start.wait()
        claims.extend(run_id for _, run_id, _ in _claim_all(runtime))

    threads = [threading.Thread(target=worker) for _ in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    mine = [run_id for run_id in claims if run_id in queued]
    assert sorted(mine) == sorted(queued)
    assert {r["status"] for r in transactions.read(runtime.db, lambda s: scenario_runs.list_runs(s, tenant.sandbox, 10, 0))["data"]} == {"running"}


def test_a_run_nobody_finished_is_interrupted_and_frees_its_scenario(runtime, tenant, cast):
    earlier = runtime.now() - scenario_runs.RUN_LIMIT - timedelta(seconds=1)
    stuck = _request(runtime, tenant.sandbox, {"scenario": "hold-expiry"}, cast, now=earlier)
    transactions.write(runtime.db, lambda s: scenario_runs.claim(s, earlier, 100))  # playing, then its process died
    assert transactions.read(runtime.db, lambda s: scenario_runs.has_work(s, runtime.now()))  # overdue: work for the worker
    fresh = _request(runtime, tenant.sandbox, {"scenario": "hold-expiry"}, cast)
    shown = transactions.read(runtime.db, lambda s: scenario_runs.get_run(s, tenant.sandbox, stuck["id"]))
    assert shown["status"] == "interrupted" and shown["finished_at"] is not None
    assert fresh["status"] == "queued"
    _claim_all(runtime)


def test_a_finished_run_cannot_be_finished_again(runtime, tenant, cast):
    run = _request(runtime, tenant.sandbox, {"scenario": "hold-expiry"}, cast)
    _claim_all(runtime)
    scope = Scope(tenant.tenant_id, "sandbox")
    done = transactions.write(runtime.db, lambda s: scenario_runs.finish(s, scope, run["id"], {"passed": False, "checks": [{"name": "x", "passed": False, "detail": "y"}]}, runtime.now()))
    assert done["status"] == "failed" and done["verdict"]["checks"][0]["name"] == "x"
    with pytest.raises(ZentraError) as again:
        transactions.write(runtime.db, lambda s: scenario_runs.finish(s, scope, run["id"], {"passed": True}, runtime.now()))
    assert again.value.code == "invalid_state_transition"
    assert transactions.read(runtime.db, lambda s: scenario_runs.get_run(s, tenant.sandbox, run["id"]))["status"] == "failed"


def test_runs_are_listed_newest_first_and_only_in_their_own_scope(runtime, tenant, cast):
    ids = [_request(runtime, tenant.sandbox, {"scenario": name}, cast, now=runtime.now() + timedelta(seconds=i))["id"] for i, name in enumerate(("hold-expiry", "replay-storm"))]
    listed = transactions.read(runtime.db, lambda s: scenario_runs.list_runs(s, tenant.sandbox, 1, 0))
    assert (listed["total"], [r["id"] for r in listed["data"]], listed["has_more"]) == (2, [ids[1]], True)
    neighbour = make_tenant(runtime, "Neighbour")
    assert transactions.read(runtime.db, lambda s: scenario_runs.list_runs(s, neighbour.sandbox, 10, 0))["total"] == 0
    with pytest.raises(ZentraError) as hidden:
        transactions.read(runtime.db, lambda s: scenario_runs.get_run(s, neighbour.sandbox, ids[0]))
    assert hidden.value.code == "not_found"
    catalogue = transactions.read(runtime.db, lambda s: scenario_runs.catalogue(s, tenant.sandbox))["data"]
    assert len(catalogue) == 9 and next(c for c in catalogue if c["name"] == "replay-storm")["last_run"]["id"] == ids[1]
    _claim_all(runtime)


def test_the_worker_keeps_a_failed_verdict_when_the_instance_cannot_be_reached(runtime, tenant, cast):
    run = _request(runtime, tenant.sandbox, {"scenario": "hold-expiry"}, cast)
    [(scope, run_id, scenario)] = [c for c in _claim_all(runtime) if c[1] == run["id"]]
    write_cast(runtime.settings.data_dir, cast)
    unreachable = dataclasses.replace(runtime, settings=dataclasses.replace(runtime.settings, api_url=f"http://127.0.0.1:{free_port()}"))
    kept = scenario_worker.play(unreachable, scope, run_id, scenario)
    assert kept["status"] == "failed"
    assert kept["verdict"]["checks"][-1]["name"] == "scenario could go on"


def test_the_worker_fails_a_run_whose_tenant_has_no_cast_here(runtime, tenant, cast):
    run = _request(runtime, tenant.sandbox, {"scenario": "hold-expiry"}, cast)
    [(scope, run_id, scenario)] = [c for c in _claim_all(runtime) if c[1] == run["id"]]
    other = make_tenant(runtime, "Other")
    write_cast(runtime.settings.data_dir, transactions.write(runtime.db, lambda s: issue_cast(s, other.tenant_id, runtime.now())))
    kept = scenario_worker.play(runtime, scope, run_id, scenario)
    assert kept["status"] == "failed" and kept["verdict"]["checks"][0]["name"] == "rehearsal cast present"


def test_over_http_support_may_queue_a_scenario_and_a_viewer_may_only_look(runtime, api_url, tenant, cast):
    write_cast(runtime.settings.data_dir, cast)
    support, viewer = (make_operator(runtime, {tenant.tenant_id: role}) for role in ("support", "viewer"))
    as_support, as_viewer = (Api(api_url, open_session(runtime, op.operator_id, tenant.tenant_id)) for op in (support, viewer))
    queued = as_support.post("/sandbox/scenario-runs", {"scenario": "cross-tenant-probe"})
    assert queued.status_code == 202, queued.text
    refused = as_viewer.post("/sandbox/scenario-runs", {"scenario": "hold-expiry"})
    assert (refused.status_code, refused.json()["error"]["code"]) == (403, "forbidden")
    listed = as_viewer.get("/sandbox/scenario-runs").json()
    assert [r["id"] for r in listed["data"]] == [queued.json()["id"]]
    assert as_viewer.get(f"/sandbox/scenario-runs/{queued.json()['id']}").json()["status"] == "queued"
    assert len(as_viewer.get("/sandbox/scenarios").json()["data"]) == 9
    twice = as_support.post("/sandbox/scenario-runs", {"scenario": "cross-tenant-probe"})
    assert (twice.status_code, twice.json()["error"]["code"]) == (409, "invalid_state_transition")
    _claim_all(runtime)
