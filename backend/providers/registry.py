"""Providers registered per tenant and mode, and the secrets their callbacks are signed with.

The provider id in a callback's URL is what routes it to a tenant and mode (callbacks carry no
API key). An `external` provider takes submissions at its `endpoint_url`; a `sandbox` one (sandbox
mode only) is played by this process (backend/sandbox/providers.py) as its `behaviour` says.

The secret is shown once, when it is issued; rotating it keeps the previous secret verifying for
an overlap (24 h by default, as Svix does) so a provider can switch without losing callbacks in
flight.
"""

from __future__ import annotations

from datetime import datetime, timedelta

import orjson
from sqlalchemy import select
from sqlmodel import Session

from backend.clock import to_iso
from backend.db.tables import Provider
from backend.errors import ZentraError
from backend.events.outbox import PendingEvent, record
from backend.ids import new_id
from backend.inputs import choice, reject_unknown, required_str, whole_number
from backend.providers.verification import new_secret
from backend.sandbox.behaviour import parse_behaviour
from backend.tenancy.lookup import get_scoped
from backend.tenancy.scope import Scope
from backend.webhooks.addresses import check_url

KINDS = ("external", "sandbox")
MAX_ENDPOINT_URL_LENGTH = 500
DEFAULT_OVERLAP = timedelta(hours=24)
MAX_OVERLAP = timedelta(days=7)


def view(provider: Provider) -> dict:
    """The provider as the API shows it (never its secrets)."""
    return {
        "id": provider.id,
        "object": "provider",
        "mode": provider.mode,
        "name": provider.name,
        "kind": provider.kind,
        "endpoint_url": provider.endpoint_url,
        "behaviour": orjson.loads(provider.behaviour_json) if provider.kind == "sandbox" else None,
        "callback_url": f"/v1/providers/{provider.id}/callbacks",
        "created_at": to_iso(provider.created_at),
        "rotated_at": to_iso(provider.rotated_at),
        "previous_secret_expires_at": to_iso(provider.previous_secret_expires_at),
        "health": {
            "consecutive_failures": provider.consecutive_failures,
            "unhealthy_until": to_iso(provider.unhealthy_until),
            "last_success_at": to_iso(provider.last_success_at),
            "last_failure_at": to_iso(provider.last_failure_at),
        },
    }


def _issued(session: Session, scope: Scope, provider: Provider, event_type: str, now: datetime) -> dict:
    """The answer that shows a freshly issued secret, with its event (which does not)."""
    shown = view(provider)
    record(session, scope, [PendingEvent(event_type, provider.id, shown, now)])
    return {**shown, "secret": provider.signing_secret, "event": event_type}


def create_provider(session: Session, scope: Scope, body: dict, now: datetime) -> dict:
    reject_unknown(body, {"name", "kind", "endpoint_url", "behaviour"})
    name = required_str(body, "name")
    kind = choice(body, "kind", KINDS, "external")
    provider = Provider(id=new_id("prv"), tenant_id=scope.tenant_id, mode=scope.mode, name=name, kind=kind, signing_secret=new_secret(), created_at=now)
    if kind == "sandbox":
        provider.behaviour_json = _sandbox_behaviour(scope, body)
    else:
        provider.endpoint_url = _endpoint_url(scope, body)
    session.add(provider)
    session.flush()
    return _issued(session, scope, provider, "provider.created", now)


def _sandbox_behaviour(scope: Scope, body: dict) -> str:
    """A sandbox provider's behaviour as stored; it is played by this process, so it exists in
    sandbox mode only and takes no endpoint."""
    if scope.mode != "sandbox":
        raise ZentraError("validation_error", "sandbox providers exist in sandbox mode only", "kind")
    if "endpoint_url" in body:
        raise ZentraError("validation_error", "a sandbox provider is reached at /sandbox/providers/{id}/payments; endpoint_url is for external providers", "endpoint_url")
    return orjson.dumps(parse_behaviour(body.get("behaviour", {})).to_dict()).decode()


def _endpoint_url(scope: Scope, body: dict) -> str | None:
    """Where an external provider takes submissions, checked by the webhook SSRF rules: https
    and a public address outside sandbox. Without one the provider only sends callbacks."""
    if "behaviour" in body:
        raise ZentraError("validation_error", "behaviour is for sandbox providers only", "behaviour")
    if body.get("endpoint_url") is None:
        return None
    return check_url(required_str(body, "endpoint_url", max_length=MAX_ENDPOINT_URL_LENGTH), scope.mode == "sandbox", "endpoint_url")


def set_behaviour(session: Session, scope: Scope, provider_id: str, body: dict, now: datetime) -> dict:
    """Change a sandbox provider's behaviour; submissions decided from now on follow it."""
    reject_unknown(body, {"behaviour"})
    if "behaviour" not in body:
        raise ZentraError("validation_error", "behaviour is required", "behaviour")
    behaviour = parse_behaviour(body["behaviour"])
    provider = get_scoped(session, Provider, provider_id, scope, "provider")
    if provider.kind != "sandbox":
        raise ZentraError("validation_error", "only sandbox providers have a behaviour", "behaviour")
    provider.behaviour_json = orjson.dumps(behaviour.to_dict()).decode()
    session.flush()
    shown = view(provider)
    record(session, scope, [PendingEvent("provider.behaviour_updated", provider.id, shown, now)])
    return {**shown, "event": "provider.behaviour_updated"}


def _overlap(body: dict) -> timedelta:
    value = body.get("overlap_seconds", int(DEFAULT_OVERLAP.total_seconds()))
    return timedelta(seconds=whole_number(value, "overlap_seconds", 0, int(MAX_OVERLAP.total_seconds())))


def rotate_secret(session: Session, scope: Scope, provider_id: str, body: dict, now: datetime) -> dict:
    """Issue a new secret; the current one keeps verifying for `overlap_seconds` (0: not at all).
    The row is locked so two rotations never both keep the same previous secret."""
    reject_unknown(body, {"overlap_seconds"})
    overlap = _overlap(body)
    where = (Provider.id == provider_id, Provider.tenant_id == scope.tenant_id, Provider.mode == scope.mode)
    provider = session.execute(select(Provider).where(*where).with_for_update()).scalar_one_or_none()
    if provider is None:
        raise ZentraError("not_found", f"no provider {provider_id!r}", object_id=provider_id)
    provider.previous_secret = provider.signing_secret if overlap else None
    provider.previous_secret_expires_at = now + overlap if overlap else None
    provider.signing_secret, provider.rotated_at = new_secret(), now
    session.flush()
    return _issued(session, scope, provider, "provider.secret_rotated", now)


def get_provider(session: Session, scope: Scope, provider_id: str) -> dict:
    return view(get_scoped(session, Provider, provider_id, scope, "provider"))


def find_provider(session: Session, provider_id: str) -> Provider:
    """The provider a callback URL names, whatever its tenant (the URL is how a callback is routed)."""
    provider = session.get(Provider, provider_id)
    if provider is None:
        raise ZentraError("not_found", f"no provider {provider_id!r}")
    return provider


def verifying_secrets(provider: Provider, now: datetime) -> list[str]:
    """The secrets a callback may be signed with at `now`: the current one, and the previous one
    until its overlap ends."""
    expires = provider.previous_secret_expires_at
    if provider.previous_secret and expires is not None and expires > now:
        return [provider.signing_secret, provider.previous_secret]
    return [provider.signing_secret]


def provider_scope(provider: Provider) -> Scope:
    """The scope a provider's callbacks act in, with the provider as actor."""
    return Scope(provider.tenant_id, provider.mode, actor=f"provider:{provider.id}", role="provider")
