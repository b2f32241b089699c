"""The rehearsal cast: the demo tenant's operators for each role, and a neighbouring tenant for
the cross-tenant probe, with credentials written to a file the scenario runner reads.

Scenarios act as people where the contract needs a person (a maker and two checkers for
maker-checker), so `zentra demo` issues one login per role on every run (fresh passwords, old ones
stop working) and writes them, with a sandbox API key of each tenant, to
`<data dir>/sandbox-cast.json` (mode 0600, beside the evidence signing key). Only sandbox keys are
written: the cast can rehearse, never move live money.
"""

from __future__ import annotations

import json
import os
from dataclasses import asdict, dataclass
from datetime import datetime
from pathlib import Path

from sqlalchemy import select
from sqlmodel import Session

from backend.db.tables import Tenant
from backend.errors import ZentraError
from backend.operators.directory import issue_login
from backend.tenancy.api_keys import issue_key
from backend.tenancy.tenants import create_tenant

CAST_FILE = "sandbox-cast.json"
NEIGHBOUR_TENANT = "Zentra Demo Neighbour"
# (part, role): the maker creates what the checkers decide; two checkers for dual approval.
PARTS = (("maker", "support"), ("checker", "support"), ("second_checker", "admin"), ("finance", "finance"), ("compliance", "compliance"), ("viewer", "viewer"))


@dataclass(frozen=True)
class Player:
    part: str
    role: str
    email: str
    password: str


@dataclass(frozen=True)
class Cast:
    tenant_id: str
    sandbox_api_key: str
    neighbour_tenant_id: str
    neighbour_sandbox_api_key: str
    players: tuple[Player, ...]

    def player(self, part: str) -> Player:
        return next(p for p in self.players if p.part == part)


def issue_cast(session: Session, tenant_id: str, now: datetime) -> Cast:
    """Fresh logins for every part in `tenant_id`, fresh sandbox keys for it and its neighbour."""
    tenant = session.get(Tenant, tenant_id)
    if tenant is None:
        raise ZentraError("not_found", f"no tenant {tenant_id!r}", "tenant_id")
    players = tuple(
        Player(part, role, login.email, login.password)
        for part, role in PARTS
        for login in [issue_login(session, tenant, f"{part.replace('_', '-')}+{tenant.id}@sandbox.zentra.local", f"Sandbox {part.replace('_', ' ')}", role, now, "zentra demo")]
    )
    neighbour = session.execute(select(Tenant).where(Tenant.name == NEIGHBOUR_TENANT)).scalar_one_or_none()
    neighbour_id = create_tenant(session, NEIGHBOUR_TENANT).tenant_id if neighbour is None else neighbour.id
    return Cast(tenant.id, issue_key(session, tenant.id, "sandbox"), neighbour_id, issue_key(session, neighbour_id, "sandbox"), players)


def write_cast(data_dir: Path, cast: Cast) -> Path:
    """Write the cast for the scenario runner, readable by this user only."""
    path = data_dir / CAST_FILE
    path.parent.mkdir(parents=True, exist_ok=True)
    descriptor = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(descriptor, "w") as out:
        json.dump(asdict(cast), out, indent=2)
    os.chmod(path, 0o600)
    return path


def load_cast(path: Path) -> Cast:
    """The cast written by `zentra demo`, or a `FileNotFoundError` that says how to make one."""
    if not path.exists():
        raise FileNotFoundError(f"no rehearsal cast at {path}: run `zentra demo` (or `zentra sandbox seed`) with this data dir first")
    raw = json.loads(path.read_text())
    return Cast(raw["tenant_id"], raw["sandbox_api_key"], raw["neighbour_tenant_id"], raw["neighbour_sandbox_api_key"], tuple(Player(**p) for p in raw["players"]))
