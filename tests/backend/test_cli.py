"""The `zentra` command as an operator runs it."""

from __future__ import annotations

import json
import subprocess
import sys
import time

import httpx

from backend.operators import sessions
from tests.conftest import free_port, zentra


def test_create_tenant_prints_the_contract_json_and_its_keys_work(test_database, runtime, tmp_path):
    env = test_database.env(tmp_path)
    done = zentra(["admin", "create-tenant", "Acme Payments", "--json"], env)
    assert done.returncode == 0, done.stderr
    created = json.loads(done.stdout)
    assert set(created) == {"tenant_id", "sandbox_api_key", "live_api_key", "operator_email", "operator_password"}
    assert created["sandbox_api_key"].startswith("zk_test_") and created["live_api_key"].startswith("zk_live_")
    assert created["operator_email"].startswith(f"admin+{created['tenant_id']}@acme-payments.") and len(created["operator_password"]) >= 20
    signed = sessions.sign_in(runtime, created["operator_email"], created["operator_password"], mode="live")
    assert (signed.operator.tenant_id, signed.operator.mode, signed.operator.role) == (created["tenant_id"], "live", "admin")
    port = free_port()
    server = subprocess.Popen([sys.executable, "-m", "backend.cli", "api", "--port", str(port)], env=env)
    try:
        for _ in range(100):
            try:
                r = httpx.get(f"http://127.0.0.1:{port}/v1/accounts", headers={"Authorization": f"Bearer {created['sandbox_api_key']}"})
                break
            except httpx.ConnectError:
                time.sleep(0.1)
        assert r.status_code == 200 and r.json()["total"] == 0
    finally:
        server.kill()
        server.wait()


def test_create_tenant_refuses_an_empty_name(test_database, tmp_path):
    done = zentra(["admin", "create-tenant", "  ", "--json"], test_database.env(tmp_path))
    assert done.returncode != 0 and "tenant name" in done.stderr


def test_api_keys_are_stored_only_as_digests(runtime, tenant):
    from sqlalchemy import select

    from backend.db import transactions
    from backend.db.tables import ApiKey

    stored = transactions.read(runtime.db, lambda s: s.execute(select(ApiKey).where(ApiKey.tenant_id == tenant.tenant_id)).scalars().all())
    assert len(stored) == 2
    for row in stored:
        assert tenant.sandbox_key not in row.model_dump_json() and tenant.live_key not in row.model_dump_json()
        assert len(row.key_hash) == 64
