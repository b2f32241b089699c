"""Writing audit records: unsealed, in the transaction of what they record, or alone for denials.

A mutation's record is inserted in the mutation's own transaction (at its tail), so it exists
exactly when the mutation does and is never lost once the mutation is acknowledged; the sealer
links it into the chain after commit. A denied attempt changes nothing else, so its record is
written in a transaction of its own.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

import orjson
from sqlalchemy import Row
from sqlmodel import Session

from backend.audit.chain import record_digest
from backend.clock import to_iso
from backend.db import commit_tail, transactions
from backend.db.bulk import insert_rows
from backend.db.engine import Database
from backend.db.tables import AuditRecord
from backend.encoding import dumps
from backend.tenancy.scope import Scope

PLATFORM_CHAIN = "platform"


@dataclass(frozen=True)
class AuditEntry:
    """One record before sealing. `tenant` None files it in the platform chain (an attempt no
    tenant can be named for, such as an unknown API key or a forged session token)."""

    tenant: str | None
    mode: str | None
    actor: str
    role: str
    action: str
    object_id: str | None
    scope: str
    occurred_at: datetime
    request_id: str | None = None
    policy: dict = field(default_factory=dict)
    detail: dict = field(default_factory=dict)

    @property
    def chain(self) -> str:
        return self.tenant or PLATFORM_CHAIN


def for_scope(scope: Scope, action: str, object_id: str | None, route: str, at: datetime, request_id: str | None, *, policy: dict | None = None, detail: dict | None = None) -> AuditEntry:
    """The record of `scope`'s actor doing `action` to `object_id` through `route`."""
    return AuditEntry(
        tenant=scope.tenant_id,
        mode=scope.mode,
        actor=scope.actor,
        role=scope.role,
        action=action,
        object_id=object_id,
        scope=route,
        occurred_at=at,
        request_id=request_id,
        policy=policy if policy is not None else {"decision": "allowed", "by": f"role:{scope.role}"},
        detail=detail or {},
    )


def _body(entry: AuditEntry) -> dict:
    return {
        "tenant": entry.tenant,
        "mode": entry.mode,
        "actor": entry.actor,
        "role": entry.role,
        "action": entry.action,
        "object": entry.object_id,
        "scope": entry.scope,
        "policy": entry.policy,
        "detail": entry.detail,
        "request_id": entry.request_id,
        "occurred_at": to_iso(entry.occurred_at),
    }


def _row(entry: AuditEntry) -> dict:
    """The stored row; its body digest is computed here, once, so sealing only links."""
    return {
        "chain": entry.chain,
        "seq": None,
        "tenant_id": entry.tenant,
        "mode": entry.mode,
        "actor": entry.actor,
        "role": entry.role,
        "action": entry.action,
        "object_id": entry.object_id,
        "scope": entry.scope,
        "policy_json": dumps(entry.policy).decode(),
        "detail_json": dumps(entry.detail).decode(),
        "request_id": entry.request_id,
        "occurred_at": entry.occurred_at,
        "record_digest": record_digest(_body(entry)),
        "prev_hash": None,
        "hash": None,
    }


def append(session: Session, entries: list[AuditEntry]) -> None:
    """Write `entries` unsealed, in order, with the caller's transaction. They are inserted at its
    tail (backend.db.commit_tail), all of the transaction's records in one statement however many
    steps made them, and dropped with a savepoint that rolls back, as what they record is."""
    for entry in entries:
        commit_tail.defer(session, AUDIT, _row(entry))


def unwritten(session: Session) -> set[tuple[str, str]]:
    """(chain, object) of the records appended in this transaction and not yet in the table (as
    unsealed as any row the table shows)."""
    return {(row["chain"], row["object_id"]) for row in commit_tail.pending(session, AUDIT)}


def _write(session: Session, rows: list[dict]) -> None:
    insert_rows(session.connection(), AuditRecord.__table__, rows)


# After the clearing accounts' totals and before the events, whose commit-order lock stays last.
AUDIT = commit_tail.Step("audit records", rank=15, run=_write)


def record_alone(db: Database, entries: list[AuditEntry]) -> None:
    """Insert `entries` in a transaction of their own (denied attempts: nothing else changes)."""
    if entries:
        transactions.write(db, lambda s: append(s, entries))


def body_of(row: AuditRecord | Row) -> dict:
    """The hashed body of a stored record (a model or a Core row), in the contract's field names,
    recomputed from its columns (the verifier trusts no stored digest)."""
    return {
        "tenant": row.tenant_id,
        "mode": row.mode,
        "actor": row.actor,
        "role": row.role,
        "action": row.action,
        "object": row.object_id,
        "scope": row.scope,
        "policy": orjson.loads(row.policy_json),
        "detail": orjson.loads(row.detail_json),
        "request_id": row.request_id,
        "occurred_at": to_iso(row.occurred_at),
    }


def render(row: AuditRecord) -> dict:
    """A sealed record as the API and evidence packets show it: its seq and body, then its links."""
    return {"seq": row.seq, **body_of(row), "prev_hash": row.prev_hash, "hash": row.hash}
