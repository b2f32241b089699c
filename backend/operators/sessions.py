"""Operator sessions: sign in, check a session on every event, switch tenant or mode, sign out.

A session is a signed token (`backend.operators.tokens`) plus a row in `operator_sessions` whose
id is the token's `jti`. `verify` accepts a token only while all of its claims still hold: the
signature, the expiry, the row (not revoked), the operator (not disabled), the membership of the
tenant it names, and the role, which must equal the membership's current role. A token is a
statement the server signed; once a role changes, the statement is false and the session ends,
so the operations room never shows or acts with a stale role (the operator signs in again and
gets the new one).

Every refusal is `unauthorized` (`forbidden` for a tenant the operator does not belong to) and is
recorded (`backend.operators.audit`); sign-in, sign-out and switch are recorded in the tenant's
chain.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from sqlmodel import Session

from backend.audit.records import append, record_alone
from backend.db import transactions
from backend.db.tables import Operator, OperatorMembership, OperatorSession, Tenant
from backend.errors import ZentraError
from backend.ids import new_id
from backend.operators import audit, directory, passwords, roles, tokens
from backend.operators.tokens import Claims, TokenRefused
from backend.runtime import Runtime
from backend.tenancy.scope import MODES, Scope


@dataclass(frozen=True)
class OperatorScope:
    """A verified session: who the operator is, where they act, with which role, until when."""

    operator_id: str
    email: str
    name: str
    tenant_id: str
    tenant_name: str
    mode: str
    role: str
    session_id: str
    issued_at: int
    expires_at: int

    @property
    def scope(self) -> Scope:
        """The scope the services act in, with this operator as the audited actor."""
        return Scope(self.tenant_id, self.mode, actor=f"operator:{self.operator_id}", role=self.role)

    def can(self, action: str) -> bool:
        """Whether this operator's role may perform `action` (to show or hide it)."""
        return roles.allowed(self.role, action)

    def claims(self) -> Claims:
        return Claims(self.operator_id, self.tenant_id, self.mode, self.role, self.session_id, self.issued_at, self.expires_at)


@dataclass(frozen=True)
class SignedIn:
    """A new session: the token to keep (server side only) and what it grants."""

    token: str
    operator: OperatorScope


def _mode(mode: object) -> str:
    if mode not in MODES:
        raise ZentraError("validation_error", f"mode must be one of {', '.join(MODES)}", "mode")
    return mode


def issue(session: Session, key: Ed25519PrivateKey, operator: Operator, membership: OperatorMembership, mode: str, now: datetime, lifetime: timedelta) -> SignedIn:
    """Open a session for `operator` in `membership`'s tenant and `mode`, inside the caller's
    transaction."""
    issued_at = int(now.timestamp())
    claims = Claims(operator.id, membership.tenant_id, mode, membership.role, new_id("ses"), issued_at, issued_at + int(lifetime.total_seconds()))
    session.add(OperatorSession(id=claims.session_id, operator_id=operator.id, created_at=now, expires_at=claims.expires))
    session.flush()
    return SignedIn(tokens.encode(key, claims), _operator_scope(session, operator, claims))


def _operator_scope(session: Session, operator: Operator, claims: Claims) -> OperatorScope:
    tenant = session.get(Tenant, claims.tenant_id)
    return OperatorScope(
        operator.id, operator.email, operator.name, claims.tenant_id, tenant.name, claims.mode, claims.role,
        claims.session_id, claims.issued_at, claims.expires_at,
    )


def verify(session: Session, key: Ed25519PrivateKey, credential: str | OperatorScope, now: datetime, request_id: str | None = None) -> OperatorScope:
    """The session `credential` (a token, or a scope verified earlier) stands for, re-checked now;
    else `Denied` (`unauthorized`) carrying the refusal's audit record."""
    try:
        return _standing(session, _claims_of(key, credential, now))
    except TokenRefused as refused:
        raise audit.token_denied(refused.reason, refused.claims, now, request_id) from None


def _claims_of(key: Ed25519PrivateKey, credential: str | OperatorScope, now: datetime) -> Claims:
    """A token's verified claims, or those of a scope verified earlier if it has not expired since."""
    if not isinstance(credential, OperatorScope):
        return tokens.decode(key.public_key(), credential, now)
    claims = credential.claims()
    if claims.expires_at <= now.timestamp():
        raise TokenRefused("expired", claims)
    return claims


def _standing(session: Session, claims: Claims) -> OperatorScope:
    """The operator scope of signed, unexpired `claims` if the database still agrees with them."""
    row = session.get(OperatorSession, claims.session_id)
    if row is None or row.operator_id != claims.operator_id:
        raise TokenRefused("unknown_session", claims)
    if row.revoked_at is not None:
        raise TokenRefused("revoked", claims)
    operator = session.get(Operator, claims.operator_id)
    if operator is None or operator.disabled_at is not None:
        raise TokenRefused("disabled", claims)
    membership = session.get(OperatorMembership, (claims.operator_id, claims.tenant_id))
    if membership is None:
        raise TokenRefused("not_member", claims)
    if membership.role != claims.role:
        raise TokenRefused("role_changed", claims)
    return _operator_scope(session, operator, claims)


