"""The `zentra` command: demo, run, api, admin create-tenant."""

from __future__ import annotations

import argparse
import json
import sys

from backend.config import Settings
from backend.db import transactions
from backend.runtime import open_runtime
from backend.tenancy.tenants import create_tenant


def _api(args: argparse.Namespace) -> int:
    import uvicorn

    from backend.sqlite_guard import require_single_worker

    runtime = open_runtime(Settings.from_env())
    workers = require_single_worker(runtime, args.workers)
    runtime.db.dispose()
    uvicorn.run("backend.api.asgi:build", factory=True, host=args.host, port=args.port, log_level="warning", workers=workers)
    return 0


def _create_tenant(args: argparse.Namespace) -> int:
    runtime = open_runtime(Settings.from_env())
    tenant = transactions.write(runtime.db, lambda s: create_tenant(s, args.name))
    result = {
        "tenant_id": tenant.tenant_id,
        "sandbox_api_key": tenant.sandbox_api_key,
        "live_api_key": tenant.live_api_key,
        "operator_email": None,
        "operator_password": None,
    }
    if args.json:
        print(json.dumps(result))
    else:
        for name, value in result.items():
            print(f"{name}: {value}")
        print("The API keys are shown once: store them now.")
    return 0


def _serve(args: argparse.Namespace) -> int:
    from backend.serve import serve

    return serve(demo=args.command == "demo", prod=getattr(args, "prod", True))


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
    admin = commands.add_parser("admin", help="administration").add_subparsers(dest="admin_command", required=True)
    tenant = admin.add_parser("create-tenant", help="create a tenant and print its keys")
    tenant.add_argument("name")
    tenant.add_argument("--json", action="store_true")
    tenant.set_defaults(func=_create_tenant)
    return root


def main(argv: list[str] | None = None) -> int:
    args = parser().parse_args(argv)
    return args.func(args)


if __name__ == "__main__":
    sys.exit(main())
