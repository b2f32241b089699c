"""Events per second from commit to JetStream acknowledgement, through the outbox relay.

    .venv/bin/python bench/events.py [--events 100000] [--db sqlite|postgres] [--pg-url URL]

It opens a fresh database (a SQLite file in a temp dir, or a new PostgreSQL schema), starts the
embedded nats-server (JetStream store in the temp dir), opens one tenant with a funding account
and 100 customer accounts, and measures three phases (the first two of --events events each).
Events come from real postings made in-process with the ledger services (`create_postings`, 500
postings per transaction; each posting writes `ledger.entry.created` and `ledger.entry.posted`):

  backlog  the postings are committed with no relay running; then one relay starts and is timed
           until JetStream has acknowledged, and the relay has marked, every event
  live     the relay runs while a writer commits the postings as fast as it can, once from
           another process and once from a thread of the relay's own process (as requests in a
           serving process): events/s from the first commit until every event is acknowledged
           and marked (the marks come after the acknowledgements: a lower bound), the
           writer's own rate (the live figure cannot exceed it), and per event the delay from its
           transaction's clock reading (`occurred_at`) to its mark (`published_at`, committed
           after the acknowledgement, so an upper bound of the delay to JetStream), p50 and p99
  paced    the same with the writer thread committing --paced events/s (default 1,000) for 10 s
           in transactions of a tenth of that: the delay at a load the relay is not saturated by

At the end the stream must hold exactly one message per event in the database.
"""

from __future__ import annotations

import argparse
import asyncio
import multiprocessing
import os
import random
import secrets
import sys
import tempfile
import time
from dataclasses import dataclass
from datetime import datetime, timezone
from pathlib import Path
from typing import Callable

import nats
from sqlalchemy import create_engine, func, select, text

from backend.config import Settings
from backend.db import transactions
from backend.db.tables import Event
from backend.events.nats_server import EmbeddedNats
from backend.events.relay import BATCH_SIZE, Relay
from backend.events.stream import STREAM
from backend.ledger.accounts import create_account
from backend.ledger.commands import parse_posting
from backend.ledger.postings import create_postings
from backend.runtime import Runtime, open_runtime
from backend.tenancy.scope import Scope
from backend.tenancy.tenants import create_tenant

DEFAULT_PG_URL = "postgresql+psycopg://postgres@127.0.0.1:5432/test"
POSTINGS_PER_TRANSACTION = 500
CUSTOMERS = 100


