"""The whole app, as an operator gets it: `reflex run --env prod` on one free port (UI, event socket
and `/v1`), in its own process group, on the suite's test database (SQLite file, or a private
PostgreSQL schema when ZENTRA_TEST_DATABASE_URL is set: see tests/conftest.py's test_database).

Browser tests use Playwright's plain sync API (no pytest-playwright, which clashes with
pytest-asyncio) and Debian's /usr/bin/chromium.
"""

from __future__ import annotations

import json
import os
import re
import secrets
import signal
import subprocess
import time
from dataclasses import dataclass
from datetime import datetime, timezone
from pathlib import Path

import httpx
import pytest

from backend.db import transactions
from backend.db.engine import open_database
from backend.operators.directory import (
    add_membership,
    create_operator,
    generate_password,
)
from backend.operators.roles import ROLES
from tests.conftest import TestDatabase, free_port

ROOT = Path(__file__).resolve().parents[2]
CHROMIUM = "/usr/bin/chromium"
# The operations room, `/`: where sign-in lands and where a role is sent from a room it may not open.
HOME = re.compile(r"^https?://[^/]+/?$")
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update"]
# A clean .web/ means `bun install` from the npm registry plus a Vite build: minutes, not seconds.
START_TIMEOUT = float(os.environ.get("ZENTRA_UI_START_TIMEOUT", "900"))


def _sourced(command: str) -> list[str]:
    """Run `command` with scripts/env.sh sourced, from the repository root."""
    return ["bash", "-c", f". scripts/env.sh && exec {command}"]


@dataclass
class UiServer:
    url: str
    env: dict[str, str]
    log: Path
    database: TestDatabase

    def zentra(self, *args: str) -> str:
        done = subprocess.run(_sourced(".venv/bin/zentra " + " ".join(args)), cwd=ROOT, env=self.env, capture_output=True, text=True, timeout=120)
        assert done.returncode == 0, done.stderr
        return done.stdout

    def log_tail(self, n: int = 60) -> str:
        try:
            return "\n".join(self.log.read_text(errors="replace").splitlines()[-n:])
        except OSError:
            return "(no log)"


def _stop(proc: subprocess.Popen) -> None:
    """End the server's whole process group (reflex, its granian workers, bun)."""
    if proc.poll() is not None:
        return
    try:
        os.killpg(proc.pid, signal.SIGTERM)
        proc.wait(timeout=20)
    except subprocess.TimeoutExpired:
        os.killpg(proc.pid, signal.SIGKILL)
        proc.wait(timeout=10)
    except ProcessLookupError:
        pass


def _wait_ready(proc: subprocess.Popen, url: str, server: UiServer) -> None:
    deadline = time.monotonic() + START_TIMEOUT
    with httpx.Client(timeout=5) as client:
        while time.monotonic() < deadline:
            if proc.poll() is not None:
                raise RuntimeError(f"reflex exited with {proc.returncode} before serving:\n{server.log_tail()}")
            try:
                if client.get(url + "/ping").status_code == 200 and client.get(url + "/v1/openapi.json").status_code == 200:
                    return
            except httpx.HTTPError:
                pass
            time.sleep(1)
    raise RuntimeError(f"reflex did not serve {url} within {START_TIMEOUT:.0f}s:\n{server.log_tail()}")


@pytest.fixture(scope="session")
def ui_server(test_database: TestDatabase, nats_url: str, tmp_path_factory) -> UiServer:
    data_dir = tmp_path_factory.mktemp("ui-data")
    port = free_port()
    # The relay and the live push run in the app; sandbox providers are reached, and call back, at its own address.
    env = {**test_database.env(data_dir), "ZENTRA_NATS_URL": nats_url, "ZENTRA_API_URL": f"http://127.0.0.1:{port}"}
    if os.environ.get("ZENTRA_TEST_REDIS_URL"):
        # The services run: Reflex keeps its state in Redis and serves from two workers.
        env.update(ZENTRA_REDIS_URL=os.environ["ZENTRA_TEST_REDIS_URL"], GRANIAN_WORKERS="2")
    log = data_dir / "reflex.log"
    server = UiServer(f"http://127.0.0.1:{port}", env, log, test_database)
    started = time.monotonic()
    with log.open("wb") as out:
        proc = subprocess.Popen(
            _sourced(f"reflex run --env prod --frontend-port {port} --backend-host 127.0.0.1"),
            cwd=ROOT,
            env=env,
            stdout=out,
            stderr=subprocess.STDOUT,
            stdin=subprocess.DEVNULL,
            start_new_session=True,  # its own process group, ended whole in the finally below
        )
    try:
        _wait_ready(proc, server.url, server)
        print(f"\n[ui] app ready on {server.url} after {time.monotonic() - started:.1f}s")
        yield server
    finally:
        _stop(proc)


@dataclass
class Tenant:
    tenant_id: str
    sandbox_key: str
    live_key: str
    operators: dict[str, tuple[str, str]]  # role -> (email, password)


def _add_operators(database: TestDatabase, tenant_id: str) -> dict[str, tuple[str, str]]:
    """One operator per non-admin role in `tenant_id`, written straight to the app's database."""
    db = open_database(database.url, schema=database.schema)
    now = datetime.now(timezone.utc)
    logins = {}

    def unit(session) -> None:
        for role in ROLES:
            if role == "admin":
                continue
            email, password = f"{role}.{secrets.token_hex(3)}@ui.zentra.test", generate_password()
            operator = create_operator(session, email, f"{role.capitalize()} Operator", password, now)
            add_membership(session, operator.id, tenant_id, role, now)
            logins[role] = (email, password)

    transactions.write(db, unit)
    db.dispose()
    return logins


@pytest.fixture(scope="session")
def ui_tenant(ui_server: UiServer) -> Tenant:
    """A tenant made by `zentra admin create-tenant` (whose admin login it prints) plus one
    operator for each other role."""
    out = json.loads(ui_server.zentra("admin", "create-tenant", f"UI-Acme-{secrets.token_hex(3)}", "--json"))
    operators = {"admin": (out["operator_email"], out["operator_password"]), **_add_operators(ui_server.database, out["tenant_id"])}
    return Tenant(out["tenant_id"], out["sandbox_api_key"], out["live_api_key"], operators)


def sign_in(page, ui_server: UiServer, login: tuple[str, str], landing: re.Pattern = HOME) -> None:
    """Sign in through the sign-in page with an operator's email and password."""
    page.goto(ui_server.url + "/signin")
    page.get_by_test_id("email").fill(login[0])
    page.get_by_test_id("password").fill(login[1])
    page.get_by_test_id("sign-in").click()
    page.wait_for_url(landing)


@pytest.fixture(scope="session")
def screenshots(tmp_path_factory) -> Path:
    """Where browser tests save what they saw (printed at the end of the run by pytest's tmp dirs)."""
    return tmp_path_factory.mktemp("screenshots")


@pytest.fixture(scope="session")
def browser():
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        instance = p.chromium.launch(executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS)
        try:
            yield instance
        finally:
            instance.close()
