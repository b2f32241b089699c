"""Seed the demo's sandbox tenant with real accounts, postings, pending postings and holds, and
the runtime around them: two sandbox providers on the default route, a policy, a webhook endpoint
for the merchant's consumer, and intents (some held for review) that the running app's workers
then route and settle.

Everything goes through the same service functions as the API, so the demo shows the ledger
exactly as integrators would see it. Seeding is repeatable: the tenant is found by name and a
fresh sandbox key and admin operator password are issued on every run (both are stored hashed,
so old ones can't be shown).
"""

from __future__ import annotations

import random
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path

from sqlalchemy import select
from sqlmodel import Session

from backend.db import transactions
from backend.db.tables import Tenant
from backend.intents.intake import create_intent
from backend.intents.lifecycle import Trace
from backend.intents.requests import parse_runtime_intent
from backend.ledger.accounts import create_account
from backend.ledger.commands import PostingCommand
from backend.ledger.holds import create_hold
from backend.ledger.legs import Leg
from backend.ledger.postings import create_postings
from backend.operators.directory import issue_admin_login
from backend.policy.versions import publish_policy
from backend.providers.registry import create_provider
from backend.routing.routes import set_route
from backend.runtime import Runtime
from backend.sandbox.cast import issue_cast, write_cast
from backend.tenancy.api_keys import issue_key
from backend.tenancy.scope import Scope
from backend.tenancy.tenants import create_tenant
from backend.webhooks.endpoints import create_endpoint

DEMO_TENANT = "Zentra Demo"
CURRENCIES = {"USD": 100, "EUR": 100, "GBP": 100, "JPY": 100}  # minor units per dollar-like unit (a yen is about a cent)


@dataclass(frozen=True)
class DemoAccess:
    tenant_id: str
    sandbox_api_key: str
    operator_email: str
    operator_password: str
    seeded: bool
    cast_path: Path


def ensure_demo_tenant(runtime: Runtime) -> DemoAccess:
    """The demo tenant with a new sandbox key, admin login and rehearsal cast (written to the
    data dir); seeds its ledger the first time."""
    def find_or_create(session: Session) -> tuple[str, str, bool]:
        tenant = session.execute(select(Tenant).where(Tenant.name == DEMO_TENANT)).scalar_one_or_none()
        if tenant is None:
            created = create_tenant(session, DEMO_TENANT)
            return created.tenant_id, created.sandbox_api_key, True
        return tenant.id, issue_key(session, tenant.id, "sandbox"), False

    tenant_id, key, fresh = transactions.write(runtime.db, find_or_create)
    login = transactions.write(runtime.db, lambda s: issue_admin_login(s, tenant_id, runtime.now(), "zentra demo"))
    if fresh:
        scope = Scope(tenant_id, "sandbox", actor="sandbox_seed")
        book = transactions.write(runtime.db, lambda s: seed_ledger(s, scope, runtime))
        transactions.write(runtime.db, lambda s: seed_runtime(s, scope, runtime, book))
    cast = transactions.write(runtime.db, lambda s: issue_cast(s, tenant_id, runtime.now()))
    return DemoAccess(tenant_id, key, login.email, login.password, fresh, write_cast(runtime.settings.data_dir, cast))


