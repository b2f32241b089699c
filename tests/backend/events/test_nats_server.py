"""The embedded NATS server starts with JetStream, stops without leaving a process behind, and
`zentra api` without ZENTRA_NATS_URL relays to one of its own."""

from __future__ import annotations

import asyncio
import signal
import subprocess
import sys
from pathlib import Path

import httpx
import nats
import pytest

from backend.events.nats_server import EmbeddedNats
from tests.backend.events.support import REPO, unpublished, wait_until
from tests.conftest import free_port


def alive(pid: int) -> bool:
    """A running process (a zombie has an empty command line)."""
    try:
        return bool(Path(f"/proc/{pid}/cmdline").read_bytes())
    except OSError:
        return False


async def jetstream_enabled(url: str) -> bool:
    nc = await nats.connect(url)
    try:
        await nc.jetstream().account_info()
        return True
    finally:
        await nc.close()


def test_the_embedded_server_serves_jetstream_from_the_data_dir_and_stops_without_a_trace(tmp_path):
    with EmbeddedNats(tmp_path) as server:
        pid = server.pid
        assert asyncio.run(jetstream_enabled(server.url))
        assert (tmp_path / "nats" / "jetstream").is_dir()
    assert not alive(pid) and not server.pid_file.exists()


def test_a_server_left_behind_by_a_killed_run_is_stopped_by_the_next_start(tmp_path):
    # The run exits without stopping its server, which outlives it (as where the kernel's
    # parent-death signal is not available).
    run = "import os, sys; from pathlib import Path; from backend.events import nats_server as n; n._LIBC = None; s = n.EmbeddedNats(Path(sys.argv[1])); s.start(); print(s.pid); os._exit(0)"
    left_behind = int(subprocess.run([sys.executable, "-c", run, str(tmp_path)], cwd=REPO, capture_output=True, text=True, check=True, timeout=60).stdout)
    assert alive(left_behind)
    with EmbeddedNats(tmp_path) as server:
        assert not alive(left_behind)
        assert asyncio.run(jetstream_enabled(server.url))


def test_a_second_server_on_a_store_in_use_is_refused_and_the_first_keeps_running(tmp_path):
    with EmbeddedNats(tmp_path) as first:
        with pytest.raises(RuntimeError, match=f"ZENTRA_NATS_URL={first.url}"):
            EmbeddedNats(tmp_path).start()
        assert asyncio.run(jetstream_enabled(first.url))


def test_zentra_api_without_a_nats_url_relays_to_its_own_embedded_server_and_stops_it(test_database, tenant, runtime, tmp_path):
    env = test_database.env(tmp_path)
    env.pop("ZENTRA_NATS_URL", None)
    port = free_port()
    api = subprocess.Popen([sys.executable, "-m", "backend.cli", "api", "--port", str(port)], env=env, cwd=REPO)
    try:
        wait_until(lambda: _answers(port), "zentra api to serve")
        r = httpx.post(f"http://127.0.0.1:{port}/v1/accounts", json={"customer": "c", "currency": "USD", "account_type": "t", "idempotency_key": "k1"}, headers={"Authorization": f"Bearer {tenant.sandbox_key}"})
        assert r.status_code == 201, r.text
        wait_until(lambda: unpublished(runtime, tenant.tenant_id) == 0, "the api's relay to publish the tenant's events")
        nats_pid = int((tmp_path / "nats" / "nats-server.pid").read_text())
        assert alive(nats_pid)
    finally:
        api.send_signal(signal.SIGTERM)
        # Shutdown joins the worker threads; one waiting on this suite's shared SQLite file may
        # wait out the busy timeout (60 s) first.
        api.wait(75)
    assert not alive(nats_pid) and not (tmp_path / "nats" / "nats-server.pid").exists()


def _answers(port: int) -> bool:
    try:
        return httpx.get(f"http://127.0.0.1:{port}/v1/openapi.json", timeout=2).status_code == 200
    except httpx.TransportError:
        return False
