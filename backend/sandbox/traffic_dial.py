"""The sandbox traffic dial: start, pause and rate, per tenant, in sandbox mode only.

The dial is a row, not process memory, so every serving process sees the same setting and the one
that locks the row first generates what is due (see `backend.sandbox.traffic_worker`).
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import select
from sqlmodel import Session

from backend.clock import to_iso
from backend.db.tables import SandboxTraffic
from backend.errors import ZentraError
from backend.events.outbox import PendingEvent, record
from backend.inputs import object_body, optional_bool, reject_unknown, whole_number
from backend.sandbox.mode import sandbox_only
from backend.tenancy.scope import Scope

MIN_RATE, MAX_RATE = 1, 600  # intents per minute
DEFAULT_RATE = 30
DEFAULT_SEED = 7
FIELDS = {"running", "rate_per_minute", "seed"}
# At most this many intents are owed at once: a process that was down (or a dial left running
# overnight) resumes at its rate instead of bursting to catch up.
MAX_OWED = 60


def view(row: SandboxTraffic | None) -> dict:
    if row is None:
        return {"object": "sandbox_traffic", "running": False, "rate_per_minute": DEFAULT_RATE, "seed": DEFAULT_SEED, "sent": 0, "updated_at": None, "updated_by": None}
    return {"object": "sandbox_traffic", "running": row.running, "rate_per_minute": row.rate_per_minute, "seed": row.seed, "sent": row.sequence, "updated_at": to_iso(row.updated_at), "updated_by": row.updated_by}


def get_dial(session: Session, scope: Scope) -> dict:
    """The tenant's dial (paused at the default rate until first set)."""
    sandbox_only(scope, "traffic is generated")
    return view(session.get(SandboxTraffic, scope.tenant_id))


def _parse(body: object) -> dict:
    body = object_body(body)
    reject_unknown(body, FIELDS)
    if not body:
        raise ZentraError("validation_error", "send running, rate_per_minute or seed", "running")
    if "running" in body:
        optional_bool(body, "running", False)
    for name, low, high in (("rate_per_minute", MIN_RATE, MAX_RATE), ("seed", 0, 2**31 - 1)):
        if name in body:
            whole_number(body[name], name, low, high)
    return body


def set_dial(session: Session, scope: Scope, body: object, now: datetime) -> dict:
    """Change the dial; traffic owed from now on is counted from this instant (a new seed also
    restarts the sequence, so the same seed replays the same story)."""
    sandbox_only(scope, "traffic is generated")
    change = _parse(body)
    row = session.execute(select(SandboxTraffic).where(SandboxTraffic.tenant_id == scope.tenant_id).with_for_update()).scalar_one_or_none()
    if row is None:
        row = SandboxTraffic(tenant_id=scope.tenant_id, rate_per_minute=DEFAULT_RATE, seed=DEFAULT_SEED, anchor_at=now, updated_at=now, updated_by=scope.actor)
        session.add(row)
    if "seed" in change and change["seed"] != row.seed:
        row.seed, row.sequence = change["seed"], 0
    row.running = change.get("running", row.running)
    row.rate_per_minute = change.get("rate_per_minute", row.rate_per_minute)
    row.anchor_at, row.anchor_sequence, row.updated_at, row.updated_by = now, row.sequence, now, scope.actor
    session.flush()
    shown = view(row)
    record(session, scope, [PendingEvent("sandbox.traffic_changed", scope.tenant_id, shown, now)])
    return {**shown, "event": "sandbox.traffic_changed"}


def owed(row: SandboxTraffic, now: datetime) -> int:
    """How many intents the dial owes at `now`: its rate since the anchor, less what was sent."""
    if not row.running:
        return 0
    elapsed = max((now - row.anchor_at).total_seconds(), 0.0)
    return max(row.anchor_sequence + int(elapsed * row.rate_per_minute / 60) - row.sequence, 0)
