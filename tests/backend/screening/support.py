"""Rails for screening tests: people of the tenant with session tokens, a list loaded by
compliance over the API, and payments to a named counterparty."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Callable

import httpx
from sqlalchemy import func, select

from backend.db import transactions
from backend.runtime import Runtime
from tests.backend.intents.support import Rails, rails
from tests.backend.operators.conftest import make_operator, open_session
from tests.conftest import Api, TenantKeys

# A list in the documented CSV format (quoted fields, `;`-separated aliases, optional columns).
LIST_CSV = """name,aliases,country,reference
John Smith,Johnny Smith;J. Smith,GB,UK-0001
Ivan Petrova,,RU,RU-0042
"Al Rashid, Muhammad",Abu Rashid,AE,AE-0007
Volkov Shipping Limited,Volkov Maritime,CY,CY-0100
José García,,ES,ES-0311
"""


@dataclass
class Desk:
    """A tenant's API key client, a funded customer and a merchant, and its people."""

    api: Api
    rails: Rails
    person: Callable[[str], Api]


def people(runtime: Runtime, api_url: str, tenant: TenantKeys) -> Callable[[str], Api]:
    """`person(role)`: a new operator of the tenant with that role, as an API client using their
    session token (`.actor` is how records name them)."""
    def person(role: str) -> Api:
        operator = make_operator(runtime, {tenant.tenant_id: role})
        client = Api(api_url, open_session(runtime, operator.operator_id, tenant.tenant_id))
        client.actor = f"operator:{operator.operator_id}"
        return client

    return person


def desk(runtime: Runtime, api: Api, api_url: str, tenant: TenantKeys) -> Desk:
    return Desk(api, rails(api), people(runtime, api_url, tenant))


def load(client: Api, csv: str = LIST_CSV, name: str = "Sanctions") -> dict:
    r = client.post("/screening/lists", {"name": name, "source": "test fixture", "csv": csv})
    assert r.status_code == 201, r.text
    return r.json()


def pay(desk_: Desk, counterparty: str, amount: int = 5_000, client: Api | None = None) -> httpx.Response:
    """A payment from the desk's customer to its merchant, naming `counterparty`."""
    body = {"kind": "payment", "amount_minor": amount, "currency": "USD", "source": desk_.rails.customer, "destination": desk_.rails.merchant, "counterparty": counterparty}
    return (client or desk_.api).post("/runtime/intents", body)


def count(runtime: Runtime, table, *where) -> int:
    return transactions.read(runtime.db, lambda s: s.execute(select(func.count()).select_from(table).where(*where)).scalar_one())