def seed_ledger(session: Session, scope: Scope, runtime: Runtime, rng_seed: int = 42) -> dict[str, tuple[list[str], list[str]]]:
    """Per currency: a funding account, customers, merchants and a settlement account, with a
    seeded, repeatable history of payments, pending authorisations and holds. Answers each
    currency's customers and merchants."""
    rng = random.Random(rng_seed)
    now = runtime.now()
    book = {}
    for currency, unit in CURRENCIES.items():
        def open_account(customer: str, account_type: str, **extra) -> str:
            body = {"customer": customer, "currency": currency, "account_type": account_type, **extra}
            return create_account(session, scope, body, now)["id"]

        funding = open_account(f"treasury_{currency.lower()}", "funding", allow_negative=True)
        settlement = open_account(f"settlement_{currency.lower()}", "settlement")
        customers = [open_account(f"customer_{currency.lower()}_{i:02d}", "customer_wallet") for i in range(6)]
        merchants = [open_account(f"merchant_{currency.lower()}_{i:02d}", "merchant") for i in range(3)]
        commands = [PostingCommand(legs=_legs(funding, c, rng.randint(500, 5000) * unit * 10), description="top-up") for c in customers]
        create_postings(session, scope, commands, atomic=True, now=now)
        payments = [
            PostingCommand(legs=_legs(rng.choice(customers), rng.choice(merchants), rng.randint(5, 200) * unit), correlation_id=f"order_{currency.lower()}_{i:03d}", description="card payment")
            for i in range(24)
        ]
        create_postings(session, scope, payments, atomic=False, now=now)
        payouts = [PostingCommand(legs=_legs(m, settlement, rng.randint(1, 5) * unit), description="merchant settlement", pending=True, expires_at=now + timedelta(days=2)) for m in merchants]
        create_postings(session, scope, payouts, atomic=False, now=now)
        for i, customer in enumerate(customers[:3]):
            body = {"account": customer, "amount_minor": rng.randint(10, 90) * unit, "ttl_seconds": 600 * (i + 1), "reason": "card authorization", "source_request": f"auth_{currency.lower()}_{i:02d}"}
            create_hold(session, scope, body, now)
        book[currency] = (customers, merchants)
    return book


# Review above 1,000.00 (in a two-decimal currency; 100,000 yen), two approvers from 10,000.00.
DEMO_POLICY = {"review_threshold": {"*": 100_000, "JPY": 100_000}, "dual_approval_threshold": {"*": 1_000_000, "JPY": 1_000_000}}
# The merchant's webhook consumer: a sandbox receiver of this instance, up unless a rehearsal takes
# it down, so the webhooks room and finance's delivery charts have real deliveries from the start.
DEMO_CONSUMER = "demo-consumer"
DEMO_CONSUMER_EVENTS = ["intent.*"]
DEMO_PROVIDERS = (
    ("Northwind Rails", {"latency_ms": 150, "failure_rate": 0.05, "duplicate_rate": 0.05}),
    ("Harbor Pay", {"latency_ms": 300, "decline_rate": 0.02}),
)


def seed_runtime(session: Session, scope: Scope, runtime: Runtime, book: dict[str, tuple[list[str], list[str]]], rng_seed: int = 7) -> None:
    """Providers on the `*` route (first choice first), the demo policy, the merchant's webhook
    consumer, and per currency a few payments and one intent over the review threshold, all
    through the services the API uses."""
    rng, now = random.Random(rng_seed), runtime.now()
    consumer = f"{runtime.settings.api_url.rstrip('/')}/sandbox/receivers/{scope.tenant_id}/{DEMO_CONSUMER}"
    create_endpoint(session, scope, {"url": consumer, "event_types": DEMO_CONSUMER_EVENTS, "description": "the demo merchant's webhook consumer (a sandbox receiver)"}, now)
    providers = [create_provider(session, scope, {"name": name, "kind": "sandbox", "behaviour": behaviour}, now)["id"] for name, behaviour in DEMO_PROVIDERS]
    set_route(session, scope, {"corridor": "*", "providers": providers}, now)
    publish_policy(session, scope, {"rules": DEMO_POLICY, "note": "demo policy"}, now)
    trace = Trace(scope, now, None, "zentra demo")
    for currency, (customers, merchants) in book.items():
        unit = CURRENCIES[currency]
        amounts = [rng.randint(5, 300) * unit for _ in range(4)] + [rng.randint(1_500, 3_000) * unit]
        for amount in amounts:
            body = {"kind": "payment", "amount_minor": amount, "currency": currency, "source": rng.choice(customers), "destination": rng.choice(merchants), "scope": "workspace_scope"}
            create_intent(session, trace, parse_runtime_intent(body))


def _legs(debit: str, credit: str, amount: int) -> tuple[Leg, Leg]:
    return (Leg(debit, "debit", amount, "debit"), Leg(credit, "credit", amount, "credit"))
