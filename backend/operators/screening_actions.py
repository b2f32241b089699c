"""Operator actions on compliance screening, as the operations room performs them.

Each goes through `actions.perform` (session re-verified, role checked, audit record in the same
transaction) and calls the service the HTTP API calls, so the room and the API share every rule.
"""

from __future__ import annotations

from datetime import datetime

from sqlmodel import Session

from backend.intents.lifecycle import Trace
from backend.operators.actions import Credential, perform
from backend.operators.audit import ROOM
from backend.runtime import Runtime
from backend.screening import customers, decisions, lists
from backend.tenancy.scope import Scope


def load_list(runtime: Runtime, credential: Credential, body: dict, request_id: str | None = None) -> dict:
    """Load a screening list version from CSV text (`screening.manage`); `body` as the API's."""
    def act(session: Session, scope: Scope, now: datetime) -> dict:
        return lists.load_list(session, scope, dict(body), now)

    return perform(runtime, credential, "screening.manage", act, object_id=lambda r: r["id"], detail={"name": body.get("name")}, request_id=request_id)


def upsert_customer(runtime: Runtime, credential: Credential, body: dict, request_id: str | None = None) -> dict:
    """Register a customer or change their name or KYC status (`screening.manage`)."""
    def act(session: Session, scope: Scope, now: datetime) -> dict:
        return customers.upsert_customer(session, scope, dict(body), now)

    return perform(runtime, credential, "screening.manage", act, object_id=lambda r: r["id"], detail={"customer": body.get("customer"), "kyc_status": body.get("kyc_status")}, request_id=request_id)


def decide(runtime: Runtime, credential: Credential, result_id: str, body: dict, request_id: str | None = None) -> dict:
    """Clear or confirm one screening match (`screening.decide`)."""
    def act(session: Session, scope: Scope, now: datetime) -> dict:
        return decisions.decide(session, Trace(scope, now, request_id, ROOM), result_id, dict(body))

    return perform(runtime, credential, "screening.decide", act, object_id=result_id, detail={"decision": body.get("decision"), "note": body.get("note")}, request_id=request_id)
