"""The audit records operators leave: sign-in, sign-out and switch, and every refusal.

A refusal is raised as `Denied`, a `ZentraError` that carries its own audit entry, from anywhere
inside a unit of work; `recorded` (around the unit) writes that entry in a transaction of its own
once the unit has rolled back, so a refused attempt changes nothing but the audit chain.

Where a refusal is filed: a token whose signature did not verify names nobody, so the platform
chain with actor `anonymous`; a signed token (expired, revoked, membership gone) in the chain of
the tenant it names, with its operator as actor; a role or tenant refusal in the chain of the
tenant the operator is signed in to.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from datetime import datetime

from backend.audit.records import AuditEntry, for_scope, record_alone
from backend.db.engine import Database
from backend.errors import ZentraError
from backend.operators import roles
from backend.operators.tokens import Claims
from backend.tenancy.scope import Scope

ROOM = "operations_room"
TOKEN_MESSAGES = {
    "malformed": "the session token is not valid; sign in again",
    "forged": "the session token is not valid; sign in again",
    "expired": "the session expired; sign in again",
    "revoked": "the session was signed out; sign in again",
    "unknown_session": "the session is not known; sign in again",
    "disabled": "this operator account is disabled",
    "not_member": "this operator no longer belongs to the tenant; sign in again",
    "role_changed": "this operator's role changed; sign in again",
}


class Denied(ZentraError):
    """A refusal together with the audit record it must leave."""

    def __init__(self, code: str, message: str, entry: AuditEntry, param: str | None = None):
        super().__init__(code, message, param)
        self.entry = entry


@contextmanager
def recorded(db: Database) -> Iterator[None]:
    """Write the record of any `Denied` raised inside, alone, then let it propagate."""
    try:
        yield
    except Denied as denied:
        record_alone(db, [denied.entry])
        raise


def _denial(reason: str) -> dict:
    return {"decision": "denied", "reason": reason}


def token_denied(reason: str, claims: Claims | None, at: datetime, request_id: str | None) -> Denied:
    """A session token refused for `reason` (a key of `TOKEN_MESSAGES`)."""
    if claims is None:
        entry = AuditEntry(None, None, "anonymous", "none", "session.denied", None, ROOM, at, request_id, _denial(reason), {"reason": reason})
    else:
        entry = AuditEntry(
            claims.tenant_id, claims.mode, f"operator:{claims.operator_id}", claims.role, "session.denied",
            claims.session_id, ROOM, at, request_id, _denial(reason), {"reason": reason},
        )
    return Denied("unauthorized", TOKEN_MESSAGES[reason], entry)


def sign_in_denied(email: object, at: datetime, request_id: str | None) -> AuditEntry:
    """A failed sign-in, in the platform chain: no tenant can be named before the password checks."""
    shown = email.strip().lower()[:254] if isinstance(email, str) else None
    return AuditEntry(None, None, "anonymous", "none", "session.sign_in", None, ROOM, at, request_id, _denial("bad_credentials"), {"reason": "bad_credentials", "email": shown})


def require(scope: Scope, action: str, object_id: str | None, at: datetime, request_id: str | None) -> None:
    """`roles.require` for `scope`'s role, raising a `Denied` filed under the attempted action."""
    try:
        roles.require(scope.role, action)
    except ZentraError as refused:
        entry = for_scope(scope, action, object_id, ROOM, at, request_id, policy=_denial("role"), detail={"reason": "role"})
        raise Denied(refused.code, refused.message, entry) from None


def tenant_denied(scope: Scope | None, action: str, tenant_id: object, at: datetime, request_id: str | None, operator_id: str) -> Denied:
    """An operator asked for a tenant they do not belong to; filed in their current tenant's
    chain, or the platform chain when they are not signed in to one yet (sign-in)."""
    wanted = tenant_id[:40] if isinstance(tenant_id, str) else None
    detail = {"reason": "not_member", "tenant": wanted}
    if scope is None:
        entry = AuditEntry(None, None, f"operator:{operator_id}", "none", action, None, ROOM, at, request_id, _denial("not_member"), detail)
    else:
        entry = for_scope(scope, action, None, ROOM, at, request_id, policy=_denial("not_member"), detail=detail)
    return Denied("forbidden", "this operator does not belong to that tenant", entry, "tenant_id")


def allowed(scope: Scope, action: str, object_id: str | None, at: datetime, request_id: str | None, detail: dict | None = None) -> AuditEntry:
    """The record of an operator action that went through."""
    return for_scope(scope, action, object_id, ROOM, at, request_id, detail=detail)
