"""Operators and their memberships: who exists, which tenants they belong to, in which role.

An operator is one person (one email, one password) across tenants; a membership gives them a
role in one tenant, the same in its sandbox and live modes. These functions run inside the
caller's transaction and check only their own input; who may call them is the action layer's
business (`backend.operators.actions`, `operators.manage`).
"""

from __future__ import annotations

import re
import secrets
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlmodel import Session

from backend.audit.records import AuditEntry, append
from backend.db.tables import Operator, OperatorMembership, Tenant
from backend.errors import ZentraError
from backend.ids import new_id
from backend.inputs import reject_unknown, storable_text
from backend.operators import passwords
from backend.operators.roles import ROLES

EMAIL_PATTERN = re.compile(r"[a-z0-9.!#$%&'*+/=?^_`{|}~-]+@[a-z0-9](?:[a-z0-9-]*[a-z0-9])?(?:\.[a-z0-9](?:[a-z0-9-]*[a-z0-9])?)+")
MAX_EMAIL = 254
INVITE_FIELDS = {"email", "name", "role"}


@dataclass(frozen=True)
class Membership:
    """One tenant an operator may act in, for the tenant switcher."""

    tenant_id: str
    tenant_name: str
    role: str


@dataclass(frozen=True)
class Login:
    """Credentials made by the system, shown once to whoever ran the command."""

    operator_id: str
    email: str
    password: str


def normalise_email(value: object) -> str:
    """The email in lower case, or `validation_error` (plain ASCII addresses only)."""
    email = value.strip().lower() if isinstance(value, str) else ""
    if len(email) > MAX_EMAIL or not EMAIL_PATTERN.fullmatch(email):
        raise ZentraError("validation_error", "email must be an address like name@example.com", "email")
    return email


def generate_password() -> str:
    """32 URL-safe characters (192 random bits), for logins the system creates."""
    return secrets.token_urlsafe(24)


def _role(value: object) -> str:
    if value not in ROLES:
        raise ZentraError("validation_error", f"role must be one of {', '.join(ROLES)}", "role")
    return value


def _name(value: object) -> str:
    if not isinstance(value, str) or not value.strip() or len(value) > 200:
        raise ZentraError("validation_error", "name must be 1 to 200 characters", "name")
    return storable_text(value.strip(), "name")


def _by_email(session: Session, email: str) -> Operator | None:
    return session.execute(select(Operator).where(Operator.email == email)).scalar_one_or_none()


def create_operator(session: Session, email: object, name: object, password: object, now: datetime) -> Operator:
    """A new operator, with no tenant yet; the email must be unused."""
    email, name, password = normalise_email(email), _name(name), passwords.check_policy(password)
    if _by_email(session, email) is not None:
        raise ZentraError("validation_error", "an operator with this email already exists", "email")
    operator = Operator(id=new_id("op"), email=email, name=name, password_hash=passwords.hash_password(password), created_at=now)
    session.add(operator)
    try:
        session.flush()
    except IntegrityError:
        raise ZentraError("validation_error", "an operator with this email already exists", "email") from None
    return operator


def add_membership(session: Session, operator_id: str, tenant_id: str, role: object, now: datetime) -> OperatorMembership:
    """Give an operator `role` in a tenant they do not belong to yet."""
    role = _role(role)
    if session.get(Operator, operator_id) is None:
        raise ZentraError("not_found", f"no operator {operator_id!r}", "operator_id")
    if session.get(Tenant, tenant_id) is None:
        raise ZentraError("not_found", f"no tenant {tenant_id!r}", "tenant_id")
    if session.get(OperatorMembership, (operator_id, tenant_id)) is not None:
        raise ZentraError("validation_error", "this operator already belongs to the tenant", "email")
    membership = OperatorMembership(operator_id=operator_id, tenant_id=tenant_id, role=role, created_at=now)
    session.add(membership)
    session.flush()
    return membership


def _member(session: Session, tenant_id: str, operator_id: object) -> OperatorMembership:
    """The tenant's membership of `operator_id`, or `not_found` (another tenant's operators do not
    exist from here)."""
    membership = session.get(OperatorMembership, (operator_id, tenant_id)) if isinstance(operator_id, str) else None
    if membership is None:
        raise ZentraError("not_found", f"no operator {operator_id!r} in this tenant", "operator_id")
    return membership


def _keep_an_admin(session: Session, membership: OperatorMembership) -> None:
    """Refuse to demote or remove a tenant's last admin: nobody could manage its operators again.
    The admins' rows are locked so two admins demoting each other at once cannot both succeed."""
    if membership.role != "admin":
        return
    admins = session.execute(
        select(OperatorMembership.operator_id)
        .where(OperatorMembership.tenant_id == membership.tenant_id, OperatorMembership.role == "admin")
        .with_for_update()
    ).all()
    if len(admins) <= 1:
        raise ZentraError("validation_error", "a tenant keeps at least one admin", "role")


