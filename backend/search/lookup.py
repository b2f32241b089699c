"""Global search: an operator pastes any id and lands on its object.

Ids carry their kind in their prefix (`acct_`, `pst_`, `hold_`, `evt_`, `msg_`, `intent_`, …), so
a lookup is one primary-key or unique-index read in the operator's scope; anything else is tried
as an idempotency key (what support is usually handed by an integrator), answered with the object
its first response created. Another scope's object is simply not found.
"""

from __future__ import annotations

from dataclasses import dataclass

import orjson
from sqlalchemy import select
from sqlmodel import Session, SQLModel

from backend.db.tables import (
    Account,
    Event,
    Hold,
    IdempotencyRecord,
    Intent,
    Posting,
    Review,
    WebhookEndpoint,
    WebhookMessage,
)
from backend.tenancy.scope import Scope

MAX_QUERY = 255
CREATED_ID_FIELDS = ("intent_id", "posting_id", "id")


@dataclass(frozen=True)
class Kind:
    noun: str
    model: type[SQLModel]
    column: str = "id"


KINDS = {
    "acct": Kind("account", Account),
    "pst": Kind("posting", Posting),
    "hold": Kind("hold", Hold),
    "evt": Kind("event", Event),
    "msg": Kind("webhook message", WebhookMessage),
    "we": Kind("webhook endpoint", WebhookEndpoint),
    "rev": Kind("review", Review),
    "intent": Kind("intent", Intent, "intent_id"),
}


def link(noun: str, object_id: str, row: SQLModel) -> str:
    """The operations room's deep link to a found object: its own page, or the page that shows it
    (a hold on its account's page, a review on its intent)."""
    pages = {
        "account": f"/accounts/{object_id}",
        "intent": f"/intents?id={object_id}",
        "review": f"/intents?id={getattr(row, 'intent_id', '')}",
        "webhook endpoint": f"/webhooks/{object_id}",
        "webhook message": f"/webhooks/{getattr(row, 'endpoint_id', '')}",
        "hold": f"/accounts/{getattr(row, 'account_id', '')}",
        "event": "/events",
    }
    return pages.get(noun, f"/evidence?id={object_id}")


def _by_id(session: Session, scope: Scope, kind: Kind, object_id: str) -> SQLModel | None:
    model = kind.model
    where = (getattr(model, kind.column) == object_id, model.tenant_id == scope.tenant_id, model.mode == scope.mode)  # type: ignore[attr-defined]
    return session.execute(select(model).where(*where).limit(1)).scalar_one_or_none()


def _hit(kind: str, object_id: str, row: SQLModel, via: str | None = None) -> dict:
    hit = {"kind": kind, "id": object_id, "link": link(kind, object_id, row)}
    if via:
        hit["via"] = via
    return hit


def find(session: Session, scope: Scope, text: str) -> list[dict]:
    """What `text` names in `scope`: at most one object per reading of it, as {kind, id, link,
    via?}; an empty list when nothing matches."""
    text = text.strip()
    if not text or len(text) > MAX_QUERY:
        return []
    kind = KINDS.get(text.partition("_")[0])
    if kind is not None:
        row = _by_id(session, scope, kind, text)
        if row is not None:
            return [_hit(kind.noun, text, row)]
    return _by_idempotency_key(session, scope, text)


def _by_idempotency_key(session: Session, scope: Scope, key: str) -> list[dict]:
    """The objects first created under idempotency key `key`, on any endpoint."""
    where = (IdempotencyRecord.tenant_id == scope.tenant_id, IdempotencyRecord.mode == scope.mode, IdempotencyRecord.key == key)
    hits = []
    for record in session.execute(select(IdempotencyRecord).where(*where).order_by(IdempotencyRecord.id).limit(10)).scalars():
        created = _created_id(record.body)
        prefix = created.partition("_")[0] if created else None
        row = _by_id(session, scope, KINDS[prefix], created) if created and prefix in KINDS else None
        if row is not None:
            hits.append(_hit(KINDS[prefix].noun, created, row, via=f"idempotency key on {record.endpoint}"))
    return hits


def _created_id(body: str) -> str | None:
    """The id a stored first response names (an error response names none)."""
    try:
        payload = orjson.loads(body)
    except orjson.JSONDecodeError:
        return None
    if not isinstance(payload, dict):
        return None
    return next((payload[f] for f in CREATED_ID_FIELDS if isinstance(payload.get(f), str)), None)
