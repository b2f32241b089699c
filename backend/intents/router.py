"""The routing worker: each `ledgered` intent is offered to its corridor's providers in order until
one accepts it (`routed`), or released and `failed` when none does.

Intents are claimed in batches with a lease (`next_action_at` moves past the lease; PostgreSQL
skips rows another worker has locked), submitted over HTTP concurrently, and each outcome written
back in a transaction of its own. A provider that answers 5xx, times out
or cannot be reached is failed over to the next one; every attempt, with its duration and error,
is kept on the intent (its evidence names every provider tried) and counts towards that
provider's health. A worker that dies mid-batch loses nothing: the lease expires and the intents
are routed again (providers take the intent's id as their idempotency key).

A batch's outcomes are written in one transaction: its intents' rows are locked first, in id
order, then the providers' and the failed intents' accounts, so the batch waits for a callback
holding one of them rather than deadlocking with it; events and clearing-account totals come at
commit (backend.db.commit_tail). One intent's outcome that cannot be written is rolled back to
its savepoint and routed again after its lease.
"""

from __future__ import annotations

import asyncio
import logging
import ssl
from dataclasses import dataclass
from datetime import datetime, timedelta

import orjson
from sqlalchemy import ColumnElement, select
from sqlalchemy.engine import Connection
from sqlmodel import Session
from starlette.concurrency import run_in_threadpool

from backend.db import transactions
from backend.db.own_session import OwnSession
from backend.db.tables import Intent
from backend.errors import ZentraError
from backend.intents import lifecycle, money
from backend.intents.lifecycle import Trace
from backend.outbound.connections import Connections
from backend.routing import routes
from backend.routing.submission import Outcome, Submission, Target, submit, target_for
from backend.runtime import Runtime
from backend.tenancy.scope import Scope

log = logging.getLogger("zentra.router")

LEASE = timedelta(seconds=60)
SUBMIT_TIMEOUT_SECONDS = 5.0
BATCH = 200
# Offers in flight at once: a provider (the sandbox one shares this process) that gets a whole
# batch at once answers its last offers after the submit timeout, and those intents fail over
# or fail although the provider was only busy.
OFFERS_IN_FLIGHT = 32
IDLE_SECONDS = 0.05
ROUTE = "worker:router"


@dataclass(frozen=True)
class Due:
    """A claimed intent and the providers to offer it to, first choice first."""

    row_id: str
    scope: Scope
    submission: Submission
    targets: tuple[Target, ...]


def _due(now: datetime) -> tuple[ColumnElement[bool], ...]:
    return (Intent.status == "ledgered", Intent.next_action_at <= now)


def any_due(conn: Connection, now: datetime) -> bool:
    """Whether some intent's routing is due: the idle loop's question, a read that takes no lock
    (on SQLite the claim's write transaction would take the database's write lock each time)."""
    return conn.execute(select(Intent.id).where(*_due(now)).limit(1)).first() is not None


def claim_due(session: Session, api_url: str, now: datetime, limit: int = BATCH) -> list[Due]:
    """Lease up to `limit` intents whose routing is due."""
    query = select(Intent).where(*_due(now)).order_by(Intent.next_action_at).limit(limit).with_for_update(skip_locked=True)
    claimed = []
    routed: dict[tuple[str, str, str], list] = {}  # each corridor's providers, read once a batch
    for intent in session.execute(query).scalars():
        intent.next_action_at = now + LEASE
        scope = Scope(intent.tenant_id, intent.mode, actor="system:router", role="system")
        key = (intent.tenant_id, intent.mode, intent.corridor)
        if key not in routed:
            routed[key] = routes.candidates(session, scope, intent.corridor, now)
        providers = routed[key]
        submission = Submission(
            reference=intent.id,
            intent_id=intent.intent_id,
            kind=intent.kind,
            amount_minor=intent.amount_minor,
            currency=intent.currency,
            corridor=intent.corridor,
            callback_url="",
        )
        claimed.append(Due(intent.id, scope, submission, tuple(target_for(p, api_url) for p in providers)))
    return claimed


async def offer(connections: Connections, due: Due, api_url: str, now: datetime) -> list[Outcome]:
    """Offer the intent to each provider in turn until one accepts; answers every attempt."""
    attempts: list[Outcome] = []
    for target in due.targets:
        submission = _with_callback(due.submission, api_url, target.provider_id)
        outcome = await submit(connections, target, submission, SUBMIT_TIMEOUT_SECONDS, now)
        attempts.append(outcome)
        if outcome.result == "accepted":
            break
    return attempts


