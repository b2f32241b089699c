"""Corridor routes and provider health: which providers may carry an intent, in what order.

A route maps a corridor (`US-GB`) to providers in priority order; the `*` route serves every
corridor without one of its own. Health is a circuit breaker per provider: after
`TRIP_AFTER` failures in a row it is tried last for `COOL_DOWN`, so one sick provider does not add
its timeout to every intent while it is down, yet is still tried if nothing else is left.
"""

from __future__ import annotations

from datetime import datetime, timedelta

import orjson
from sqlalchemy import select
from sqlmodel import Session

from backend.clock import to_iso
from backend.db.tables import Provider, Route
from backend.errors import ZentraError
from backend.events.outbox import PendingEvent, record
from backend.ids import new_id
from backend.inputs import reject_unknown
from backend.intents.requests import ANY_CORRIDOR, CORRIDOR
from backend.tenancy.scope import Scope

TRIP_AFTER = 3
COOL_DOWN = timedelta(seconds=30)
MAX_PROVIDERS = 10


def _corridor(value: object) -> str:
    if value != ANY_CORRIDOR and (not isinstance(value, str) or not CORRIDOR.fullmatch(value)):
        raise ZentraError("validation_error", "corridor must look like US-GB, or be * for every other corridor", "corridor")
    return value


def _provider_ids(session: Session, scope: Scope, value: object) -> list[str]:
    if not isinstance(value, list) or not 1 <= len(value) <= MAX_PROVIDERS or len(set(map(str, value))) != len(value):
        raise ZentraError("validation_error", f"providers must list 1 to {MAX_PROVIDERS} distinct provider ids, first choice first", "providers")
    for index, provider_id in enumerate(value):
        provider = session.get(Provider, provider_id) if isinstance(provider_id, str) else None
        if provider is None or (provider.tenant_id, provider.mode) != (scope.tenant_id, scope.mode):
            raise ZentraError("not_found", f"no provider {provider_id!r} in this tenant and mode", f"providers[{index}]", object_id=provider_id if isinstance(provider_id, str) else None)
    return value


def set_route(session: Session, scope: Scope, body: dict, now: datetime) -> dict:
    """Create or replace the route of one corridor."""
    reject_unknown(body, {"corridor", "providers"})
    corridor = _corridor(body.get("corridor"))
    providers = _provider_ids(session, scope, body.get("providers"))
    where = (Route.tenant_id == scope.tenant_id, Route.mode == scope.mode, Route.corridor == corridor)
    route = session.execute(select(Route).where(*where).with_for_update()).scalar_one_or_none()
    if route is None:
        route = Route(id=new_id("rte"), tenant_id=scope.tenant_id, mode=scope.mode, corridor=corridor, provider_ids_json="[]", updated_by=scope.actor, updated_at=now)
    route.provider_ids_json, route.updated_by, route.updated_at = orjson.dumps(providers).decode(), scope.actor, now
    session.add(route)
    session.flush()
    shown = view(route)
    record(session, scope, [PendingEvent("route.updated", route.id, shown, now)])
    return {**shown, "event": "route.updated"}


def view(route: Route) -> dict:
    return {"id": route.id, "object": "route", "corridor": route.corridor, "providers": orjson.loads(route.provider_ids_json), "updated_by": route.updated_by, "updated_at": to_iso(route.updated_at)}


def list_routes(session: Session, scope: Scope) -> dict:
    rows = session.execute(select(Route).where(Route.tenant_id == scope.tenant_id, Route.mode == scope.mode).order_by(Route.corridor)).scalars()
    data = [view(r) for r in rows]
    return {"object": "list", "data": data, "total": len(data), "has_more": False}


def candidates(session: Session, scope: Scope, corridor: str, now: datetime) -> list[Provider]:
    """The providers to try for `corridor`, in order: healthy ones by priority, then tripped ones."""
    where = (Route.tenant_id == scope.tenant_id, Route.mode == scope.mode, Route.corridor.in_({corridor, ANY_CORRIDOR}))
    routes = {r.corridor: r for r in session.execute(select(Route).where(*where)).scalars()}
    route = routes.get(corridor) or routes.get(ANY_CORRIDOR)
    if route is None:
        return []
    ids = orjson.loads(route.provider_ids_json)
    found = {p.id: p for p in session.execute(select(Provider).where(Provider.id.in_(ids))).scalars()}
    ordered = [found[i] for i in ids if i in found]
    return sorted(ordered, key=lambda p: p.unhealthy_until is not None and p.unhealthy_until > now)


def record_outcomes(session: Session, outcomes: list[tuple[str, bool]], now: datetime) -> None:
    """Count each `(provider_id, succeeded)` attempt, in order, towards its provider's breaker
    (the providers are locked once, in id order)."""
    ids = sorted({provider_id for provider_id, _ in outcomes})
    if not ids:
        return
    providers = {p.id: p for p in session.execute(select(Provider).where(Provider.id.in_(ids)).order_by(Provider.id).with_for_update()).scalars()}
    for provider_id, succeeded in outcomes:
        provider = providers[provider_id]
        if succeeded:
            provider.consecutive_failures, provider.unhealthy_until, provider.last_success_at = 0, None, now
            continue
        provider.consecutive_failures += 1
        provider.last_failure_at = now
        if provider.consecutive_failures >= TRIP_AFTER:
            provider.unhealthy_until = now + COOL_DOWN
