"""Standard Webhooks verification of a provider's callback: pure functions, no I/O.

A callback proves itself with `webhook-signature`: space-separated `v1,<base64 HMAC-SHA256>` of
`<webhook-id>.<webhook-timestamp>.<body>` under the base64-decoded `whsec_` secret (other versions,
such as `v1a` ed25519, are skipped). The signature is checked before the timestamp: the timestamp
is part of what is signed, so only a sender holding the secret learns that its clock is off, and a
forgery is always answered `signature_invalid`. Outgoing webhooks (backend/webhooks/) sign the same
way; this module is self-contained so the inbound path depends on nothing being built there.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import secrets
from collections.abc import Mapping, Sequence
from datetime import datetime, timedelta

from backend.errors import ZentraError

TOLERANCE = timedelta(minutes=5)
SECRET_PREFIX = "whsec_"
MAX_WEBHOOK_ID_LENGTH = 255
MAX_TIMESTAMP_DIGITS = 12


def new_secret() -> str:
    """A fresh signing secret: `whsec_` + base64 of 32 random bytes."""
    return SECRET_PREFIX + base64.b64encode(secrets.token_bytes(32)).decode()


def _key(secret: str) -> bytes:
    return base64.b64decode(secret.removeprefix(SECRET_PREFIX))


def sign(secret: str, webhook_id: str, timestamp: int | str, body: bytes) -> str:
    """The `webhook-signature` value for `body` (what a provider sends; tests and sandbox
    providers sign with it)."""
    digest = hmac.new(_key(secret), f"{webhook_id}.{timestamp}.".encode() + body, hashlib.sha256).digest()
    return "v1," + base64.b64encode(digest).decode()


def _refused(message: str) -> ZentraError:
    return ZentraError("signature_invalid", message)


def _headers(headers: Mapping[str, str]) -> tuple[str, str, list[bytes]]:
    """The webhook id, the raw timestamp and the `v1` signatures, or `signature_invalid`."""
    lowered = {k.lower(): v for k, v in headers.items()}
    webhook_id, stamp, signature = (lowered.get(f"webhook-{name}", "") for name in ("id", "timestamp", "signature"))
    if not (webhook_id and stamp and signature):
        raise _refused("send the webhook-id, webhook-timestamp and webhook-signature headers")
    if len(webhook_id) > MAX_WEBHOOK_ID_LENGTH or not (webhook_id.isascii() and webhook_id.isprintable()):
        raise _refused(f"webhook-id must be printable ASCII of at most {MAX_WEBHOOK_ID_LENGTH} characters")
    if not (stamp.isascii() and stamp.isdigit() and len(stamp) <= MAX_TIMESTAMP_DIGITS):
        raise _refused("webhook-timestamp must be integer seconds since the Unix epoch")
    return webhook_id, stamp, [sig for sig in map(_v1_signature, signature.split(" ")) if sig is not None]


def _v1_signature(token: str) -> bytes | None:
    version, _, encoded = token.partition(",")
    if version != "v1":
        return None
    try:
        return base64.b64decode(encoded, validate=True)
    except (binascii.Error, ValueError):
        return None


def verify(headers: Mapping[str, str], body: bytes, candidates: Sequence[str], now: datetime) -> str:
    """The callback's webhook id, once a `v1` signature matches one of the `candidates` secrets
    (the current one, and the previous one during a rotation) and the timestamp is within
    5 minutes of `now`."""
    webhook_id, stamp, signatures = _headers(headers)
    expected = [base64.b64decode(sign(secret, webhook_id, stamp, body)[3:]) for secret in candidates]
    if not any(hmac.compare_digest(want, got) for want in expected for got in signatures):
        raise _refused("no webhook-signature matches this provider's signing secret")
    skew = int(now.timestamp()) - int(stamp)
    if abs(skew) > TOLERANCE.total_seconds():
        raise ZentraError("timestamp_out_of_tolerance", f"webhook-timestamp is {abs(skew)} s {'behind' if skew > 0 else 'ahead of'} our clock; the tolerance is {int(TOLERANCE.total_seconds())} s")
    return webhook_id
