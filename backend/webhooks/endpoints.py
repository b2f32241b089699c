"""Webhook endpoints: where a tenant's events go in one mode, which types, signed how.

Each endpoint subscribes to event types: exact (`ledger.entry.created`), a prefix wildcard
(`ledger.*`: every type below `ledger.`) or `*` (every type). `webhook.*` events describe
deliveries themselves and are never delivered (two endpoints subscribed to them would feed each
other forever), so they cannot be subscribed to.

Keys: an HMAC endpoint gets a `whsec_` secret, an ed25519 endpoint a `whsk_` key whose `whpk_`
public key is published on the endpoint. The secret is answered once, when it is made (create,
rotate). Rotation makes a new current key and lets the previous one sign beside it until the
overlap window ends; only one previous key is kept.
"""

from __future__ import annotations

import re
from datetime import datetime, timedelta
from typing import Iterable

import orjson
from sqlalchemy import func, select, update
from sqlmodel import Session

from backend.clock import to_iso
from backend.db.tables import WebhookEndpoint, WebhookMessage, WebhookSecret
from backend.errors import ZentraError
from backend.ids import new_id
from backend.inputs import (
    choice,
    optional_str,
    reject_unknown,
    required_str,
    whole_number,
)
from backend.pagination import page
from backend.tenancy.lookup import get_scoped
from backend.tenancy.scope import Scope
from backend.webhooks import signing
from backend.webhooks.addresses import check_url
from backend.webhooks.health import health

SIGNING = ("hmac", "ed25519")
EVENT_TYPE = re.compile(r"[A-Za-z0-9_]+(\.[A-Za-z0-9_]+)*(\.\*)?")
INTERNAL_PREFIX = "webhook."
MAX_EVENT_TYPES = 50
MAX_RATE_LIMIT = 10_000
DEFAULT_OVERLAP = timedelta(hours=24)
MAX_OVERLAP = timedelta(days=7)


def subscribed(event_types: Iterable[str], event_type: str) -> bool:
    """Whether an endpoint with these filters receives `event_type`."""
    if event_type.startswith(INTERNAL_PREFIX):
        return False
    for pattern in event_types:
        if pattern == "*" or pattern == event_type or (pattern.endswith(".*") and event_type.startswith(pattern[:-1])):
            return True
    return False


def _event_types(body: dict) -> list[str]:
    value = body.get("event_types")
    if not isinstance(value, list) or not 1 <= len(value) <= MAX_EVENT_TYPES:
        raise ZentraError("validation_error", f"event_types must be a list of 1 to {MAX_EVENT_TYPES} event types", "event_types")
    for i, item in enumerate(value):
        if not isinstance(item, str) or len(item) > 64 or not (item == "*" or EVENT_TYPE.fullmatch(item)):
            raise ZentraError("validation_error", "each event type is like ledger.entry.created, ledger.* or *", f"event_types[{i}]")
        if item.startswith(INTERNAL_PREFIX):
            raise ZentraError("validation_error", "webhook.* events describe deliveries and are not delivered by webhooks", f"event_types[{i}]")
    return list(dict.fromkeys(value))


def _rate_limit(body: dict) -> int | None:
    value = body.get("rate_limit")
    return None if value is None else whole_number(value, "rate_limit", 1, MAX_RATE_LIMIT)


def _new_key(session: Session, endpoint: WebhookEndpoint, now: datetime) -> dict:
    """Make the endpoint's new current key; answer what its owner needs to verify deliveries."""
    if endpoint.signing == "ed25519":
        secret = signing.new_ed25519_key()
        key = WebhookSecret(endpoint_id=endpoint.id, secret=secret, public_key=signing.public_key_of(secret), created_at=now)
        session.add(key)
        return {"public_key": key.public_key}
    secret = signing.new_hmac_secret()
    session.add(WebhookSecret(endpoint_id=endpoint.id, secret=secret, created_at=now))
    return {"secret": secret}