def revoke(session: Session, session_id: str, now: datetime) -> None:
    """End a session before its expiry: its token is refused from now on."""
    row = session.get(OperatorSession, session_id)
    if row is not None and row.revoked_at is None:
        row.revoked_at = now


def _lifetime(runtime: Runtime) -> timedelta:
    return timedelta(seconds=runtime.settings.session_lifetime_seconds)


def sign_in(runtime: Runtime, email: object, password: object, *, tenant_id: str | None = None, mode: str = "sandbox", request_id: str | None = None) -> SignedIn:
    """Check an operator's email and password and open a session in `tenant_id` (default: their
    first tenant by name) and `mode`. Raises `validation_error` (mode), `unauthorized` (wrong
    email or password, disabled; the same answer for each) or `forbidden` (not a member of
    `tenant_id`, or of no tenant at all); every refusal is recorded."""
    mode, now = _mode(mode), runtime.now()
    try:
        operator = transactions.read(runtime.db, lambda s: directory.authenticate(s, email, password))
    except ZentraError:
        record_alone(runtime.db, [audit.sign_in_denied(email, now, request_id)])
        raise
    rehashed = passwords.hash_password(password) if passwords.needs_rehash(operator.password_hash) else None
    key = tokens.signing_key(runtime.settings)

    def unit(session: Session) -> SignedIn:
        membership = _membership_for_sign_in(session, operator.id, tenant_id, now, request_id)
        if rehashed:
            directory.replace_password_hash(session, operator.id, operator.password_hash, rehashed)
        signed = issue(session, key, operator, membership, mode, now, _lifetime(runtime))
        append(session, [audit.allowed(signed.operator.scope, "session.sign_in", signed.operator.session_id, now, request_id)])
        return signed

    with audit.recorded(runtime.db):
        return transactions.write(runtime.db, unit)


def _membership_for_sign_in(session: Session, operator_id: str, tenant_id: str | None, now: datetime, request_id: str | None) -> OperatorMembership:
    """The membership a sign-in opens: `tenant_id`'s, or the first tenant's by name."""
    if tenant_id is None:
        memberships = directory.memberships_of(session, operator_id)
        tenant_id = memberships[0].tenant_id if memberships else None
    membership = session.get(OperatorMembership, (operator_id, tenant_id)) if isinstance(tenant_id, str) else None
    if membership is None:
        raise audit.tenant_denied(None, "session.sign_in", tenant_id, now, request_id, operator_id)
    return membership


def current(runtime: Runtime, token: str, request_id: str | None = None) -> OperatorScope:
    """The session behind `token`, checked now: call it on every event. Raises `unauthorized`
    (recorded) when the session is over for any reason; sign the browser out then."""
    key, now = tokens.signing_key(runtime.settings), runtime.now()
    with audit.recorded(runtime.db):
        return transactions.read(runtime.db, lambda s: verify(s, key, token, now, request_id))


def sign_out(runtime: Runtime, token: str, request_id: str | None = None) -> None:
    """Revoke the session behind `token`. Raises `unauthorized` (recorded) if it was already
    over; forget the token either way."""
    key, now = tokens.signing_key(runtime.settings), runtime.now()

    def unit(session: Session) -> None:
        operator = verify(session, key, token, now, request_id)
        revoke(session, operator.session_id, now)
        append(session, [audit.allowed(operator.scope, "session.sign_out", operator.session_id, now, request_id)])

    with audit.recorded(runtime.db):
        transactions.write(runtime.db, unit)


def switch(runtime: Runtime, token: str, tenant_id: str, mode: str, request_id: str | None = None) -> SignedIn:
    """Trade `token` for a new session in another tenant and/or mode the operator belongs to; the
    old token is revoked. Raises `validation_error` (mode), `unauthorized` (the session is over)
    or `forbidden` (not a member of `tenant_id`, recorded in the current tenant's chain)."""
    mode, key, now = _mode(mode), tokens.signing_key(runtime.settings), runtime.now()

    def unit(session: Session) -> SignedIn:
        before = verify(session, key, token, now, request_id)
        audit.require(before.scope, "tenant.switch", None, now, request_id)
        membership = session.get(OperatorMembership, (before.operator_id, tenant_id)) if isinstance(tenant_id, str) else None
        if membership is None:
            raise audit.tenant_denied(before.scope, "tenant.switch", tenant_id, now, request_id, before.operator_id)
        revoke(session, before.session_id, now)
        after = issue(session, key, session.get(Operator, before.operator_id), membership, mode, now, _lifetime(runtime))
        append(session, _switch_records(before, after.operator, now, request_id))
        return after

    with audit.recorded(runtime.db):
        return transactions.write(runtime.db, unit)


def _switch_records(before: OperatorScope, after: OperatorScope, now: datetime, request_id: str | None) -> list:
    """The switch in the chain the session enters and, when the tenant changes, the one it leaves."""
    detail = {"from": {"tenant": before.tenant_id, "mode": before.mode, "session": before.session_id}, "to": {"tenant": after.tenant_id, "mode": after.mode, "session": after.session_id}}
    scopes = [after.scope] if before.tenant_id == after.tenant_id else [before.scope, after.scope]
    return [audit.allowed(scope, "tenant.switch", after.session_id, now, request_id, detail) for scope in scopes]
