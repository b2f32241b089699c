"""Provider callbacks in: verified before anything is touched, then applied at most once.

1. The provider id in the URL names the tenant and mode (an unknown one is `404 not_found`).
2. The Standard Webhooks signature and the 5-minute timestamp tolerance are checked; a refusal is
   a denied attempt in the provider's tenant's audit chain, written alone, and changes nothing else.
3. One transaction then locks the referenced row (`SELECT … FOR UPDATE`; SQLite admits one writer
   at a time), so every callback about one object is decided after the one before it committed:
   a webhook-id already received is a `duplicate`; a sequence not after the last applied one for
   that reference is `out_of_order`; otherwise the type's handler applies it in a savepoint, and
   a refusal because the object is already final makes it `stale`, any other refusal (or a body
   that does not parse, or a reference the provider's scope does not hold) `rejected`.
   The receipt, its audit record and the services' own events commit together.

Every verified callback is answered 200 with its receipt (providers retry anything else), and the
first receipt of a webhook-id is unique per provider: copies that race past the lock (a body that
does not parse, say) fail that index, and their retry finds the first and becomes a duplicate.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime

import orjson
from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, SQLModel

import backend.intents.provider_callbacks  # noqa: F401  (registers intent.settled, intent.failed, intent.reversed)
import backend.providers.hold_handlers  # noqa: F401  (registers hold.settled and hold.failed)
from backend.audit.denials import cross_scope
from backend.audit.records import AuditEntry, append, for_scope, record_alone
from backend.clock import to_iso
from backend.db import transactions
from backend.db.engine import Database
from backend.db.tables import Provider, ProviderCallback
from backend.errors import ZentraError
from backend.ids import new_id
from backend.inputs import (
    object_body,
    reject_unknown,
    required_str,
    timestamp,
    whole_number,
)
from backend.money.amounts import MAX_AMOUNT
from backend.pagination import page
from backend.providers import registry, verification
from backend.providers.handlers import HANDLERS, Callback, Handler
from backend.tenancy.lookup import get_scoped
from backend.tenancy.scope import Scope

ENVELOPE = {"type", "reference", "sequence", "occurred_at"}
FINAL_CODES = {"invalid_state_transition", "hold_expired"}


@dataclass(frozen=True)
class Delivery:
    """A callback whose signature and timestamp verified, and where it came in."""

    provider: Provider
    webhook_id: str
    body: bytes
    route: str
    request_id: str


def receive(db: Database, provider_id: str, headers: Mapping[str, str], body: bytes, now: datetime, route: str, request_id: str) -> dict:
    """Verify one callback and apply it at most once; answer with its receipt."""
    provider = transactions.read(db, lambda s: registry.find_provider(s, provider_id))
    try:
        webhook_id = verification.verify(headers, body, registry.verifying_secrets(provider, now), now)
    except ZentraError as err:
        record_alone(db, [_denied(provider, err, headers.get("webhook-id"), route, request_id, now)])
        raise
    delivery = Delivery(provider, webhook_id, body, route, request_id)
    for attempt in range(1, transactions.MAX_ATTEMPTS + 1):
        try:
            return transactions.write(db, lambda s: _once(s, delivery, now))
        except IntegrityError:
            if attempt == transactions.MAX_ATTEMPTS:
                raise
    raise AssertionError("unreachable")


def _denied(provider: Provider, err: ZentraError, webhook_id: str | None, route: str, request_id: str, now: datetime) -> AuditEntry:
    """The record of a callback refused before verification; the webhook id is kept only if it
    could be an id at all (the caller is not yet known to be the provider)."""
    shown = webhook_id[: verification.MAX_WEBHOOK_ID_LENGTH] if webhook_id and webhook_id.isascii() and webhook_id.isprintable() else None
    scope = registry.provider_scope(provider)
    return AuditEntry(
        tenant=scope.tenant_id,
        mode=scope.mode,
        actor=scope.actor,
        role=scope.role,
        action="provider.callback.denied",
        object_id=provider.id,
        scope=route,
        occurred_at=now,
        request_id=request_id,
        policy={"decision": "denied", "reason": err.code},
        detail={"webhook_id": shown, "message": err.message},
    )


def _once(session: Session, delivery: Delivery, now: datetime) -> dict:
    """Decide and record one verified callback, in the caller's transaction."""
    scope = registry.provider_scope(delivery.provider)
    receipt = ProviderCallback(id=new_id("pcb"), provider_id=delivery.provider.id, tenant_id=scope.tenant_id, mode=scope.mode, webhook_id=delivery.webhook_id, received_at=now, outcome="")
    try:
        callback: Callback | ZentraError = _parse(delivery, receipt.id)
    except ZentraError as err:
        callback = err
    found = isinstance(callback, Callback) and _lock(session, scope, HANDLERS[callback.type].target, callback.reference)
    denials = _decide(session, scope, delivery, receipt, callback, found, now)
    session.add(receipt)
    session.flush()
    append(session, [*denials, _audit(scope, delivery, receipt, now)])
    return callback_view(receipt)


def _decide(session: Session, scope: Scope, delivery: Delivery, receipt: ProviderCallback, callback: Callback | ZentraError, found: bool, now: datetime) -> list[AuditEntry]:
    """Set the receipt's outcome and reason (applying the callback if it is due), once its
    reference is locked; answer the denial records a reach into another scope leaves."""
    if isinstance(callback, Callback):
        receipt.type, receipt.reference, receipt.sequence, receipt.occurred_at = callback.type, callback.reference, callback.sequence, callback.occurred_at
    first = _first_receipt(session, receipt.provider_id, receipt.webhook_id)
    if first is not None:
        receipt.outcome, receipt.reason, receipt.duplicate_of = "duplicate", f"webhook-id already received as {first.id} ({first.outcome})", first.id
    elif isinstance(callback, ZentraError):
        receipt.outcome, receipt.reason = "rejected", _why(callback)
    elif not found:
        receipt.outcome, receipt.reason = "rejected", f"unknown_reference: no {callback.reference!r} in this provider's tenant and mode"
        denial = cross_scope(session, scope, ZentraError("not_found", receipt.reason, object_id=callback.reference), delivery.route, delivery.request_id, now)
        return [denial] if denial else []
    else:
        receipt.outcome, receipt.reason = _in_order(session, scope, callback, now)
    return []


