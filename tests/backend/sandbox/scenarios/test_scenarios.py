"""Every failure scenario, played by `zentra sandbox run` logic against a real running instance
(`zentra api` in its own process, seeded by `zentra sandbox seed`, fault injection on), ends
PASSED, and the ledger invariants hold afterwards."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from pathlib import Path

import httpx
import pytest
from sqlalchemy import case, func, select

from backend.config import Settings
from backend.db import transactions
from backend.db.tables import Account, Entry
from backend.events.partition import FAULTS_SETTING
from backend.runtime import open_runtime
from backend.sandbox.cast import load_cast
from backend.sandbox.scenarios.catalogue import SCENARIOS, run_scenario
from tests.conftest import NATS_URL, free_port, private_database, zentra


@pytest.fixture(scope="module")
def own_database(tmp_path_factory):
    """A database of the instance's own (the demo tenant is found by name, so sharing the
    session's would let rehearsals change what other tests' demo tenant looks like)."""
    with private_database(tmp_path_factory) as database:
        yield database


@pytest.fixture(scope="module")
def instance_runtime(own_database, tmp_path_factory):
    """This process's view of the instance's database, for the ledger invariants."""
    settings = Settings(data_dir=tmp_path_factory.mktemp("reader"), database_url=own_database.url, nats_url=None, redis_url=None)
    rt = open_runtime(settings, schema=own_database.schema)
    yield rt
    rt.db.dispose()


@pytest.fixture(scope="module")
def instance(own_database, instance_runtime, tmp_path_factory):
    """(url, cast path, env) of a seeded `zentra api` with sandbox faults allowed."""
    data_dir = tmp_path_factory.mktemp("instance")
    port = free_port()
    url = f"http://127.0.0.1:{port}"
    # The instance's own address: the seed points the demo's webhook consumer at it.
    env = {**own_database.env(data_dir), FAULTS_SETTING: "1", "ZENTRA_API_URL": url}
    env.pop("ZENTRA_NATS_URL", None)
    if NATS_URL:
        env["ZENTRA_NATS_URL"] = NATS_URL
    seeded = zentra(["sandbox", "seed"], env, timeout=180)
    assert seeded.returncode == 0, seeded.stderr
    server = subprocess.Popen([sys.executable, "-m", "backend.cli", "api", "--port", str(port)], env=env)
    try:
        _wait_ready(url)
        yield url, Path(json.loads(seeded.stdout)["cast"]), env
    finally:
        server.terminate()
        server.wait(timeout=30)


def _wait_ready(url: str) -> None:
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        try:
            if httpx.get(f"{url}/v1/evidence/public-key").status_code == 200:
                return
        except httpx.TransportError:
            pass
        time.sleep(0.2)
    raise RuntimeError("zentra api did not start")


def assert_ledger_invariants(runtime) -> None:
    """Per currency and bucket debits equal credits; no account without allow_negative is below
    zero in available (credit-normal: credits - debits - pending debits; debit-normal mirrored)."""
    def read(session):
        signed = func.sum(case((Entry.direction == "debit", Entry.amount_minor), else_=-Entry.amount_minor))
        unbalanced = session.execute(select(Entry.tenant_id, Entry.mode, Entry.currency, Entry.bucket, signed).group_by(Entry.tenant_id, Entry.mode, Entry.currency, Entry.bucket).having(signed != 0)).all()
        accounts = session.execute(select(Account).where(Account.allow_negative.is_(False))).scalars().all()
        return unbalanced, accounts

    unbalanced, accounts = transactions.read(runtime.db, read)
    assert unbalanced == []
    for a in accounts:
        if a.normal_balance == "credit":
            available = a.credits_posted - a.debits_posted - a.debits_pending
        else:
            available = a.debits_posted - a.credits_posted - a.credits_pending
        assert available >= 0, (a.id, available)


@pytest.mark.parametrize("name", list(SCENARIOS))
def test_each_scenario_ends_with_a_passing_verdict_and_a_balanced_ledger(instance, instance_runtime, name):
    url, cast_path, _ = instance
    verdict = run_scenario(name, url, load_cast(cast_path))
    assert verdict.passed, verdict.render()
    assert len(verdict.checks) >= 3 and verdict.evidence
    assert_ledger_invariants(instance_runtime)


def test_the_cli_prints_the_verdict_and_exits_by_it(instance):
    url, cast_path, env = instance
    done = zentra(["sandbox", "run", "duplicate-callback", "--url", url, "--cast", str(cast_path), "--json"], env)
    assert done.returncode == 0, done.stdout + done.stderr
    verdict = json.loads(done.stdout)
    assert verdict["scenario"] == "duplicate-callback" and verdict["passed"] is True
    missing = zentra(["sandbox", "run", "hold-expiry", "--url", url, "--cast", str(cast_path.parent / "nope.json")], env)
    assert missing.returncode == 2 and "zentra demo" in missing.stderr
    unknown = zentra(["sandbox", "run", "meteor-strike", "--url", url], env)
    assert unknown.returncode == 2 and "invalid choice" in unknown.stderr


def test_a_scenario_against_an_instance_that_is_not_there_fails_with_why(instance):
    _, cast_path, _ = instance
    verdict = run_scenario("hold-expiry", f"http://127.0.0.1:{free_port()}", load_cast(cast_path))
    assert not verdict.passed and verdict.checks[-1].name == "scenario could go on"


def test_the_cast_file_is_private_and_holds_sandbox_keys_only(instance):
    _, cast_path, _ = instance
    assert oct(os.stat(cast_path).st_mode & 0o777) == "0o600"
    cast = load_cast(cast_path)
    assert cast.sandbox_api_key.startswith("zk_test_") and cast.neighbour_sandbox_api_key.startswith("zk_test_")
    assert {p.role for p in cast.players} == {"support", "admin", "finance", "compliance", "viewer"}


def test_a_scenario_queued_over_http_is_played_by_the_instance_itself(instance, instance_runtime):
    """What the sandbox room's Run button does: queue the run; the instance's scenario worker plays
    it against its own address as the cast and keeps the verdict on the run."""
    url, cast_path, _ = instance
    api = httpx.Client(base_url=f"{url}/v1", headers={"Authorization": f"Bearer {load_cast(cast_path).sandbox_api_key}"}, timeout=30)
    queued = api.post("/sandbox/scenario-runs", json={"scenario": "duplicate-callback", "idempotency_key": "room-run-1"})
    assert queued.status_code == 202, queued.text
    replayed = api.post("/sandbox/scenario-runs", json={"scenario": "duplicate-callback", "idempotency_key": "room-run-1"})
    assert replayed.json()["id"] == queued.json()["id"]  # a retried click queues nothing more
    deadline, run = time.monotonic() + 120, queued.json()
    while run["status"] in ("queued", "running") and time.monotonic() < deadline:
        time.sleep(0.5)
        run = api.get(f"/sandbox/scenario-runs/{run['id']}").json()
    assert run["status"] == "passed", run
    assert run["verdict"]["evidence"]["intent_id"] and all(c["passed"] for c in run["verdict"]["checks"])
    assert api.get("/sandbox/scenario-runs").json()["total"] == 1
    api.close()
    assert_ledger_invariants(instance_runtime)