def create_endpoint(session: Session, scope: Scope, body: dict, now: datetime) -> dict:
    reject_unknown(body, {"url", "event_types", "signing", "description", "rate_limit"})
    url = check_url(required_str(body, "url", max_length=2048), scope.mode == "sandbox")
    endpoint = WebhookEndpoint(
        id=new_id("we"),
        tenant_id=scope.tenant_id,
        mode=scope.mode,
        url=url,
        description=optional_str(body, "description", max_length=500),
        event_types_json=orjson.dumps(_event_types(body)).decode(),
        signing=choice(body, "signing", SIGNING, "hmac"),
        rate_limit=_rate_limit(body),
        created_at=now,
        updated_at=now,
    )
    session.add(endpoint)
    session.flush()
    shown = _new_key(session, endpoint, now)
    session.flush()
    return {**view(session, endpoint, now), **shown}


def get_endpoint_row(session: Session, scope: Scope, endpoint_id: str, *, lock: bool = False) -> WebhookEndpoint:
    """The endpoint in `scope` (another scope's is `not_found`), row-locked when it will change."""
    endpoint = get_scoped(session, WebhookEndpoint, endpoint_id, scope, "webhook endpoint")
    if lock:
        session.refresh(endpoint, with_for_update=True)
    return endpoint


def get_endpoint(session: Session, scope: Scope, endpoint_id: str, now: datetime) -> dict:
    """The endpoint with its delivery health (what the webhooks room shows per endpoint)."""
    endpoint = get_endpoint_row(session, scope, endpoint_id)
    return {**view(session, endpoint, now), "health": health(session, endpoint, now)}


def list_endpoints(session: Session, scope: Scope, now: datetime, *, limit: int, offset: int) -> dict:
    where = (WebhookEndpoint.tenant_id == scope.tenant_id, WebhookEndpoint.mode == scope.mode)
    total = session.execute(select(func.count()).select_from(WebhookEndpoint).where(*where)).scalar_one()
    rows = session.execute(select(WebhookEndpoint).where(*where).order_by(WebhookEndpoint.created_at.desc(), WebhookEndpoint.id.desc()).limit(limit).offset(offset)).scalars().all()
    return page([view(session, row, now) for row in rows], total, limit, offset)


def update_endpoint(session: Session, scope: Scope, endpoint_id: str, body: dict, now: datetime) -> dict:
    """Change `url`, `event_types`, `description` or `rate_limit` (only the fields sent)."""
    reject_unknown(body, {"url", "event_types", "description", "rate_limit"})
    if not body:
        raise ZentraError("validation_error", "send at least one of url, event_types, description, rate_limit")
    endpoint = get_endpoint_row(session, scope, endpoint_id, lock=True)
    if "url" in body:
        endpoint.url = check_url(required_str(body, "url", max_length=2048), scope.mode == "sandbox")
    if "event_types" in body:
        endpoint.event_types_json = orjson.dumps(_event_types(body)).decode()
    if "description" in body:
        endpoint.description = optional_str(body, "description", max_length=500)
    if "rate_limit" in body:
        endpoint.rate_limit = _rate_limit(body)
    endpoint.updated_at = now
    session.flush()
    return view(session, endpoint, now)


def rotate_secret(session: Session, scope: Scope, endpoint_id: str, body: dict, now: datetime) -> dict:
    """A new current key; the one it replaces keeps signing for `overlap_seconds` (default 24 h,
    at most 7 days, 0 retires it at once), and any older key stops now."""
    reject_unknown(body, {"overlap_seconds"})
    overlap = whole_number(body.get("overlap_seconds", int(DEFAULT_OVERLAP.total_seconds())), "overlap_seconds", 0, int(MAX_OVERLAP.total_seconds()))
    endpoint = get_endpoint_row(session, scope, endpoint_id, lock=True)
    keys = _active_keys(session, [endpoint.id], now).get(endpoint.id, [])
    for key in keys:
        key.expires_at = now + timedelta(seconds=overlap) if key.expires_at is None else min(key.expires_at, now)
    shown = _new_key(session, endpoint, now)
    endpoint.updated_at = now
    session.flush()
    return {**view(session, endpoint, now), **shown}


