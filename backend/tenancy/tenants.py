"""Creating tenants: one tenant, one key per mode, and the system accounts are made lazily."""

from __future__ import annotations

from dataclasses import dataclass

from sqlmodel import Session

from backend.clock import utcnow
from backend.db.tables import Tenant
from backend.errors import ZentraError
from backend.ids import new_id
from backend.tenancy.api_keys import issue_key


@dataclass(frozen=True)
class NewTenant:
    tenant_id: str
    name: str
    sandbox_api_key: str
    live_api_key: str


def create_tenant(session: Session, name: str) -> NewTenant:
    """Create a tenant with a sandbox key and a live key; the raw keys exist only in the result."""
    name = (name or "").strip()
    if not name or len(name) > 200:
        raise ZentraError("validation_error", "tenant name must be 1 to 200 characters", "name")
    tenant = Tenant(id=new_id("ten"), name=name, created_at=utcnow())
    session.add(tenant)
    session.flush()
    return NewTenant(
        tenant_id=tenant.id,
        name=name,
        sandbox_api_key=issue_key(session, tenant.id, "sandbox"),
        live_api_key=issue_key(session, tenant.id, "live"),
    )


def tenant_name(session: Session, tenant_id: str) -> str:
    """The tenant's display name (for the operations room header)."""
    tenant = session.get(Tenant, tenant_id)
    if tenant is None:
        raise ZentraError("not_found", f"no tenant {tenant_id!r}")
    return tenant.name
