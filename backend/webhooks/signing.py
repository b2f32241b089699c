"""Standard Webhooks signatures (pure functions, no I/O).

What is signed is `{webhook-id}.{webhook-timestamp}.{body}`. An HMAC endpoint has a `whsec_`
secret (base64 of 32 random bytes) and gets `v1,<base64 HMAC-SHA256>`; an ed25519 endpoint has
a `whsk_` secret key (base64 of the 32-byte seed, as the spec's reference libraries read it),
publishes its `whpk_` public key (base64 of the 32 raw bytes) and gets `v1a,<base64 signature>`.
While a rotated-out key is still in its overlap window the header carries one signature per
key, space-separated, so a receiver that knows either key verifies the delivery.
"""

from __future__ import annotations

import base64
import functools
import hmac
import secrets
from typing import Sequence

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from cryptography.hazmat.primitives.serialization import Encoding, PublicFormat

HMAC_PREFIX = "whsec_"
SECRET_KEY_PREFIX = "whsk_"
PUBLIC_KEY_PREFIX = "whpk_"
HMAC_SECRET_BYTES = 32  # the spec asks for at least 24


def new_hmac_secret() -> str:
    """A fresh `whsec_` secret."""
    return HMAC_PREFIX + base64.b64encode(secrets.token_bytes(HMAC_SECRET_BYTES)).decode()


def new_ed25519_key() -> str:
    """A fresh `whsk_` secret key (its public key: `public_key_of`)."""
    return SECRET_KEY_PREFIX + base64.b64encode(secrets.token_bytes(32)).decode()


def public_key_of(secret_key: str) -> str:
    """The `whpk_` public key receivers verify `v1a` signatures with."""
    raw = _ed25519(secret_key).public_key().public_bytes(Encoding.Raw, PublicFormat.Raw)
    return PUBLIC_KEY_PREFIX + base64.b64encode(raw).decode()


def signed_content(msg_id: str, timestamp: int, body: bytes) -> bytes:
    return b"%s.%d.%s" % (msg_id.encode(), timestamp, body)


def sign(secret: str, msg_id: str, timestamp: int, body: bytes) -> str:
    """One versioned signature: `v1,…` for a `whsec_` secret, `v1a,…` for a `whsk_` key."""
    content = signed_content(msg_id, timestamp, body)
    if secret.startswith(SECRET_KEY_PREFIX):
        return "v1a," + base64.b64encode(_ed25519(secret).sign(content)).decode()
    return "v1," + base64.b64encode(hmac.digest(_hmac_key(secret), content, "sha256")).decode()


def signature_header(keys: Sequence[str], msg_id: str, timestamp: int, body: bytes) -> str:
    """The `webhook-signature` header: one signature per active key, newest first."""
    return " ".join(sign(key, msg_id, timestamp, body) for key in keys)


@functools.lru_cache(maxsize=4096)
def _hmac_key(secret: str) -> bytes:
    """The secret's key bytes; decoded once per secret, since every delivery signs with it."""
    if not secret.startswith(HMAC_PREFIX):
        raise ValueError("an HMAC secret starts with whsec_")
    return base64.b64decode(secret[len(HMAC_PREFIX) :])


@functools.lru_cache(maxsize=4096)
def _ed25519(secret_key: str) -> Ed25519PrivateKey:
    if not secret_key.startswith(SECRET_KEY_PREFIX):
        raise ValueError("an ed25519 secret key starts with whsk_")
    return Ed25519PrivateKey.from_private_bytes(base64.b64decode(secret_key[len(SECRET_KEY_PREFIX) :]))
