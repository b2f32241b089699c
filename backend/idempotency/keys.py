"""Idempotency keys, scoped to tenant + mode + endpoint, claimed in the mutation's own transaction.

The key row is inserted *before* the mutation runs and completed with the response in the same
transaction, so: a crash leaves neither; a concurrent duplicate blocks on the key's unique index
until the first commits and then replays it (or, after `WAIT`, answers `request_in_progress`);
and a domain refusal is kept as the key's answer while the mutation's writes are rolled back to a
savepoint. Requests refused as malformed are not stored (as Stripe does), so the client can fix
the payload and retry with the same key.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Callable

from sqlalchemy import delete, select, text, update
from sqlalchemy.exc import DBAPIError, IntegrityError
from sqlmodel import Session

from backend.db import transactions
from backend.db.engine import Database
from backend.db.tables import IdempotencyRecord
from backend.encoding import dumps
from backend.errors import ZentraError
from backend.inputs import storable_text
from backend.tenancy.scope import Scope

RETENTION = timedelta(hours=72)
WAIT_SECONDS = 5
MAX_KEY_LENGTH = 255
MALFORMED = {"invalid_request", "validation_error", "amount_not_integer", "amount_out_of_range", "unknown_currency"}


@dataclass(frozen=True)
class Answer:
    status_code: int
    body: bytes
    replayed: bool = False


def encode(payload: dict) -> bytes:
    """The one JSON encoding of answers, so a stored answer is exactly what was sent."""
    return dumps(payload)


def fingerprint(endpoint: str, body: dict) -> str:
    canonical = json.dumps({"endpoint": endpoint, "body": body}, sort_keys=True, separators=(",", ":"))
    return hashlib.sha256(canonical.encode()).hexdigest()


def parse_key(body_key: object, header_key: str | None) -> str:
    """The key from the body or the `Idempotency-Key` header (they must agree if both are sent)."""
    if body_key is not None and header_key is not None and body_key != header_key:
        raise ZentraError("validation_error", "idempotency_key in body and Idempotency-Key header differ", "idempotency_key")
    key = body_key if body_key is not None else header_key
    if key is None:
        raise ZentraError("validation_error", "idempotency_key is required on every mutating request", "idempotency_key")
    if not isinstance(key, str) or not 1 <= len(key) <= MAX_KEY_LENGTH:
        raise ZentraError("validation_error", f"idempotency_key must be a string of 1 to {MAX_KEY_LENGTH} characters", "idempotency_key")
    return storable_text(key, "idempotency_key")


Mutation = Callable[[Session], tuple[int, dict]]
Refused = Callable[[Session, ZentraError], None]


def execute(db: Database, scope: Scope, endpoint: str, key: str, body: dict, mutation: Mutation, request_id: str, now: Callable[[], datetime], refused: Refused | None = None) -> Answer:
    """Run `mutation` at most once for (scope, endpoint, key) and answer as the first run did.

    `refused` runs in the same transaction when the mutation is refused with an answer that is
    kept (after its writes are rolled back), to record what the refusal itself must leave behind.
    """
    digest = fingerprint(endpoint, body)
    for _ in range(transactions.MAX_ATTEMPTS):
        try:
            return transactions.write(db, lambda s: _once(s, scope, endpoint, key, digest, mutation, request_id, now(), refused))
        except IntegrityError:
            continue  # a concurrent duplicate committed its claim first: replay it on the next pass
        except DBAPIError as exc:
            if getattr(exc.orig, "sqlstate", None) == "55P03":
                raise ZentraError("request_in_progress", "a request with this idempotency key is still running", "idempotency_key", retry_after=1) from None
            raise
    raise ZentraError("request_in_progress", "a request with this idempotency key is still running", "idempotency_key", retry_after=1)


def _once(session: Session, scope: Scope, endpoint: str, key: str, digest: str, mutation: Mutation, request_id: str, now: datetime, refused: Refused | None) -> Answer:
    where = (
        IdempotencyRecord.tenant_id == scope.tenant_id,
        IdempotencyRecord.mode == scope.mode,
        IdempotencyRecord.endpoint == endpoint,
        IdempotencyRecord.key == key,
    )
    found = session.execute(select(IdempotencyRecord).where(*where)).scalar_one_or_none()
    if found is not None:
        return replay(found, digest)
    if session.get_bind().dialect.name == "postgresql":
        session.execute(text(f"SET LOCAL lock_timeout = '{WAIT_SECONDS}s'"))
    session.add(IdempotencyRecord(tenant_id=scope.tenant_id, mode=scope.mode, endpoint=endpoint, key=key, request_hash=digest, status_code=0, body="", created_at=now))
    session.flush()
    if session.get_bind().dialect.name == "postgresql":
        session.execute(text("SET LOCAL lock_timeout = 0"))
    savepoint = session.begin_nested()
    try:
        status_code, payload = mutation(session)
        savepoint.commit()
    except ZentraError as err:
        if err.code in MALFORMED:
            raise
        savepoint.rollback()
        if refused is not None:
            refused(session, err)
        status_code, payload = err.status, err.body(request_id)
    body = encode(payload)
    session.execute(update(IdempotencyRecord).where(*where).values(status_code=status_code, body=body.decode()))
    return Answer(status_code, body)


def replay(found: IdempotencyRecord, digest: str) -> Answer:
    if found.request_hash != digest:
        raise ZentraError("idempotency_key_reused", "this idempotency key was used with a different request", "idempotency_key")
    if found.status_code == 0:
        raise ZentraError("request_in_progress", "a request with this idempotency key is still running", "idempotency_key", retry_after=1)
    return Answer(found.status_code, found.body.encode(), replayed=True)


def purge(db: Database, now: datetime) -> int:
    """Forget keys older than the retention (72 h, beyond the contract's 24 h minimum)."""
    return transactions.write(db, lambda s: s.execute(delete(IdempotencyRecord).where(IdempotencyRecord.created_at < now - RETENTION)).rowcount)
