"""Rails for reconciliation tests: intents settled by a sandbox provider through the real API,
their internal ids (what the provider knows them by), reports written as CSV, and imports."""

from __future__ import annotations

from datetime import date

import httpx
from sqlalchemy import select

from backend.db import transactions
from backend.db.tables import Intent, ReconciliationSettlement
from backend.reconciliation.mapping import decimal_text
from backend.runtime import Runtime
from tests.backend.intents.support import Rails, payment, route_due, wait_for
from tests.conftest import Api

HEADER = "reference,amount,currency,value_date,counterparty"


def settle(runtime: Runtime, rails: Rails, *payments: tuple[int, str]) -> list[dict]:
    """Pay (amount, counterparty) for each, route them and wait for the provider's settlement;
    answers each intent with `reference`, the internal id the provider was given."""
    created = []
    for amount, counterparty in payments:
        r = payment(rails, amount, counterparty=counterparty)
        assert r.status_code == 201 and r.json()["status"] == "ledgered", r.text
        created.append(r.json())
    route_due(runtime)
    settled = [wait_for(rails.api, intent["intent_id"], "synchronized") for intent in created]
    ids = [i["intent_id"] for i in settled]
    internal = transactions.read(runtime.db, lambda s: dict(s.execute(select(Intent.intent_id, Intent.id).where(Intent.intent_id.in_(ids))).all()))
    return [{**intent, "reference": internal[intent["intent_id"]]} for intent in settled]


def csv_report(*rows: tuple[str, int, str, date, str], currency: str = "USD") -> str:
    """A report in the default mapping from (reference, amount_minor, counterparty, day, currency)."""
    body = [f"{ref},{decimal_text(amount, cur)},{cur},{day.isoformat()},{cp}" for ref, amount, cp, day, cur in rows]
    return "\n".join([HEADER, *body]) + "\n"


def import_report(api: Api, provider_id: str, report: str, **fields) -> httpx.Response:
    return api.post("/reconciliation/runs", {"provider_id": provider_id, "report": report, **fields})


def settlement_status(runtime: Runtime, reference: str) -> str:
    query = select(ReconciliationSettlement.status).where(ReconciliationSettlement.reference == reference)
    return transactions.read(runtime.db, lambda s: s.execute(query).scalar_one())
