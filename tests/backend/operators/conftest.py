"""Operators for tests: made straight through the directory, with sessions issued without a
password check where the password is not what a test is about (each Argon2id hash costs ~0.15 s)."""

from __future__ import annotations

import secrets
from dataclasses import dataclass, replace
from datetime import datetime, timedelta

import orjson
from sqlalchemy import select

from backend.db import transactions
from backend.db.tables import AuditRecord, Operator, OperatorMembership
from backend.ids import new_id
from backend.operators import directory, sessions, tokens
from backend.runtime import Runtime

PASSWORD = "correct horse battery staple"


@dataclass
class OperatorLogin:
    operator_id: str
    email: str
    password: str = PASSWORD


def make_operator(runtime: Runtime, memberships: dict[str, str], password: str = PASSWORD) -> OperatorLogin:
    """An operator with `memberships` ({tenant_id: role})."""
    email = f"op-{secrets.token_hex(6)}@example.com"

    def create(session) -> str:
        operator = directory.create_operator(session, email, "Test Operator", password, runtime.now())
        for tenant_id, role in memberships.items():
            directory.add_membership(session, operator.id, tenant_id, role, runtime.now())
        return operator.id

    return OperatorLogin(transactions.write(runtime.db, create), email, password)


def open_session(runtime: Runtime, operator_id: str, tenant_id: str, mode: str = "sandbox") -> str:
    """A token for the operator's membership of `tenant_id`, as a sign-in would issue it."""
    key, lifetime = tokens.signing_key(runtime.settings), timedelta(seconds=runtime.settings.session_lifetime_seconds)

    def issue(session) -> str:
        operator = session.get(Operator, operator_id)
        membership = session.get(OperatorMembership, (operator_id, tenant_id))
        return sessions.issue(session, key, operator, membership, mode, runtime.now(), lifetime).token

    return transactions.write(runtime.db, issue)


def at(runtime: Runtime, moment: datetime) -> Runtime:
    """The runtime with its clock stopped at `moment`."""
    return replace(runtime, now=lambda: moment)


def rid() -> str:
    """A fresh request id: what ties a call to the audit records it left."""
    return new_id("req")


def records(runtime: Runtime, request_id: str) -> list[dict]:
    """The audit records (sealed or not) a request left, as plain dicts."""
    rows = transactions.read(runtime.db, lambda s: s.execute(select(AuditRecord).where(AuditRecord.request_id == request_id).order_by(AuditRecord.id)).scalars().all())
    return [
        {"chain": r.chain, "tenant": r.tenant_id, "mode": r.mode, "actor": r.actor, "role": r.role, "action": r.action, "object": r.object_id, "policy": orjson.loads(r.policy_json), "detail": orjson.loads(r.detail_json)}
        for r in rows
    ]
