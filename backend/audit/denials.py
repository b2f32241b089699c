"""Denied attempts as audit records: a scope reaching for another scope's object, or no scope at all.

The caller always gets the same `404 not_found` (or `unknown_account`) whether the object exists
elsewhere or nowhere, so nothing leaks; the attempt is filed in the chain of the tenant whose
object was reached for, where that tenant's compliance team sees it. Attempts without a valid
key or token have no tenant and go to the platform chain.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import select
from sqlmodel import Session

from backend.audit.records import AuditEntry
from backend.db.tables import (
    Account,
    Customer,
    Event,
    Hold,
    Intent,
    Posting,
    Provider,
    ReconciliationException,
    ReconciliationRun,
    ReconciliationSettlement,
    Review,
    SandboxScenarioRun,
    ScreeningList,
    ScreeningResult,
    WebhookEndpoint,
    WebhookMessage,
)
from backend.errors import ZentraError
from backend.tenancy.scope import Scope

OWNED_BY_PREFIX = {"acct": Account, "pst": Posting, "hold": Hold, "evt": Event, "prv": Provider, "we": WebhookEndpoint, "msg": WebhookMessage, "intent": Intent, "rev": Review, "rcn": ReconciliationRun, "rcx": ReconciliationException, "rcs": ReconciliationSettlement}
OWNED_BY_PREFIX |= {"cus": Customer, "scl": ScreeningList, "scr": ScreeningResult, "srun": SandboxScenarioRun}
# Intents are named by their public id, unique only within a tenant and mode: any owner will do.
ID_COLUMN = {Intent: "intent_id"}
LOOKUP_CODES = {"not_found", "unknown_account"}


def owner_of(session: Session, object_id: str) -> tuple[str, str] | None:
    """The tenant and mode that own `object_id`, whatever scope asks (None if nobody does)."""
    model = OWNED_BY_PREFIX.get(object_id.partition("_")[0])
    if model is None:
        return None
    column = getattr(model, ID_COLUMN.get(model, "id"))
    row = session.execute(select(model.tenant_id, model.mode).where(column == object_id).limit(1)).first()
    return (row[0], row[1]) if row else None


def cross_scope(session: Session, scope: Scope, err: ZentraError, route: str, request_id: str | None, at: datetime) -> AuditEntry | None:
    """The denial record for `err` if it hid another tenant's or mode's object from `scope`."""
    if err.code not in LOOKUP_CODES or not err.object_id:
        return None
    owner = owner_of(session, err.object_id)
    if owner is None or owner == (scope.tenant_id, scope.mode):
        return None
    tenant, mode = owner
    return AuditEntry(
        tenant=tenant,
        mode=mode,
        actor=scope.actor,
        role=scope.role,
        action="access.denied",
        object_id=err.object_id,
        scope=route,
        occurred_at=at,
        request_id=request_id,
        policy={"decision": "denied", "reason": "wrong_tenant" if tenant != scope.tenant_id else "wrong_mode"},
        detail={"from_tenant": scope.tenant_id, "from_mode": scope.mode, "answered": err.code},
    )


def unauthenticated(route: str, reason: str, credential_hint: str | None, request_id: str | None, at: datetime) -> AuditEntry:
    """The platform-chain record of a request refused before any tenant could be named."""
    return AuditEntry(
        tenant=None,
        mode=None,
        actor="anonymous",
        role="none",
        action="auth.denied",
        object_id=None,
        scope=route,
        occurred_at=at,
        request_id=request_id,
        policy={"decision": "denied", "reason": reason},
        detail={"credential": credential_hint},
    )