def _in_order(session: Session, scope: Scope, callback: Callback, now: datetime) -> tuple[str, str | None]:
    """`out_of_order` unless the callback comes after the last one applied to its reference;
    otherwise whatever applying it gives."""
    last = _last_applied(session, callback.provider_id, callback.reference)
    if last is not None and callback.sequence <= last:
        return "out_of_order", f"sequence {callback.sequence} is not after {last}, the last applied for {callback.reference}"
    return _apply(session, scope, HANDLERS[callback.type], callback, now)


def _apply(session: Session, scope: Scope, handler: Handler, callback: Callback, now: datetime) -> tuple[str, str | None]:
    """Run the handler in a savepoint: its writes stay only if it applied."""
    savepoint = session.begin_nested()
    try:
        handler.apply(session, scope, callback, now)
    except ZentraError as err:
        savepoint.rollback()
        return ("stale" if err.code in FINAL_CODES else "rejected"), _why(err)
    savepoint.commit()
    return "applied", None


def _why(err: ZentraError) -> str:
    return f"{err.code}: {err.message}"[:500]


def _parse(delivery: Delivery, receipt_id: str) -> Callback:
    """The callback a verified body describes, or the refusal that makes it `rejected`."""
    try:
        body = object_body(orjson.loads(delivery.body))
    except orjson.JSONDecodeError:
        raise ZentraError("invalid_request", "the callback body is not valid JSON") from None
    callback_type = body.get("type")
    handler = HANDLERS.get(callback_type) if isinstance(callback_type, str) else None
    if handler is None:
        raise ZentraError("validation_error", f"type must be one of {', '.join(sorted(HANDLERS))}", "type")
    reject_unknown(body, ENVELOPE | handler.fields)
    return Callback(
        receipt_id=receipt_id,
        provider_id=delivery.provider.id,
        webhook_id=delivery.webhook_id,
        type=callback_type,
        reference=required_str(body, "reference", max_length=64),
        sequence=whole_number(body.get("sequence"), "sequence", 0, MAX_AMOUNT),
        occurred_at=timestamp(body.get("occurred_at"), "occurred_at"),
        fields={name: body[name] for name in handler.fields if name in body},
    )


def _lock(session: Session, scope: Scope, target: type[SQLModel], reference: str) -> bool:
    """Lock the referenced row in the provider's scope; False if the scope holds no such row."""
    where = (target.id == reference, target.tenant_id == scope.tenant_id, target.mode == scope.mode)  # type: ignore[attr-defined]
    return session.execute(select(target.id).where(*where).with_for_update()).first() is not None  # type: ignore[attr-defined]


def _first_receipt(session: Session, provider_id: str, webhook_id: str) -> ProviderCallback | None:
    where = (ProviderCallback.provider_id == provider_id, ProviderCallback.webhook_id == webhook_id, ProviderCallback.duplicate_of.is_(None))
    return session.execute(select(ProviderCallback).where(*where)).scalar_one_or_none()


def _last_applied(session: Session, provider_id: str, reference: str) -> int | None:
    where = (ProviderCallback.provider_id == provider_id, ProviderCallback.reference == reference, ProviderCallback.outcome == "applied")
    return session.execute(select(func.max(ProviderCallback.sequence)).where(*where)).scalar_one()


def _audit(scope: Scope, delivery: Delivery, receipt: ProviderCallback, now: datetime) -> AuditEntry:
    """Every verified callback is an audit record of the object it named, whatever its outcome."""
    detail = {"callback": receipt.id, "webhook_id": receipt.webhook_id, "type": receipt.type, "sequence": receipt.sequence, "outcome": receipt.outcome, "reason": receipt.reason}
    policy = {"decision": "allowed", "by": "signature"}
    return for_scope(scope, f"provider.callback.{receipt.outcome}", receipt.reference or receipt.provider_id, delivery.route, now, delivery.request_id, policy=policy, detail=detail)


def callback_view(receipt: ProviderCallback) -> dict:
    return {
        "id": receipt.id,
        "object": "provider_callback",
        "provider": receipt.provider_id,
        "webhook_id": receipt.webhook_id,
        "type": receipt.type,
        "reference": receipt.reference,
        "sequence": receipt.sequence,
        "occurred_at": to_iso(receipt.occurred_at),
        "received_at": to_iso(receipt.received_at),
        "outcome": receipt.outcome,
        "reason": receipt.reason,
        "duplicate_of": receipt.duplicate_of,
    }


def list_callbacks(session: Session, scope: Scope, provider_id: str, limit: int, offset: int) -> dict:
    """A provider's receipts, newest first: what each callback did and why."""
    provider = get_scoped(session, Provider, provider_id, scope, "provider")
    where = (ProviderCallback.provider_id == provider.id,)
    total = session.execute(select(func.count()).select_from(ProviderCallback).where(*where)).scalar_one()
    rows = session.execute(select(ProviderCallback).where(*where).order_by(ProviderCallback.received_at.desc(), ProviderCallback.id.desc()).limit(limit).offset(offset)).scalars()
    return page([callback_view(r) for r in rows], total, limit, offset)