@dataclass
class Ledger:
    """One tenant's sandbox with a funding account and customers to move money to."""

    runtime: Runtime
    scope: Scope
    funding: str
    customers: list[str]

    @classmethod
    def open(cls, runtime: Runtime) -> "Ledger":
        tenant = transactions.write(runtime.db, lambda s: create_tenant(s, "events bench"))
        scope = Scope(tenant.tenant_id, "sandbox")

        def account(**fields) -> str:
            body = {"customer": "bench", "currency": "USD", "account_type": "operating", **fields}
            return transactions.write(runtime.db, lambda s: create_account(s, scope, body, runtime.now()))["id"]

        return cls(runtime, scope, account(allow_negative=True), [account() for _ in range(CUSTOMERS)])

    def commit(self, postings: int) -> float:
        """Commit `postings` (two events each), POSTINGS_PER_TRANSACTION per transaction; returns
        the seconds it took."""
        started = time.perf_counter()
        for first in range(0, postings, POSTINGS_PER_TRANSACTION):
            n = min(POSTINGS_PER_TRANSACTION, postings - first)
            transactions.write(self.runtime.db, lambda s, n=n: self._post(s, n))
        return time.perf_counter() - started

    def commit_paced(self, postings: int, per_second: int) -> float:
        """Commit `postings` at `per_second` postings a second, one transaction every 0.1 s."""
        per_tick = max(1, per_second // 10)
        started = time.perf_counter()
        for tick, first in enumerate(range(0, postings, per_tick)):
            time.sleep(max(0.0, started + tick / 10 - time.perf_counter()))
            n = min(per_tick, postings - first)
            transactions.write(self.runtime.db, lambda s, n=n: self._post(s, n))
        return time.perf_counter() - started

    def _post(self, session, n: int) -> None:
        now = self.runtime.now()
        bodies = [{"debit": self.funding, "credit": random.choice(self.customers), "amount_minor": random.randint(1, 1000)} for _ in range(n)]
        create_postings(session, self.scope, [parse_posting(b, now) for b in bodies], atomic=True, now=now)


@dataclass
class Phase:
    rate: float  # events/s from the first commit to the last acknowledgement
    writer_rate: float  # events/s the writer committed
    delays_ms: list[float]  # occurred_at -> published_at, sorted


def count_events(runtime: Runtime, *where) -> int:
    return transactions.read(runtime.db, lambda s: s.execute(select(func.count()).select_from(Event).where(*where)).scalar_one())


async def relay_until(relay: Relay, target: int) -> None:
    """Run `relay` until it has marked `target` events, then stop it."""
    task = asyncio.create_task(relay.run())
    while relay.published < target:
        await asyncio.sleep(0.005)
    task.cancel()
    await asyncio.gather(task, return_exceptions=True)


async def backlog(ledger: Ledger, url: str, events: int, batch: int) -> float:
    """Events/s of one relay draining `events` committed before it started."""
    ledger.commit(events // 2)
    waiting = count_events(ledger.runtime, Event.published_at.is_(None))
    started = time.perf_counter()
    await relay_until(Relay(ledger.runtime.db, url, batch_size=batch), waiting)
    return waiting / (time.perf_counter() - started)


async def live_in_thread(ledger: Ledger, url: str, events: int, batch: int, paced: int | None = None) -> Phase:
    """The writer is a thread of the relay's process, as requests are in a serving process; it
    commits as fast as it can, or `paced` events a second."""
    since = datetime.now(timezone.utc)
    relay = asyncio.create_task(relay_until(Relay(ledger.runtime.db, url, batch_size=batch), events))
    await asyncio.sleep(0.2)  # connected and idle: the clock starts at the first commit
    started = time.perf_counter()
    if paced:
        writer_seconds = await asyncio.to_thread(ledger.commit_paced, events // 2, paced // 2)
    else:
        writer_seconds = await asyncio.to_thread(ledger.commit, events // 2)
    await relay
    return Phase(events / (time.perf_counter() - started), events / writer_seconds, delays_ms(ledger.runtime, since))


async def live_in_process(ledger: Ledger, url: str, events: int, batch: int, schema: str | None) -> Phase:
    """The writer is another process (its own interpreter lock), as `zentra relay` beside
    `zentra api` would be."""
    since = datetime.now(timezone.utc)
    spawn = multiprocessing.get_context("spawn")
    ready, go, seconds = spawn.Event(), spawn.Event(), spawn.Value("d", 0.0)
    where = (ledger.runtime.settings, schema, ledger.scope, ledger.funding, ledger.customers)
    writer = spawn.Process(target=write_in_child, args=(where, events // 2, ready, go, seconds))
    writer.start()
    await asyncio.to_thread(ready.wait)
    relay = asyncio.create_task(relay_until(Relay(ledger.runtime.db, url, batch_size=batch), events))
    await asyncio.sleep(0.2)
    started = time.perf_counter()
    go.set()
    await asyncio.to_thread(writer.join)
    await relay
    return Phase(events / (time.perf_counter() - started), events / seconds.value, delays_ms(ledger.runtime, since))


def write_in_child(where: tuple, postings: int, ready, go, seconds) -> None:
    settings, schema, scope, funding, customers = where
    ledger = Ledger(open_runtime(settings, schema=schema), scope, funding, customers)
    ready.set()
    go.wait()
    seconds.value = ledger.commit(postings)


def delays_ms(runtime: Runtime, since: datetime) -> list[float]:
    stmt = select(Event.occurred_at, Event.published_at).where(Event.occurred_at >= since)
    rows = transactions.read(runtime.db, lambda s: s.execute(stmt).all())
    return sorted((_aware(p) - _aware(o)).total_seconds() * 1000 for o, p in rows)


def _aware(value: datetime) -> datetime:
    return value if value.tzinfo else value.replace(tzinfo=timezone.utc)


def percentile(ordered: list[float], p: float) -> float:
    return ordered[min(len(ordered) - 1, max(0, round(p / 100 * len(ordered)) - 1))]


async def stream_messages(url: str) -> int:
    nc = await nats.connect(url)
    try:
        return (await nc.jetstream().stream_info(STREAM)).state.messages
    finally:
        await nc.close()


def open_database(args: argparse.Namespace, data_dir: Path) -> tuple[Runtime, str | None, Callable[[], None]]:
    """A fresh database, its PostgreSQL schema and the function that removes it."""
    if args.db == "sqlite":
        settings = Settings(data_dir=data_dir, database_url=f"sqlite:///{data_dir / 'zentra.db'}", nats_url=None, redis_url=None)
        runtime = open_runtime(settings)
        return runtime, None, runtime.db.dispose
    schema = f"zbench_{secrets.token_hex(4)}"
    admin = create_engine(args.pg_url)
    with admin.begin() as conn:
        conn.execute(text(f"CREATE SCHEMA {schema}"))
    runtime = open_runtime(Settings(data_dir=data_dir, database_url=args.pg_url, nats_url=None, redis_url=None), schema=schema)

    def drop() -> None:
        runtime.db.dispose()
        with admin.begin() as conn:
            conn.execute(text(f"DROP SCHEMA {schema} CASCADE"))
        admin.dispose()

    return runtime, schema, drop


async def bench(args: argparse.Namespace, runtime: Runtime, url: str, schema: str | None) -> int:
    ledger = Ledger.open(runtime)
    drained = await backlog(ledger, url, args.events, args.batch)
    print(f"backlog: {args.events:,} events committed, then relayed by one relay: {drained:,.0f} events/s")
    for name, phase in (
        ("live, writer in another process", await live_in_process(ledger, url, args.events, args.batch, schema)),
        ("live, writer in the relay's process", await live_in_thread(ledger, url, args.events, args.batch)),
        (f"paced at {args.paced:,} events/s for 10 s", await live_in_thread(ledger, url, args.paced * 10, args.batch, paced=args.paced)),
    ):
        print(f"{name}: {phase.rate:,.0f} events/s commit to ack (writer committed {phase.writer_rate:,.0f} events/s);", end=" ")
        print(f"occurred_at -> published_at p50 {percentile(phase.delays_ms, 50):.0f} ms, p99 {percentile(phase.delays_ms, 99):.0f} ms")
    in_db, in_stream = count_events(runtime), await stream_messages(url)
    print(f"stream: {in_stream:,} messages for {in_db:,} events in the database: {'each once' if in_stream == in_db else 'MISMATCH'}")
    return 0 if in_stream == in_db else 1


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--events", type=int, default=100_000, help="events per phase (default 100,000)")
    parser.add_argument("--db", choices=["sqlite", "postgres"], default="sqlite")
    parser.add_argument("--pg-url", default=os.environ.get("ZENTRA_BENCH_PG_URL", DEFAULT_PG_URL))
    parser.add_argument("--batch", type=int, default=BATCH_SIZE, help=f"relay batch size (default {BATCH_SIZE})")
    parser.add_argument("--paced", type=int, default=1000, help="events/s of the paced phase (default 1,000)")
    args = parser.parse_args()
    args.events -= args.events % 2  # two events per posting
    print(f"events bench: {args.db}, {os.cpu_count()} cores, load average {os.getloadavg()[0]:.1f} at start, relay batch {args.batch}")
    with tempfile.TemporaryDirectory(prefix="zentra-events-bench-") as tmp, EmbeddedNats(Path(tmp)) as server:
        runtime, schema, remove = open_database(args, Path(tmp))
        try:
            return asyncio.run(bench(args, runtime, server.url, schema))
        finally:
            remove()
            print(f"load average {os.getloadavg()[0]:.1f} at end")


if __name__ == "__main__":
    sys.exit(main())
