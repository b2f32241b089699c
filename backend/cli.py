"""The `zentra` command: demo, run, api, relay, admin create-tenant, verify, sandbox seed and run."""

from __future__ import annotations

import argparse
import json
import os
import sys
from pathlib import Path

from sqlmodel import Session

from backend.api import shutdown
from backend.config import Settings
from backend.db import transactions
from backend.events.nats_server import nats_for, stop_embedded
from backend.evidence.signing import KeyFormatError, resolve_public_key
from backend.evidence.verification import verify_packet
from backend.operators.directory import Login, issue_admin_login
from backend.runtime import open_runtime
from backend.tenancy.tenants import NewTenant, create_tenant


def _api(args: argparse.Namespace) -> int:
    import uvicorn

    from backend.sqlite_guard import require_single_worker

    runtime = open_runtime(Settings.from_env())
    workers = require_single_worker(runtime, args.workers)
    runtime.db.dispose()
    # Sandbox providers are reached, and call back, at this server's own address.
    os.environ.setdefault("ZENTRA_API_URL", f"http://{args.host}:{args.port}")
    with nats_for(runtime.settings):  # the workers' relay reads ZENTRA_NATS_URL from the environment
        shutdown.enforce(stop_embedded)
        # A bounded graceful shutdown: a request stuck on a slow peer must not keep the process up.
        uvicorn.run("backend.api.asgi:build", factory=True, host=args.host, port=args.port, log_level="warning", workers=workers, timeout_graceful_shutdown=10)
    return 0


def _relay(_args: argparse.Namespace) -> int:
    """The outbox relay alone, until SIGTERM or SIGINT: beside serving processes it waits for
    their relay's lock (one publishes per database) and takes over if that one stops."""
    import asyncio

    from backend.events.relay import relay_until_signalled

    settings = Settings.from_env()
    if not settings.nats_url:
        print("zentra relay needs ZENTRA_NATS_URL: the NATS server to publish to", file=sys.stderr)
        return 2
    runtime = open_runtime(settings)
    asyncio.run(relay_until_signalled(runtime.db, settings.nats_url))
    return 0


def _create_tenant(args: argparse.Namespace) -> int:
    runtime = open_runtime(Settings.from_env())

    def create(session: Session) -> tuple[NewTenant, Login]:
        tenant = create_tenant(session, args.name)
        return tenant, issue_admin_login(session, tenant.tenant_id, runtime.now(), "zentra admin create-tenant")

    tenant, login = transactions.write(runtime.db, create)
    result = {
        "tenant_id": tenant.tenant_id,
        "sandbox_api_key": tenant.sandbox_api_key,
        "live_api_key": tenant.live_api_key,
        "operator_email": login.email,
        "operator_password": login.password,
    }
    if args.json:
        print(json.dumps(result))
    else:
        for name, value in result.items():
            print(f"{name}: {value}")
        print("The API keys and the operator password are shown once: store them now.")
    return 0


def _serve(args: argparse.Namespace) -> int:
    from backend.serve import serve

    return serve(demo=args.command == "demo", prod=getattr(args, "prod", True))


def _verify(args: argparse.Namespace) -> int:
    """Check an evidence packet file offline: 0 when valid, 1 (with the reason) otherwise."""
    try:
        pinned = resolve_public_key(args.public_key) if args.public_key else None
        raw = Path(args.packet).read_bytes()
    except (KeyFormatError, OSError) as err:
        print(f"INVALID: cannot check the packet: {err}")
        return 1
    verdict = verify_packet(raw, pinned)
    print(f"valid: {verdict.summary}" if verdict.ok else f"INVALID: {verdict.problem}")
    return 0 if verdict.ok else 1


