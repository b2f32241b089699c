"""The signature inspector: what one delivery attempt signed, with which keys, and how late.

It rebuilds the Standard Webhooks signed content (`webhook-id.webhook-timestamp.body`) from the
stored message and the attempt's own timestamp, names the keys that were active then by a key id
(SHA-256 of the public key, or of the secret, first 16 hex: never the secret itself), and shows
the skew between the event and the signature, which is what receivers' tolerance windows judge.
"""

from __future__ import annotations

import hashlib

from sqlalchemy import select
from sqlmodel import Session

from backend.clock import to_iso
from backend.db.tables import WebhookAttempt, WebhookMessage, WebhookSecret
from backend.errors import ZentraError
from backend.tenancy.scope import Scope
from backend.webhooks.endpoints import get_endpoint_row

CONTENT_PREVIEW = 600


def key_id(secret: WebhookSecret) -> str:
    material = secret.public_key or secret.secret
    return hashlib.sha256(material.encode()).hexdigest()[:16]


def inspect_attempt(session: Session, scope: Scope, endpoint_id: str, attempt_id: str) -> dict:
    """The attempt's signed content, scheme, key ids and timing, for the webhooks room."""
    endpoint = get_endpoint_row(session, scope, endpoint_id)
    attempt = session.get(WebhookAttempt, attempt_id)
    if attempt is None or attempt.endpoint_id != endpoint.id:
        raise ZentraError("not_found", f"no attempt {attempt_id!r} for endpoint {endpoint_id}", object_id=attempt_id)
    message = session.get(WebhookMessage, attempt.message_id)
    timestamp = int(attempt.attempted_at.timestamp())
    keys = session.execute(
        select(WebhookSecret).where(WebhookSecret.endpoint_id == endpoint.id, WebhookSecret.created_at <= attempt.attempted_at).order_by(WebhookSecret.created_at)
    ).scalars().all()
    active = [k for k in keys if k.expires_at is None or k.expires_at > attempt.attempted_at]
    content = f"{message.id}.{timestamp}.{message.body}"
    return {
        "webhook_id": message.id,
        "webhook_timestamp": timestamp,
        "scheme": "v1a (ed25519)" if endpoint.signing == "ed25519" else "v1 (HMAC-SHA256)",
        "key_ids": [key_id(k) for k in active],
        "signatures_sent": len(active),
        "signed_content": content if len(content) <= CONTENT_PREVIEW else content[: CONTENT_PREVIEW - 1] + "…",
        "signed_bytes": len(content.encode()),
        "event_type": message.event_type,
        "event_occurred_at": to_iso(message.event_occurred_at),
        "skew_seconds": round((attempt.attempted_at - message.event_occurred_at).total_seconds(), 3),
    }
