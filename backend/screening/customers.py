"""Customers as compliance knows them: a name to screen and a KYC status.

A customer is the string accounts carry in `customer` (`customer_usd_01`, `alice`), registered
per tenant and mode with a `name` and a `kyc_status`: `unverified`, `pending`, `verified` or
`rejected`. Intents from an account whose customer is `rejected` are refused (`kyc_rejected`),
`unverified` or `pending` ones wait for a person (`kyc_unverified`); a customer nobody registered
is not KYC-checked (see the README). KYC usually arrives from the integrator's onboarding
system, so API keys may set it, as may operators with `screening.manage`.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError
from sqlmodel import Session

from backend.clock import to_iso
from backend.db.tables import Customer
from backend.errors import ZentraError
from backend.events.outbox import PendingEvent, record
from backend.ids import new_id
from backend.inputs import choice, optional_str, reject_unknown, required_str
from backend.pagination import page
from backend.tenancy.scope import Scope

KYC_STATUSES = ("unverified", "pending", "verified", "rejected")


def view(row: Customer) -> dict:
    return {
        "id": row.id,
        "object": "customer",
        "customer": row.customer,
        "name": row.name,
        "kyc_status": row.kyc_status,
        "created_at": to_iso(row.created_at),
        "updated_at": to_iso(row.updated_at),
        "updated_by": row.updated_by,
    }


def _scoped(scope: Scope) -> tuple:
    return Customer.tenant_id == scope.tenant_id, Customer.mode == scope.mode


def _by_customer(session: Session, scope: Scope, customer: str, lock: bool = False) -> Customer | None:
    query = select(Customer).where(*_scoped(scope), Customer.customer == customer)
    return session.execute(query.with_for_update() if lock else query).scalar_one_or_none()


def upsert_customer(session: Session, scope: Scope, body: dict, now: datetime) -> dict:
    """Register `body["customer"]` (`name` required the first time, `kyc_status` `unverified`
    unless given), or change the name and/or KYC status of one already registered."""
    reject_unknown(body, {"customer", "name", "kyc_status"})
    customer = " ".join(required_str(body, "customer").split())
    name = optional_str(body, "name")
    status = None if body.get("kyc_status") is None else choice(body, "kyc_status", KYC_STATUSES)
    row = _by_customer(session, scope, customer, lock=True)
    if row is None:
        if name is None:
            raise ZentraError("validation_error", f"name is required to register customer {customer!r}", "name")
        row = _insert(session, scope, customer, " ".join(name.split()), status or "unverified", now)
        if row is not None:
            record(session, scope, [PendingEvent("customer.created", row.id, view(row), now)])
            return {**view(row), "event": "customer.created"}
        row = _by_customer(session, scope, customer, lock=True)  # registered at the same moment
    return _update(session, scope, row, name, status, now)


def _insert(session: Session, scope: Scope, customer: str, name: str, status: str, now: datetime) -> Customer | None:
    """The new row, or None if a concurrent request registered the customer first."""
    row = Customer(id=new_id("cus"), tenant_id=scope.tenant_id, mode=scope.mode, customer=customer, name=name, kyc_status=status, created_at=now, updated_at=now, updated_by=scope.actor)
    try:
        with session.begin_nested():
            session.add(row)
            session.flush()
    except IntegrityError:
        return None
    return row


def set_kyc(session: Session, scope: Scope, customer_id: str, body: dict, now: datetime) -> dict:
    """Change the KYC status of customer `customer_id` (`cus_…`)."""
    reject_unknown(body, {"kyc_status"})
    status = choice(body, "kyc_status", KYC_STATUSES)
    row = session.execute(select(Customer).where(Customer.id == customer_id, *_scoped(scope)).with_for_update()).scalar_one_or_none()
    if row is None:
        raise ZentraError("not_found", f"no customer {customer_id!r}", object_id=customer_id)
    return _update(session, scope, row, None, status, now)


def _update(session: Session, scope: Scope, row: Customer, name: str | None, status: str | None, now: datetime) -> dict:
    """Apply what changed, with `customer.kyc_updated` for a new status and `customer.updated`
    for a new name; an update that changes nothing writes nothing."""
    events = []
    if status is not None and status != row.kyc_status:
        events.append(PendingEvent("customer.kyc_updated", row.id, {"id": row.id, "customer": row.customer, "from": row.kyc_status, "to": status}, now))
        row.kyc_status = status
    if name is not None and " ".join(name.split()) != row.name:
        row.name = " ".join(name.split())
        events.append(PendingEvent("customer.updated", row.id, {"id": row.id, "customer": row.customer, "name": row.name}, now))
    if events:
        row.updated_at, row.updated_by = now, scope.actor
        session.add(row)
        session.flush()
        record(session, scope, events)
    return {**view(row), "event": events[0].type if events else None}


def get_customer(session: Session, scope: Scope, customer_id: str) -> dict:
    row = session.get(Customer, customer_id)
    if row is None or (row.tenant_id, row.mode) != (scope.tenant_id, scope.mode):
        raise ZentraError("not_found", f"no customer {customer_id!r}", object_id=customer_id)
    return view(row)


def list_customers(session: Session, scope: Scope, *, customer: str | None = None, kyc_status: str | None = None, limit: int = 25, offset: int = 0) -> dict:
    """Registered customers by `customer` string; `customer=` finds one, `kyc_status=` filters."""
    where = list(_scoped(scope))
    if customer is not None:
        where.append(Customer.customer == " ".join(customer.split()))
    if kyc_status is not None:
        if kyc_status not in KYC_STATUSES:
            raise ZentraError("validation_error", f"kyc_status must be one of {', '.join(KYC_STATUSES)}", "kyc_status")
        where.append(Customer.kyc_status == kyc_status)
    total = session.execute(select(func.count()).select_from(Customer).where(*where)).scalar_one()
    rows = session.execute(select(Customer).where(*where).order_by(Customer.customer).limit(limit).offset(offset)).scalars().all()
    return page([view(r) for r in rows], total, limit, offset)


def registered(session: Session, scope: Scope, customers: list[str]) -> dict[str, Customer]:
    """The registered customers among `customers`, by their string."""
    if not customers:
        return {}
    rows = session.execute(select(Customer).where(*_scoped(scope), Customer.customer.in_(customers))).scalars()
    return {r.customer: r for r in rows}