def _with_callback(submission: Submission, api_url: str, provider_id: str) -> Submission:
    return Submission(**{**submission.__dict__, "callback_url": f"{api_url}/v1/providers/{provider_id}/callbacks"})


def settle_routings(session: Session, outcomes: list[tuple[Due, list[Outcome]]], now: datetime) -> dict[str, str]:
    """Write a batch's routing outcomes; answers the state each intent ends in, by row id."""
    ids = sorted(due.row_id for due, _ in outcomes)
    intents = {i.id: i for i in session.execute(select(Intent).where(Intent.id.in_(ids)).order_by(Intent.id).with_for_update()).scalars()}
    routes.record_outcomes(session, [(a.provider_id, a.result == "accepted") for _, attempts in outcomes for a in attempts], now)
    failing = [intents[due.row_id] for due, attempts in outcomes if intents[due.row_id].status == "ledgered" and not _accepted(attempts)]
    if failing:
        money.lock_accounts(session, failing, settling=False)
    ended = {}
    for due, attempts in outcomes:
        intent = intents[due.row_id]
        try:
            with session.begin_nested():
                ended[intent.id] = _settle(session, intent, due, attempts, now)
        except ZentraError:
            log.exception("routing outcome of %s could not be written; it will be routed again after its lease", due.row_id)
    return ended


def _accepted(attempts: list[Outcome]) -> Outcome | None:
    return next((a for a in attempts if a.result == "accepted"), None)


def _settle(session: Session, intent: Intent, due: Due, attempts: list[Outcome], now: datetime) -> str:
    """One intent's routing outcome; answers the state it ends in."""
    history = orjson.loads(intent.routing_json)
    intent.routing_json = orjson.dumps([*history, *(a.to_dict() for a in attempts)]).decode()
    if intent.status != "ledgered":
        return intent.status  # a callback confirmed it first, or it was decided meanwhile
    trace = Trace(due.scope, now, None, ROUTE)
    accepted = _accepted(attempts)
    decision = {"corridor": intent.corridor, "tried": [a.provider_id for a in attempts]}
    if accepted is not None:
        intent.provider_id, intent.next_action_at = accepted.provider_id, None
        lifecycle.move(session, trace, intent, "routed", reason=f"accepted by {accepted.provider_id}", data={**decision, "provider_id": accepted.provider_id, "provider_reference": accepted.provider_reference})
        return intent.status
    code = "route_failed" if attempts else "no_route"
    message = f"no provider of corridor {intent.corridor} accepted the intent" if attempts else f"no route serves corridor {intent.corridor}"
    intent.failure_code, intent.failure_message, intent.next_action_at = code, message, None
    lifecycle.move(session, trace, intent, "failed", reason=code, data=decision)
    money.release(session, due.scope, intent, message, intent.intent_id, now)
    return intent.status


async def route_due(runtime: Runtime, connections: Connections, limit: int = BATCH) -> int:
    """Route one batch of due intents; answers how many were claimed."""
    api_url = runtime.settings.api_url
    claimed = await run_in_threadpool(transactions.write, runtime.db, lambda s: claim_due(s, api_url, runtime.now(), limit))
    if not claimed:
        return 0
    slots = asyncio.Semaphore(OFFERS_IN_FLIGHT)

    async def bounded(due: Due) -> list[Outcome]:
        async with slots:
            return await offer(connections, due, api_url, runtime.now())

    outcomes = await asyncio.gather(*(bounded(due) for due in claimed))
    now = runtime.now()
    await run_in_threadpool(transactions.write, runtime.db, lambda s: settle_routings(s, list(zip(claimed, outcomes)), now))
    return len(claimed)


async def run_forever(runtime: Runtime) -> None:
    """Route whatever is due, as fast as it comes; idle briefly when nothing is. While idle it
    asks through a session of its own (`OwnSession`: one round trip on PostgreSQL) before it
    claims anything."""
    connections = Connections(ssl.create_default_context(), keep=OFFERS_IN_FLIGHT)
    own = OwnSession(runtime.db)
    try:
        while True:
            try:
                due = await run_in_threadpool(own.run, lambda conn: any_due(conn, runtime.now()))
                routed = await route_due(runtime, connections) if due else 0
            except Exception:  # noqa: BLE001 - the worker must survive a bad batch (database restart)
                log.exception("routing pass failed")
                routed = 0
            if not routed:
                await asyncio.sleep(IDLE_SECONDS)
    finally:
        own.close()
        connections.close()