def change_role(session: Session, tenant_id: str, operator_id: object, role: object) -> dict:
    """Set an operator's role in the tenant; their signed-in sessions there end (see sessions)."""
    role = _role(role)
    membership = _member(session, tenant_id, operator_id)
    if role != membership.role:
        _keep_an_admin(session, membership)
        membership.role = role
        session.flush()
    return {"operator_id": membership.operator_id, "tenant_id": tenant_id, "role": role}


def remove_membership(session: Session, tenant_id: str, operator_id: object) -> dict:
    """Take an operator out of the tenant; their sessions there end at their next event."""
    membership = _member(session, tenant_id, operator_id)
    _keep_an_admin(session, membership)
    session.delete(membership)
    session.flush()
    return {"operator_id": membership.operator_id, "tenant_id": tenant_id, "removed": True}


def invite(session: Session, tenant_id: str, body: dict, now: datetime) -> dict:
    """Add an operator to the tenant by email with `role`: an existing operator keeps their
    password; a new one gets a generated password, returned here once (pass it on, then forget)."""
    reject_unknown(body, INVITE_FIELDS)
    email, role = normalise_email(body.get("email")), _role(body.get("role"))
    operator, password = _by_email(session, email), None
    if operator is None:
        password = generate_password()
        operator = create_operator(session, email, body.get("name"), password, now)
    add_membership(session, operator.id, tenant_id, role, now)
    return {"operator_id": operator.id, "email": email, "name": operator.name, "tenant_id": tenant_id, "role": role, "password": password}


def memberships_of(session: Session, operator_id: str) -> list[Membership]:
    """The tenants an operator belongs to, by tenant name."""
    rows = session.execute(
        select(OperatorMembership.tenant_id, Tenant.name, OperatorMembership.role)
        .join(Tenant, Tenant.id == OperatorMembership.tenant_id)
        .where(OperatorMembership.operator_id == operator_id)
        .order_by(Tenant.name, Tenant.id)
    ).all()
    return [Membership(*row) for row in rows]


def members_of(session: Session, tenant_id: str) -> list[dict]:
    """The tenant's operators with their roles, by email (the admin's operators page)."""
    rows = session.execute(
        select(Operator, OperatorMembership.role)
        .join(OperatorMembership, OperatorMembership.operator_id == Operator.id)
        .where(OperatorMembership.tenant_id == tenant_id)
        .order_by(Operator.email)
    ).all()
    return [{"operator_id": op.id, "email": op.email, "name": op.name, "role": role, "disabled": op.disabled_at is not None} for op, role in rows]


def authenticate(session: Session, email: object, password: object) -> Operator:
    """The enabled operator with this email and password, else `unauthorized`; an unknown email,
    a wrong password and a disabled account take the same time and get the same answer."""
    try:
        operator = _by_email(session, normalise_email(email))
    except ZentraError:
        operator = None
    matched = passwords.verify_password(operator.password_hash if operator else None, password)
    if not matched or operator is None or operator.disabled_at is not None:
        raise ZentraError("unauthorized", "wrong email or password")
    return operator


def replace_password_hash(session: Session, operator_id: str, old_hash: str, new_hash: str) -> None:
    """Store a rehash made at sign-in, unless the password changed meanwhile."""
    operator = session.get(Operator, operator_id)
    if operator is not None and operator.password_hash == old_hash:
        operator.password_hash = new_hash


def _admin_email(tenant_id: str, tenant_name: str) -> str:
    slug = re.sub(r"[^a-z0-9]+", "-", tenant_name.lower()).strip("-")[:40].strip("-") or "tenant"
    return f"admin+{tenant_id}@{slug}.zentra.local"


def issue_admin_login(session: Session, tenant_id: str, now: datetime, route: str) -> Login:
    """An admin login for the tenant with a fresh password: created the first time, its password
    replaced (and admin role restored) on later calls. For `zentra admin create-tenant` and the
    demo, which print it once; recorded in the tenant's chain as done by `system` via `route`."""
    tenant = _tenant(session, tenant_id)
    return issue_login(session, tenant, _admin_email(tenant.id, tenant.name), f"{tenant.name} admin", "admin", now, route)


def _tenant(session: Session, tenant_id: str) -> Tenant:
    tenant = session.get(Tenant, tenant_id)
    if tenant is None:
        raise ZentraError("not_found", f"no tenant {tenant_id!r}", "tenant_id")
    return tenant


def issue_login(session: Session, tenant: Tenant, email: str, name: str, role: str, now: datetime, route: str) -> Login:
    """A system-made login with `role` in `tenant` and a fresh password (created the first time,
    re-enabled with a new password and the role restored on later calls), recorded in the
    tenant's chain as done by `system` via `route`."""
    password = generate_password()
    operator = _by_email(session, email)
    if operator is None:
        operator = create_operator(session, email, name, password, now)
    else:
        operator.password_hash, operator.disabled_at = passwords.hash_password(password), None
    membership = session.get(OperatorMembership, (operator.id, tenant.id))
    if membership is None:
        add_membership(session, operator.id, tenant.id, role, now)
    else:
        membership.role = role
    append(session, [AuditEntry(tenant.id, None, "system", "system", "operators.manage", operator.id, route, now, detail={"change": "login_issued", "email": email, "role": role})])
    return Login(operator.id, email, password)
