"""Shared fixtures: a migrated database (SQLite by default, a private PostgreSQL schema when
ZENTRA_TEST_DATABASE_URL is set), fresh tenants, the HTTP API served by a real uvicorn, and NATS
(ZENTRA_TEST_NATS_URL or the embedded server)."""

from __future__ import annotations

import contextlib
import dataclasses
import os
import secrets
import socket
import subprocess
import sys
import threading
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Iterator

import httpx
import pytest
import uvicorn
from sqlalchemy import create_engine, text

from backend.api.app import create_api
from backend.config import Settings
from backend.db import transactions
from backend.events.nats_server import EmbeddedNats
from backend.runtime import Runtime, install, open_runtime
from backend.tenancy.scope import Scope
from backend.tenancy.tenants import create_tenant

PG_URL = os.environ.get("ZENTRA_TEST_DATABASE_URL")
REDIS_URL = os.environ.get("ZENTRA_TEST_REDIS_URL")
NATS_URL = os.environ.get("ZENTRA_TEST_NATS_URL")


def zentra(args: list[str], env: dict, timeout: float = 120) -> subprocess.CompletedProcess:
    """The `zentra` command run as an operator would, in a child process with `env`."""
    return subprocess.run([sys.executable, "-m", "backend.cli", *args], env=env, capture_output=True, text=True, timeout=timeout)


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@dataclass
class TestDatabase:
    url: str
    schema: str | None

    def env(self, data_dir: Path) -> dict[str, str]:
        """Environment for a child process (`zentra api`) to use this same database."""
        env = {**os.environ, "ZENTRA_DATA_DIR": str(data_dir), "ZENTRA_DATABASE_URL": self.url}
        if self.schema:
            env["PGOPTIONS"] = f"-csearch_path={self.schema}"
        return env


@contextlib.contextmanager
def private_database(tmp_path_factory) -> Iterator[TestDatabase]:
    """A fresh database: a SQLite file, or a private PostgreSQL schema dropped afterwards."""
    if not PG_URL:
        yield TestDatabase(f"sqlite:///{tmp_path_factory.mktemp('db') / 'zentra.db'}", None)
        return
    schema = f"zt_{secrets.token_hex(6)}"
    admin = create_engine(PG_URL)
    with admin.begin() as conn:
        conn.execute(text(f"CREATE SCHEMA {schema}"))
    try:
        yield TestDatabase(PG_URL, schema)
    finally:
        with admin.begin() as conn:
            conn.execute(text(f"DROP SCHEMA {schema} CASCADE"))
        admin.dispose()


@pytest.fixture(scope="session")
def test_database(tmp_path_factory) -> TestDatabase:
    with private_database(tmp_path_factory) as database:
        yield database


@pytest.fixture(scope="session")
def runtime(test_database, tmp_path_factory) -> Runtime:
    settings = Settings(data_dir=tmp_path_factory.mktemp("data"), database_url=test_database.url, nats_url=None, redis_url=None)
    rt = open_runtime(settings, schema=test_database.schema)
    install(rt)
    yield rt
    rt.db.dispose()


@dataclass
class TenantKeys:
    tenant_id: str
    sandbox_key: str
    live_key: str

    @property
    def sandbox(self) -> Scope:
        return Scope(self.tenant_id, "sandbox")

    @property
    def live(self) -> Scope:
        return Scope(self.tenant_id, "live")


def make_tenant(runtime: Runtime, name: str = "Acme") -> TenantKeys:
    t = transactions.write(runtime.db, lambda s: create_tenant(s, name))
    return TenantKeys(t.tenant_id, t.sandbox_api_key, t.live_api_key)


@pytest.fixture
def tenant(runtime) -> TenantKeys:
    """A fresh tenant per test: tenant scoping is what keeps tests apart in one database."""
    return make_tenant(runtime)


@pytest.fixture
def redis_url() -> str:
    """The real Redis given by ZENTRA_TEST_REDIS_URL; tests that need it are skipped without it."""
    if not REDIS_URL:
        pytest.skip("ZENTRA_TEST_REDIS_URL is not set: this test needs a real Redis server")
    return REDIS_URL


@pytest.fixture(scope="session")
def nats_url(tmp_path_factory) -> Iterator[str]:
    """The NATS server given by ZENTRA_TEST_NATS_URL, else an embedded one for the session. It may
    be shared with other runs: read only your tenant's subjects (`zentra.<tenant>.>`), and never
    stop it (fault tests use `embedded_nats`)."""
    if NATS_URL:
        yield NATS_URL
        return
    with EmbeddedNats(tmp_path_factory.mktemp("nats")) as server:
        yield server.url


@pytest.fixture
def embedded_nats(tmp_path) -> Iterator[EmbeddedNats]:
    """A private embedded server (JetStream store under tmp_path) that a test may stop and start."""
    with EmbeddedNats(tmp_path / "nats-data") as server:
        yield server


@contextlib.contextmanager
def serving(app) -> Iterator[str]:
    """`app` served by uvicorn on a free port in this process (real sockets, real concurrency)."""
    port = free_port()
    server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning", lifespan="off"))
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 20
    while not server.started:
        if time.monotonic() > deadline:
            raise RuntimeError("test API server did not start")
        time.sleep(0.05)
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        server.should_exit = True
        thread.join(timeout=10)


@pytest.fixture(scope="session")
def api_url(runtime) -> str:
    """The API served by uvicorn on a free port in this process; it is also the address sandbox
    providers are reached at and call back to."""
    with serving(create_api(runtime)) as url:
        runtime.settings = dataclasses.replace(runtime.settings, api_url=url)
        yield url


class Api:
    """A small client for one API key: `post` fills in an idempotency key unless given one."""

    def __init__(self, base: str, key: str):
        self.client = httpx.Client(base_url=base + "/v1", headers={"Authorization": f"Bearer {key}"}, timeout=60)

    def post(self, path: str, body: dict | None = None, key: str | None = None, **kw) -> httpx.Response:
        body = dict(body or {})
        body.setdefault("idempotency_key", key or secrets.token_hex(8))
        return self.client.post(path, json=body, **kw)

    def get(self, path: str, **kw) -> httpx.Response:
        return self.client.get(path, **kw)

    def account(self, currency: str = "USD", **fields) -> str:
        body = {"customer": "cust", "currency": currency, "account_type": "operating", **fields}
        response = self.post("/accounts", body)
        assert response.status_code == 201, response.text
        return response.json()["id"]

    def funded_account(self, amount: int, currency: str = "USD") -> tuple[str, str]:
        """(source with allow_negative, customer account holding `amount`)."""
        source = self.account(currency, account_type="funding", allow_negative=True)
        customer = self.account(currency)
        r = self.post("/ledger-entries", {"debit": source, "credit": customer, "amount_minor": amount})
        assert r.status_code == 201, r.text
        return source, customer

    def balances(self, account_id: str, **params) -> dict:
        r = self.get(f"/accounts/{account_id}", params=params)
        assert r.status_code == 200, r.text
        return r.json()["balances"]


@pytest.fixture
def api(api_url, tenant) -> Api:
    return Api(api_url, tenant.sandbox_key)