def disable_endpoint(session: Session, scope: Scope, endpoint_id: str, body: dict, now: datetime) -> dict:
    reject_unknown(body, set())
    endpoint = get_endpoint_row(session, scope, endpoint_id, lock=True)
    if endpoint.status == "disabled":
        raise ZentraError("invalid_state_transition", f"webhook endpoint {endpoint_id} is already disabled")
    disable(session, endpoint.id, "disabled by request", now)
    session.refresh(endpoint)
    return view(session, endpoint, now)


def enable_endpoint(session: Session, scope: Scope, endpoint_id: str, body: dict, now: datetime) -> dict:
    """Deliver again from now on; messages failed meanwhile come back only through `recover`."""
    reject_unknown(body, set())
    endpoint = get_endpoint_row(session, scope, endpoint_id, lock=True)
    if endpoint.status == "enabled":
        raise ZentraError("invalid_state_transition", f"webhook endpoint {endpoint_id} is already enabled")
    endpoint.status, endpoint.disabled_reason, endpoint.disabled_at, endpoint.failing_since, endpoint.updated_at = "enabled", None, None, None, now
    session.flush()
    return view(session, endpoint, now)


def disable(session: Session, endpoint_id: str, reason: str, now: datetime) -> None:
    """Stop delivering to the endpoint: its waiting messages fail (nothing is left scheduled for
    a disabled endpoint; `recover` sends them again after it is enabled)."""
    session.execute(
        update(WebhookEndpoint.__table__)
        .where(WebhookEndpoint.id == endpoint_id)
        .values(status="disabled", disabled_reason=reason, disabled_at=now, updated_at=now)
    )
    session.execute(
        update(WebhookMessage.__table__)
        .where(WebhookMessage.endpoint_id == endpoint_id, WebhookMessage.status == "pending")
        .values(status="failed", next_attempt_at=None)
    )


def _active_keys(session: Session, endpoint_ids: Iterable[str], now: datetime) -> dict[str, list[WebhookSecret]]:
    rows = session.execute(
        select(WebhookSecret)
        .where(WebhookSecret.endpoint_id.in_(list(endpoint_ids)), (WebhookSecret.expires_at.is_(None)) | (WebhookSecret.expires_at > now))
        .order_by(WebhookSecret.id.desc())
    ).scalars().all()
    keys: dict[str, list[WebhookSecret]] = {}
    for row in rows:
        keys.setdefault(row.endpoint_id, []).append(row)
    return keys


def signing_keys(session: Session, endpoint_ids: Iterable[str], now: datetime) -> dict[str, tuple[str, ...]]:
    """Every endpoint's keys that sign at `now`, newest first (two during an overlap)."""
    return {endpoint_id: tuple(k.secret for k in keys) for endpoint_id, keys in _active_keys(session, endpoint_ids, now).items()}


def event_types(endpoint: WebhookEndpoint) -> list[str]:
    return orjson.loads(endpoint.event_types_json)


def view(session: Session, endpoint: WebhookEndpoint, now: datetime) -> dict:
    """The endpoint as the API shows it (never a secret): its current public key for ed25519,
    and when the previous key stops signing while one still does."""
    keys = _active_keys(session, [endpoint.id], now).get(endpoint.id, [])
    current = next((k for k in keys if k.expires_at is None), None)
    previous = next((k for k in keys if k.expires_at is not None), None)
    return {
        "id": endpoint.id,
        "object": "webhook_endpoint",
        "url": endpoint.url,
        "description": endpoint.description,
        "event_types": event_types(endpoint),
        "signing": endpoint.signing,
        "public_key": current.public_key if current else None,
        "previous_key_expires_at": to_iso(previous.expires_at) if previous else None,
        "rate_limit": endpoint.rate_limit,
        "status": endpoint.status,
        "disabled_reason": endpoint.disabled_reason,
        "disabled_at": to_iso(endpoint.disabled_at),
        "failing_since": to_iso(endpoint.failing_since),
        "created_at": to_iso(endpoint.created_at),
        "updated_at": to_iso(endpoint.updated_at),
    }
