"""The sandbox traffic dial as operator actions: every role may look (`sandbox.view`), admin and
support may turn it (`sandbox.operate`), each turn recorded like every other operator action."""

from __future__ import annotations

from datetime import datetime

from sqlmodel import Session

from backend.db import transactions
from backend.operators.actions import Credential, check, perform
from backend.runtime import Runtime
from backend.sandbox import traffic_dial
from backend.tenancy.scope import Scope


def traffic(runtime: Runtime, credential: Credential, request_id: str | None = None) -> dict:
    operator = check(runtime, credential, "sandbox.view", request_id=request_id)
    return transactions.read(runtime.db, lambda s: traffic_dial.get_dial(s, operator.scope))


def set_traffic(runtime: Runtime, credential: Credential, body: dict, request_id: str | None = None) -> dict:
    def act(session: Session, scope: Scope, now: datetime) -> dict:
        return traffic_dial.set_dial(session, scope, body, now)

    return perform(runtime, credential, "sandbox.operate", act, object_id=lambda r: "sandbox_traffic", detail=dict(body), request_id=request_id)
