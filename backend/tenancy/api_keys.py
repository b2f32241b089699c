"""API keys: 256-bit random secrets stored only as SHA-256 digests and shown once.

A fast digest is enough (and lets lookup be one indexed equality) because the keys are random
and long, unlike passwords.
"""

from __future__ import annotations

import hashlib
import secrets

from sqlmodel import Session, select

from backend.clock import utcnow
from backend.db.tables import ApiKey
from backend.errors import ZentraError
from backend.ids import new_id
from backend.tenancy.scope import Scope

_PREFIX = {"sandbox": "zk_test_", "live": "zk_live_"}
KEY_PREFIXES = tuple(_PREFIX.values())


def _digest(raw_key: str) -> str:
    return hashlib.sha256(raw_key.encode()).hexdigest()


def issue_key(session: Session, tenant_id: str, mode: str) -> str:
    """Create a key for `tenant_id`/`mode` and return the raw key (never stored)."""
    raw = _PREFIX[mode] + secrets.token_urlsafe(32)
    session.add(
        ApiKey(
            id=new_id("key"),
            tenant_id=tenant_id,
            mode=mode,
            key_hash=_digest(raw),
            display_prefix=raw[:12],
            created_at=utcnow(),
        )
    )
    return raw


def _scope_of(key: ApiKey) -> Scope:
    return Scope(tenant_id=key.tenant_id, mode=key.mode, actor=f"api_key:{key.id}", role="api_key")


def _valid_key(session: Session, raw_key: str | None) -> ApiKey:
    """The unrevoked key row behind `raw_key`, or `unauthorized` (same answer for every failure)."""
    if not raw_key:
        raise ZentraError("unauthorized", "missing API key: send Authorization: Bearer <key>")
    key = session.exec(select(ApiKey).where(ApiKey.key_hash == _digest(raw_key))).first()
    if key is None or key.revoked_at is not None:
        raise ZentraError("unauthorized", "invalid or revoked API key")
    return key


def authenticate(session: Session, raw_key: str | None) -> Scope:
    """Resolve a bearer key to its scope."""
    return _scope_of(_valid_key(session, raw_key))


def authenticate_many(session: Session, raw_keys: set[str]) -> dict[str, Scope]:
    """Scopes of the valid keys among `raw_keys`, in one query (for group commit)."""
    by_digest = {_digest(k): k for k in raw_keys if k}
    rows = session.execute(select(ApiKey).where(ApiKey.key_hash.in_(list(by_digest)), ApiKey.revoked_at.is_(None))).scalars()
    return {by_digest[r.key_hash]: _scope_of(r) for r in rows}


def scope_for_key_id(session: Session, key_id: str) -> Scope:
    """Re-check a key already authenticated (the UI keeps only the key id, never the key)."""
    key = session.get(ApiKey, key_id)
    if key is None or key.revoked_at is not None:
        raise ZentraError("unauthorized", "this API key was revoked; sign in again")
    return _scope_of(key)


def key_id_for(session: Session, raw_key: str) -> str:
    """The id of a valid raw key (for a UI session to remember instead of the secret)."""
    return _valid_key(session, raw_key).id
