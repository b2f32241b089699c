"""Session tokens: ed25519-signed JWTs (`alg` EdDSA) that say who acts in which tenant and mode.

A token carries `iss` "zentra", `sub` (operator id), `tid` (tenant id), `mode`, `role`, `jti`
(the session id, a row in `operator_sessions` so sign-out can revoke it), `iat` and `exp` (whole
seconds). This module only signs and checks signatures and times; whether the session, the
operator and the membership still stand is `backend.operators.sessions.verify`'s business.

Only EdDSA is accepted, so a token re-signed with `none` or an HMAC algorithm is forged, not
trusted. Expiry is checked against the caller's `now` (the runtime clock), not the wall clock.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timezone
from functools import lru_cache
from pathlib import Path

import jwt
from cryptography.hazmat.primitives.asymmetric.ed25519 import (
    Ed25519PrivateKey,
    Ed25519PublicKey,
)

from backend.config import Settings
from backend.keyfiles import load_or_create_ed25519
from backend.tenancy.scope import MODES

ISSUER = "zentra"
ALGORITHM = "EdDSA"
KEY_FILE = "session_signing_key.pem"
MAX_TOKEN_LENGTH = 4096
_STRING_CLAIMS = ("sub", "tid", "mode", "role", "jti")


@dataclass(frozen=True)
class Claims:
    """What a valid token asserts; times are Unix seconds."""

    operator_id: str
    tenant_id: str
    mode: str
    role: str
    session_id: str
    issued_at: int
    expires_at: int

    @property
    def expires(self) -> datetime:
        return datetime.fromtimestamp(self.expires_at, timezone.utc)


class TokenRefused(Exception):
    """Why a token is not accepted; `claims` is set when its signature verified (so the denial can
    be filed in the tenant it names) and None when nothing in it can be trusted."""

    def __init__(self, reason: str, claims: Claims | None = None):
        super().__init__(reason)
        self.reason = reason
        self.claims = claims


def signing_key(settings: Settings) -> Ed25519PrivateKey:
    """The deployment's session signing key, created in the data directory on first use."""
    return _load(settings.data_dir / KEY_FILE)


@lru_cache(maxsize=8)
def _load(path: Path) -> Ed25519PrivateKey:
    return load_or_create_ed25519(path)


def encode(key: Ed25519PrivateKey, claims: Claims) -> str:
    """Sign `claims` into a compact JWT."""
    payload = {
        "iss": ISSUER,
        "sub": claims.operator_id,
        "tid": claims.tenant_id,
        "mode": claims.mode,
        "role": claims.role,
        "jti": claims.session_id,
        "iat": claims.issued_at,
        "exp": claims.expires_at,
    }
    return jwt.encode(payload, key, algorithm=ALGORITHM)


def decode(public_key: Ed25519PublicKey, token: object, now: datetime) -> Claims:
    """The claims of a token signed by `public_key` and unexpired at `now`, else `TokenRefused`
    with reason `malformed`, `forged` or `expired`."""
    if not isinstance(token, str) or not token or len(token) > MAX_TOKEN_LENGTH:
        raise TokenRefused("malformed")
    try:
        payload = jwt.decode(
            token,
            public_key,
            algorithms=[ALGORITHM],
            issuer=ISSUER,
            options={"verify_exp": False, "verify_iat": False, "verify_nbf": False, "require": ["iss", "exp", "iat", *_STRING_CLAIMS]},
        )
    except (jwt.InvalidSignatureError, jwt.InvalidAlgorithmError):
        raise TokenRefused("forged") from None
    except jwt.InvalidTokenError:
        raise TokenRefused("malformed") from None
    claims = _claims(payload)
    if claims.expires_at <= now.timestamp():
        raise TokenRefused("expired", claims)
    return claims


def _claims(payload: dict) -> Claims:
    """Typed claims from a verified payload; a signed payload of the wrong shape is malformed."""
    strings_ok = all(isinstance(payload[name], str) and 0 < len(payload[name]) <= 40 for name in _STRING_CLAIMS)
    times_ok = all(type(payload[name]) is int for name in ("iat", "exp"))
    if not strings_ok or not times_ok or payload["mode"] not in MODES:
        raise TokenRefused("malformed")
    return Claims(payload["sub"], payload["tid"], payload["mode"], payload["role"], payload["jti"], payload["iat"], payload["exp"])