def _sandbox_seed(_args: argparse.Namespace) -> int:
    """Seed (or refresh) the demo's sandbox tenant and its rehearsal cast without serving."""
    from backend.sandbox.seed import ensure_demo_tenant

    runtime = open_runtime(Settings.from_env())
    access = ensure_demo_tenant(runtime)
    print(json.dumps({"tenant_id": access.tenant_id, "sandbox_api_key": access.sandbox_api_key, "operator_email": access.operator_email, "operator_password": access.operator_password, "cast": str(access.cast_path)}))
    return 0


def _sandbox_run(args: argparse.Namespace) -> int:
    """Play one failure scenario against a running instance; exit 0 when its verdict passed."""
    from backend.sandbox.cast import CAST_FILE, load_cast
    from backend.sandbox.scenarios.catalogue import run_scenario

    try:
        cast = load_cast(Path(args.cast) if args.cast else Settings.from_env().data_dir / CAST_FILE)
    except (FileNotFoundError, ValueError, KeyError) as err:
        print(f"cannot rehearse: {err}", file=sys.stderr)
        return 2
    verdict = run_scenario(args.scenario, args.url, cast)
    print(json.dumps(verdict.to_dict(), indent=2) if args.json else verdict.render())
    return 0 if verdict.passed else 1


def parser() -> argparse.ArgumentParser:
    root = argparse.ArgumentParser(prog="zentra", description="Zentra: the open operations room for money movement")
    commands = root.add_subparsers(dest="command", required=True)
    commands.add_parser("demo", help="seed a sandbox tenant and serve the operations room on :3000").set_defaults(func=_serve)
    run = commands.add_parser("run", help="serve the operations room and API without demo data")
    run.add_argument("--prod", action="store_true", help="serve the production build")
    run.set_defaults(func=_serve)
    api = commands.add_parser("api", help="serve the HTTP API alone")
    api.add_argument("--port", type=int, default=8080)
    api.add_argument("--host", default="127.0.0.1")
    api.add_argument("--workers", type=int, default=1, help="worker processes (PostgreSQL only; SQLite has one writer)")
    api.set_defaults(func=_api)
    commands.add_parser("relay", help="relay the event outbox to JetStream at ZENTRA_NATS_URL (serving processes also do)").set_defaults(func=_relay)
    admin = commands.add_parser("admin", help="administration").add_subparsers(dest="admin_command", required=True)
    tenant = admin.add_parser("create-tenant", help="create a tenant and print its keys")
    tenant.add_argument("name")
    tenant.add_argument("--json", action="store_true")
    tenant.set_defaults(func=_create_tenant)
    verify = commands.add_parser("verify", help="verify an evidence packet offline (exit 0 valid, 1 invalid)")
    verify.add_argument("packet", metavar="PACKET.json")
    verify.add_argument("--public-key", metavar="KEY", help="the key it must be signed with: ed25519:... or a file holding it or a PEM public key")
    verify.set_defaults(func=_verify)
    _sandbox_parser(commands)
    return root


def _sandbox_parser(commands: argparse._SubParsersAction) -> None:
    from backend.sandbox.scenarios.catalogue import SCENARIOS

    sandbox = commands.add_parser("sandbox", help="sandbox rehearsals").add_subparsers(dest="sandbox_command", required=True)
    sandbox.add_parser("seed", help="seed the demo's sandbox tenant and write its rehearsal cast").set_defaults(func=_sandbox_seed)
    run = sandbox.add_parser("run", help="replay a failure scenario against a running instance and print its verdict")
    run.add_argument("scenario", choices=list(SCENARIOS))
    run.add_argument("--url", default="http://localhost:3000", help="the running instance (default http://localhost:3000)")
    run.add_argument("--cast", help="the rehearsal cast file (default: <ZENTRA_DATA_DIR>/sandbox-cast.json, written by `zentra demo`)")
    run.add_argument("--json", action="store_true", help="print the verdict as JSON")
    run.set_defaults(func=_sandbox_run)


def main(argv: list[str] | None = None) -> int:
    args = parser().parse_args(argv)
    return args.func(args)


if __name__ == "__main__":
    sys.exit(main())
