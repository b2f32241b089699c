"""Each provider's report mapping, kept on its row: what an import of its reports reads them by
(`mapping.DEFAULT_MAPPING` until one is set)."""

from __future__ import annotations

from datetime import datetime

import orjson
from sqlalchemy import select
from sqlmodel import Session

from backend.db.tables import Provider
from backend.errors import ZentraError
from backend.events.outbox import PendingEvent, record
from backend.inputs import reject_unknown
from backend.reconciliation.mapping import parse_mapping, stored_mapping
from backend.tenancy.lookup import get_scoped
from backend.tenancy.scope import Scope


def set_mapping(session: Session, scope: Scope, provider_id: str, body: dict, now: datetime) -> dict:
    """Keep `mapping` on the provider (null: back to the default); imports read it from then on."""
    reject_unknown(body, {"mapping"})
    if "mapping" not in body:
        raise ZentraError("validation_error", "mapping is required (null restores the default)", "mapping")
    mapping = None if body["mapping"] is None else parse_mapping(body["mapping"])
    provider = get_scoped(session, Provider, provider_id, scope, "provider")
    provider.report_mapping_json = None if mapping is None else orjson.dumps(mapping.to_dict()).decode()
    session.flush()
    shown = get_mapping(session, scope, provider_id)
    record(session, scope, [PendingEvent("provider.report_mapping_updated", provider.id, shown, now)])
    return shown


def get_mapping(session: Session, scope: Scope, provider_id: str) -> dict:
    provider = get_scoped(session, Provider, provider_id, scope, "provider")
    return {"provider_id": provider.id, "object": "report_mapping", "default": provider.report_mapping_json is None, "mapping": stored_mapping(provider.report_mapping_json).to_dict()}


def list_mappings(session: Session, scope: Scope) -> list[dict]:
    """Every provider of the scope (oldest first) with its kind and the mapping its reports are read by."""
    where = (Provider.tenant_id == scope.tenant_id, Provider.mode == scope.mode)
    providers = session.execute(select(Provider).where(*where).order_by(Provider.created_at, Provider.id)).scalars()
    return [{"provider_id": p.id, "name": p.name, "kind": p.kind, "default": p.report_mapping_json is None, "mapping": stored_mapping(p.report_mapping_json).to_dict()} for p in providers]
