"""`zentra demo` and `zentra run`: migrate, (seed), then serve the operations room and the API on
one port (http://localhost:3000) through Reflex, with Reflex's own toolchain kept offline."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

from backend.config import Settings
from backend.db import transactions
from backend.events.nats_server import nats_for
from backend.events.partition import FAULTS_SETTING
from backend.runtime import Runtime, open_runtime
from backend.sandbox.seed import ensure_demo_tenant
from backend.sandbox.traffic_dial import set_dial
from backend.tenancy.scope import Scope

PROJECT_ROOT = Path(__file__).resolve().parent.parent
PORT = 3000
DEMO_RATE = 30  # intents per minute: a lively room that a person can still follow

OFFLINE_ENV = {
    "REFLEX_USE_SYSTEM_BUN": "1",
    "REFLEX_TELEMETRY_ENABLED": "false",
    "REFLEX_CHECK_LATEST_VERSION": "false",
    "NPM_CONFIG_REGISTRY": "https://registry.npmjs.org/",
}


def reflex_env(extra: dict[str, str] | None = None) -> dict[str, str]:
    """The environment Reflex runs in: offline-safe toolchain settings, the venv first on PATH."""
    env = {**os.environ, **OFFLINE_ENV, **(extra or {})}
    env["PATH"] = f"{Path(sys.executable).parent}{os.pathsep}{env.get('PATH', '')}"
    return env


def start_traffic(runtime: Runtime, tenant_id: str) -> None:
    """Set the demo tenant's traffic dial running at the demo rate (the seeded story goes on)."""
    scope = Scope(tenant_id, "sandbox", actor="zentra demo")
    transactions.write(runtime.db, lambda s: set_dial(s, scope, {"running": True, "rate_per_minute": DEMO_RATE}, runtime.now()))


def serve(*, demo: bool, prod: bool) -> int:
    settings = Settings.from_env()
    runtime = open_runtime(settings)
    if shutil.which("bun") is None:
        print("bun is missing: run `make demo` (it installs bun from npm) or `npm install -g bun@1.4.4`", file=sys.stderr)
        return 1
    if demo:
        access = ensure_demo_tenant(runtime)
        print(f"Zentra demo tenant {access.tenant_id} ({'seeded' if access.seeded else 'existing ledger'})")
        print(f"Sandbox API key (shown once): {access.sandbox_api_key}")
        print(f"Operator login (shown once): {access.operator_email} / {access.operator_password}")
        start_traffic(runtime, access.tenant_id)
        print(f"Sandbox traffic: running at {DEMO_RATE} intents/min (pause or change it in the Sandbox room)")
        print(f"Rehearsal cast:  {access.cast_path}  (`zentra sandbox run NAME` plays a failure scenario)")
        print(f"Operations room: http://localhost:{PORT}  (sign in with the operator login above)")
        print(f"HTTP API:        http://localhost:{PORT}/v1  (OpenAPI at /v1/openapi.json)")
    runtime.db.dispose()
    env_mode = "prod" if (prod or demo) else "preview"
    command = [sys.executable, "-m", "reflex", "run", "--env", env_mode, "--frontend-port", str(PORT)]
    with nats_for(settings) as nats_url:  # exports ZENTRA_NATS_URL when it starts the embedded server
        print(f"Event stream:    {nats_url}  (JetStream stream ZENTRA_EVENTS)")
        extra = {"ZENTRA_DATA_DIR": str(settings.data_dir), "ZENTRA_DATABASE_URL": settings.database_url, "GRANIAN_WORKERS": os.environ.get("GRANIAN_WORKERS", "1")}
        if demo:
            extra[FAULTS_SETTING] = "1"  # a demo is a rehearsal instance: the nats-outage scenario may cut its relay
        env = reflex_env(extra)
        return subprocess.call(command, cwd=PROJECT_ROOT, env=env)
