"""The sandbox traffic worker: every second, send what each running dial owes.

A pass claims sequence numbers under the dial's row lock (SKIP LOCKED, so several serving
processes share the work without sending one number twice), then creates each intent in its own
transaction through the same intake as `POST /v1/runtime/intents`. Intent ids are derived from
(seed, sequence): a number is sent at most once, and a crash between claim and send leaves a gap,
never a duplicate. A customer that runs dry is topped up from its currency's funding account, as
a real sandbox would be, so traffic keeps flowing for as long as the demo runs.
"""

from __future__ import annotations

import asyncio
import logging
from datetime import datetime

from sqlalchemy import select
from sqlmodel import Session
from starlette.concurrency import run_in_threadpool

from backend.db import transactions
from backend.db.tables import Account, SandboxTraffic
from backend.errors import ZentraError
from backend.intents.intake import create_intent
from backend.intents.lifecycle import Trace
from backend.intents.requests import IntentRequest, parse_runtime_intent
from backend.ledger.commands import PostingCommand
from backend.ledger.legs import Leg
from backend.ledger.postings import create_postings
from backend.runtime import Runtime
from backend.sandbox.traffic import Book, next_intent
from backend.sandbox.traffic_dial import MAX_OWED, owed
from backend.tenancy.scope import Scope

log = logging.getLogger("zentra.sandbox.traffic")

TICK_SECONDS = 1.0
BOOK_SIZE = 50  # accounts per currency and side that traffic draws from
TOP_UP_FACTOR = 20  # a dry customer gets this many times the refused amount
ACTOR = "sandbox_traffic"
REHEARSAL_PREFIX = "rehearsal_"  # accounts the failure scenarios open are theirs, not traffic's


def claim(session: Session, now: datetime) -> list[tuple[str, int, list[int]]]:
    """(tenant, seed, sequence numbers) owed by every running dial not locked by another process."""
    rows = session.execute(select(SandboxTraffic).where(SandboxTraffic.running.is_(True)).with_for_update(skip_locked=True)).scalars().all()
    claimed = []
    for row in rows:
        due = owed(row, now)
        if due > MAX_OWED:
            row.anchor_at, row.anchor_sequence, due = now, row.sequence, 0
        if due:
            claimed.append((row.tenant_id, row.seed, list(range(row.sequence, row.sequence + due))))
            row.sequence += due
    return claimed


def books(session: Session, scope: Scope) -> list[Book]:
    """The scope's customer and merchant accounts per currency (the first `BOOK_SIZE` of each),
    leaving out the ones rehearsals opened."""
    by_currency: dict[str, dict[str, list[str]]] = {}
    for account_type in ("customer_wallet", "merchant"):
        rows = session.execute(
            select(Account.id, Account.currency)
            .where(Account.tenant_id == scope.tenant_id, Account.mode == scope.mode, Account.account_type == account_type, Account.system_role.is_(None), Account.customer.not_like(f"{REHEARSAL_PREFIX}%"))
            .order_by(Account.created_at, Account.id)
        ).all()
        for account_id, currency in rows:
            side = by_currency.setdefault(currency, {"customer_wallet": [], "merchant": []})[account_type]
            if len(side) < BOOK_SIZE:
                side.append(account_id)
    return [Book(currency, tuple(sides["customer_wallet"]), tuple(sides["merchant"])) for currency, sides in sorted(by_currency.items())]


def send(runtime: Runtime, scope: Scope, body: dict) -> str:
    """Create one intent; on `insufficient_funds` top the source up once and try again. Answers
    the intent's status, or the refusal's code (an id already taken is `duplicate`)."""
    request = parse_runtime_intent(body)
    try:
        return _create(runtime, scope, request)
    except ZentraError as err:
        if err.code != "insufficient_funds" or not top_up(runtime, scope, request.source, request.currency, request.amount_minor):
            return _outcome(err)
    try:
        return _create(runtime, scope, request)
    except ZentraError as err:
        return _outcome(err)


def _create(runtime: Runtime, scope: Scope, request: IntentRequest) -> str:
    intent = transactions.write(runtime.db, lambda s: create_intent(s, Trace(scope, runtime.now(), None, "sandbox traffic"), request))
    return intent.status


def _outcome(err: ZentraError) -> str:
    return "duplicate" if err.param == "intent_id" else err.code


def top_up(runtime: Runtime, scope: Scope, account_id: str, currency: str, amount_minor: int) -> bool:
    """Fund `account_id` from the currency's funding account; False when there is none."""
    def unit(session: Session) -> bool:
        funding = session.execute(
            select(Account.id).where(Account.tenant_id == scope.tenant_id, Account.mode == scope.mode, Account.currency == currency, Account.account_type == "funding", Account.allow_negative.is_(True)).limit(1)
        ).scalar_one_or_none()
        if funding is None:
            return False
        amount = amount_minor * TOP_UP_FACTOR
        command = PostingCommand(legs=(Leg(funding, "debit", amount, "debit"), Leg(account_id, "credit", amount, "credit")), description="sandbox top-up")
        create_postings(session, scope, [command], atomic=True, now=runtime.now())
        return True

    return transactions.write(runtime.db, unit)


def generate_due(runtime: Runtime) -> dict[str, int]:
    """One pass: send everything owed now. Answers counts by outcome (status or refusal code)."""
    claimed = transactions.write(runtime.db, lambda s: claim(s, runtime.now()))
    outcomes: dict[str, int] = {}
    for tenant_id, seed, numbers in claimed:
        scope = Scope(tenant_id, "sandbox", actor=ACTOR, role="system")
        tenant_books = transactions.read(runtime.db, lambda s: books(s, scope))
        for number in numbers:
            try:
                outcome = send(runtime, scope, next_intent(seed, number, tenant_books))
            except ValueError as err:
                log.warning("sandbox traffic for %s: %s", tenant_id, err)
                outcome = "no_accounts"
            outcomes[outcome] = outcomes.get(outcome, 0) + 1
    return outcomes


async def run_forever(runtime: Runtime) -> None:
    """Generate owed traffic every `TICK_SECONDS` until cancelled; a failed pass is logged."""
    while True:
        try:
            await run_in_threadpool(generate_due, runtime)
        except Exception:  # noqa: BLE001 - upkeep must survive a bad pass (e.g. database restart)
            log.exception("sandbox traffic pass failed")
        await asyncio.sleep(TICK_SECONDS)
