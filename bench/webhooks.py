"""Signed webhook deliveries per second to a local receiver.

    .venv/bin/python bench/webhooks.py [--events N] [--db sqlite|postgres] [--signing hmac|ed25519] [--via relay|stream]
                                       [--paced RATE]

On a fresh database (a new SQLite file, or a new PostgreSQL schema) it creates a tenant and one
sandbox endpoint subscribed to `*` that points at a receiver in another process (uvicorn, one
worker), which verifies every delivery: `standardwebhooks` for HMAC, `cryptography` for ed25519.
It then writes N events to the outbox in one transaction and runs, in this process and on one
event loop as a serving process does, the outbox relay (`--via relay`; `--via stream` publishes
the events to JetStream itself instead) and the webhook dispatcher: the stream, one message per
event, a signed POST each, each attempt settled with its `webhook.delivered` event (which the
relay publishes too, and the dispatcher skips). The figure is N divided by the time from the
events' commit to the last message recorded delivered. NATS: ZENTRA_NATS_URL, else an embedded
server.

`--paced RATE` writes the N events one per transaction at RATE a second instead (from a thread of
this process, as requests commit in a serving process), keeps each commit's wall-clock time, and
adds the time from each event's commit to its first signed delivery arriving at the receiver
(p50 / p99, one machine, one clock): what a subscriber waits at that rate, not a backlog.
"""

from __future__ import annotations

import argparse
import asyncio
import base64
import contextlib
import json
import os
import secrets
import socket
import subprocess
import sys
import tempfile
import time
from dataclasses import replace
from pathlib import Path

import psutil

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))
DEFAULT_PG_URL = "postgresql+psycopg://postgres@127.0.0.1:5432/test"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


# --------------------------------------------------------------------------- the receiver process


def receiver_app(key: str):
    """A raw ASGI app: POST verifies the delivery and answers 204; GET answers the counts."""
    from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey
    from standardwebhooks.webhooks import Webhook

    counts = {"verified": 0, "invalid": 0, "ids": set(), "arrived": {}}
    if key.startswith("whpk_"):
        public = Ed25519PublicKey.from_public_bytes(base64.b64decode(key[5:]))

        def verify(body: bytes, headers: dict[str, str]) -> None:
            content = f"{headers['webhook-id']}.{headers['webhook-timestamp']}.".encode() + body
            public.verify(base64.b64decode(headers["webhook-signature"].split(" ")[0].partition(",")[2]), content)

    else:
        webhook = Webhook(key)

        def verify(body: bytes, headers: dict[str, str]) -> None:
            webhook.verify(body, headers, json_parse=False)

    async def app(scope, receive, send):
        if scope["type"] != "http":
            return
        body = b""
        while True:
            message = await receive()
            body += message.get("body", b"")
            if not message.get("more_body"):
                break
        if scope["method"] == "GET":
            answer = json.dumps({"verified": counts["verified"], "invalid": counts["invalid"], "distinct": len(counts["ids"]), "arrived": counts["arrived"]}).encode()
            await send({"type": "http.response.start", "status": 200, "headers": [(b"content-length", str(len(answer)).encode())]})
            await send({"type": "http.response.body", "body": answer})
            return
        headers = {k.decode().lower(): v.decode() for k, v in scope["headers"]}
        try:
            verify(body, headers)
            counts["verified"] += 1
            counts["ids"].add(headers["webhook-id"])
            counts["arrived"].setdefault(json.loads(body)["id"], time.time() * 1000)
        except Exception:  # noqa: BLE001 - any failure to verify is counted
            counts["invalid"] += 1
        await send({"type": "http.response.start", "status": 204, "headers": []})
        await send({"type": "http.response.body", "body": b""})

    return app


def run_receiver(port: int, key: str) -> None:
    import uvicorn

    uvicorn.run(receiver_app(key), host="127.0.0.1", port=port, log_level="warning", access_log=False, lifespan="off")


# --------------------------------------------------------------------------- setup


def open_bench_runtime(args, workdir: Path):
    """A migrated runtime on a fresh database; returns it and its cleanup."""
    from sqlalchemy import create_engine, text

    from backend.config import Settings
    from backend.runtime import open_runtime
    from backend.webhooks.settings import WebhookSettings

    webhooks = replace(WebhookSettings(), concurrency=args.concurrency)
    if args.db == "sqlite":
        settings = Settings(data_dir=workdir, database_url=f"sqlite:///{workdir / 'zentra.db'}", nats_url=None, redis_url=None, webhooks=webhooks)
        return open_runtime(settings), lambda: None
    schema = f"zbench_{secrets.token_hex(5)}"
    admin = create_engine(args.pg_url)
    with admin.begin() as conn:
        conn.execute(text(f"CREATE SCHEMA {schema}"))

    def drop() -> None:
        with admin.begin() as conn:
            conn.execute(text(f"DROP SCHEMA {schema} CASCADE"))
        admin.dispose()

    settings = Settings(data_dir=workdir, database_url=args.pg_url, nats_url=None, redis_url=None, webhooks=webhooks)
    return open_runtime(settings, schema=schema), drop


def create_endpoint(runtime, url: str, signing: str) -> tuple[str, str, str]:
    """(tenant id, endpoint id, the key the receiver verifies with)."""
    from backend.db import transactions
    from backend.tenancy.scope import Scope
    from backend.tenancy.tenants import create_tenant
    from backend.webhooks.endpoints import create_endpoint as create

    tenant = transactions.write(runtime.db, lambda s: create_tenant(s, "webhook bench"))
    body = {"url": url, "event_types": ["*"], "signing": signing, "rate_limit": 10_000}
    made = transactions.write(runtime.db, lambda s: create(s, Scope(tenant.tenant_id, "sandbox"), body, runtime.now()))
    return tenant.tenant_id, made["id"], made.get("secret") or made["public_key"]


def write_events(runtime, tenant_id: str, count: int) -> list:
    """`count` events in the outbox, committed in one transaction; their rows."""
    from sqlalchemy import select

    from backend.db import transactions
    from backend.db.tables import Event
    from backend.events.outbox import PendingEvent, record
    from backend.tenancy.scope import Scope

    now = runtime.now()
    events = [PendingEvent("bench.tick", f"obj_{i}", {"n": i}, now) for i in range(count)]
    transactions.write(runtime.db, lambda s: record(s, Scope(tenant_id, "sandbox"), events))
    ids = [e.id for e in events]
    return transactions.read(runtime.db, lambda s: s.execute(select(Event).where(Event.id.in_(ids)).order_by(Event.seq)).scalars().all())


def write_paced(runtime, tenant_id: str, count: int, rate: float) -> dict[str, float]:
    """`count` events, one per transaction, at `rate` a second; each id with the wall-clock time
    its transaction committed (ms since the epoch, the receiver's clock)."""
    from backend.db import transactions
    from backend.events.outbox import PendingEvent, record
    from backend.tenancy.scope import Scope

    scope, committed, started = Scope(tenant_id, "sandbox"), {}, time.perf_counter()
    for i in range(count):
        time.sleep(max(0.0, started + i / rate - time.perf_counter()))
        event = PendingEvent("bench.tick", f"obj_{i}", {"n": i}, runtime.now())
        transactions.write(runtime.db, lambda s, event=event: record(s, scope, [event]))
        committed[event.id] = time.time() * 1000
    return committed


def delivered(runtime, endpoint_id: str) -> int:
    from sqlalchemy import func, select

    from backend.db import transactions
    from backend.db.tables import WebhookMessage

    query = select(func.count()).select_from(WebhookMessage).where(WebhookMessage.endpoint_id == endpoint_id, WebhookMessage.status == "delivered")
    return transactions.read(runtime.db, lambda s: s.execute(query).scalar_one())


def attempt_stats(runtime, endpoint_id: str) -> dict:
    from sqlalchemy import select

    from backend.db import transactions
    from backend.db.tables import WebhookAttempt
    from backend.webhooks.health import percentile

    rows = transactions.read(runtime.db, lambda s: s.execute(select(WebhookAttempt.duration_ms, WebhookAttempt.status).where(WebhookAttempt.endpoint_id == endpoint_id)).all())
    durations = sorted(r.duration_ms for r in rows)
    return {"attempts": len(rows), "failed": sum(1 for r in rows if r.status != "succeeded"), "p50": percentile(durations, 0.5), "p99": percentile(durations, 0.99)}


# --------------------------------------------------------------------------- the run


async def publish_directly(nats_url: str, rows: list) -> None:
    import nats

    from backend.events.relay import message, publish_in_order
    from backend.events.stream import ensure_stream

    nc = await nats.connect(nats_url)
    try:
        js = nc.jetstream(publish_async_max_pending=1000)
        await ensure_stream(js)
        for start in range(0, len(rows), 1000):
            outcome = await publish_in_order(nc, js, [message(row) for row in rows[start : start + 1000]])
            assert outcome.problem is None, outcome.problem
    finally:
        await nc.close()


async def measure(args, runtime, nats_url: str, tenant_id: str, endpoint_id: str) -> tuple[float, float, dict[str, float]]:
    """(seconds from the events' commit to the last delivery recorded, CPU seconds this process
    spent meanwhile, all threads, and with `--paced` each event's commit time)."""
    import nats

    from backend.events.relay import Relay
    from backend.events.stream import STREAM
    from backend.webhooks.dispatcher import Dispatcher

    durable = f"webhooks-bench-{tenant_id}"
    dispatcher = Dispatcher(runtime, nats_url, subject=f"zentra.{tenant_id}.>", durable=durable, inactive_threshold=300)
    tasks = [asyncio.create_task(dispatcher.run())]
    try:
        await asyncio.wait_for(dispatcher.ready.wait(), 30)
        started, cpu, committed = time.perf_counter(), time.process_time(), {}
        if args.paced:  # the relay runs while the events trickle in
            tasks.append(asyncio.create_task(Relay(runtime.db, nats_url, now=runtime.now).run()))
            committed = await asyncio.to_thread(write_paced, runtime, tenant_id, args.events, args.paced)
        else:  # the events are all committed first, then relayed (or published) as a backlog
            rows = await asyncio.to_thread(write_events, runtime, tenant_id, args.events)
            if args.via == "relay":
                tasks.append(asyncio.create_task(Relay(runtime.db, nats_url, now=runtime.now).run()))
            else:
                await publish_directly(nats_url, rows)
        while (done := await asyncio.to_thread(delivered, runtime, endpoint_id)) < args.events:
            if time.perf_counter() - started > args.timeout:
                raise TimeoutError(f"only {done} of {args.events} delivered after {args.timeout} s")
            await asyncio.sleep(0.05)
        return time.perf_counter() - started, time.process_time() - cpu, committed
    finally:
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)
        nc = await nats.connect(nats_url)
        with contextlib.suppress(Exception):
            await nc.jetstream().delete_consumer(STREAM, durable)
        await nc.close()


@contextlib.contextmanager
def nats_server(workdir: Path):
    url = os.environ.get("ZENTRA_NATS_URL")
    if url:
        yield url
        return
    from backend.events.nats_server import EmbeddedNats

    with EmbeddedNats(workdir / "nats") as server:
        yield server.url


def run_loop(coroutine):
    """On uvloop when installed, as `zentra api` runs (uvicorn picks uvloop by itself)."""
    try:
        import uvloop
    except ImportError:
        return asyncio.run(coroutine)
    return uvloop.run(coroutine)


def receiver_counts(port: int) -> dict:
    import httpx

    return httpx.get(f"http://127.0.0.1:{port}/", timeout=10).json()


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--events", type=int, default=20_000)
    parser.add_argument("--db", choices=("sqlite", "postgres"), default="sqlite")
    parser.add_argument("--pg-url", default=os.environ.get("ZENTRA_BENCH_PG_URL", DEFAULT_PG_URL))
    parser.add_argument("--signing", choices=("hmac", "ed25519"), default="hmac")
    parser.add_argument("--via", choices=("relay", "stream"), default="relay", help="how events reach JetStream")
    parser.add_argument("--concurrency", type=int, default=16, help="attempts in flight per endpoint (ZENTRA_WEBHOOK_CONCURRENCY)")
    parser.add_argument("--timeout", type=float, default=300.0)
    parser.add_argument("--paced", type=float, metavar="RATE", help="write the events one per transaction at RATE a second (the relay carries them)")
    parser.add_argument("--receiver", nargs=2, metavar=("PORT", "KEY"), help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.paced is not None and (args.paced <= 0 or args.via != "relay"):
        parser.error("--paced takes a rate above 0, and its events go through the relay (not --via stream)")
    if args.receiver:
        run_receiver(int(args.receiver[0]), args.receiver[1])
        return 0

    with tempfile.TemporaryDirectory(prefix="zentra-whbench-") as tmp:
        workdir = Path(tmp)
        runtime, cleanup = open_bench_runtime(args, workdir)
        port = free_port()
        tenant_id, endpoint_id, key = create_endpoint(runtime, f"http://127.0.0.1:{port}/hooks", args.signing)
        receiver = subprocess.Popen([sys.executable, __file__, "--receiver", str(port), key], cwd=REPO)
        try:
            deadline = time.monotonic() + 20
            while True:
                with contextlib.suppress(OSError), socket.create_connection(("127.0.0.1", port), timeout=0.2):
                    break
                if time.monotonic() > deadline:
                    raise RuntimeError("receiver did not start")
                time.sleep(0.05)
            load = os.getloadavg()[0]
            receiver_cpu = psutil.Process(receiver.pid).cpu_times()
            with nats_server(workdir) as nats_url:
                elapsed, cpu, committed = run_loop(measure(args, runtime, nats_url, tenant_id, endpoint_id))
            receiver_cpu = sum(psutil.Process(receiver.pid).cpu_times()[:2]) - sum(receiver_cpu[:2])
            counts = receiver_counts(port)
            stats = attempt_stats(runtime, endpoint_id)
        finally:
            receiver.terminate()
            receiver.wait(10)
            runtime.db.dispose()
            cleanup()
    rate = args.events / elapsed
    how = f"paced at {args.paced:,.0f}/s, one per transaction, via relay" if args.paced else f"via {args.via}"
    print(f"webhook bench: {args.events} events, {args.db}, {args.signing}, {how}, {args.concurrency} in flight per endpoint; load average at start {load:.2f} on {os.cpu_count()} cores")
    print("| metric | value |")
    print("| --- | --- |")
    if committed:
        from backend.webhooks.health import percentile

        waits = sorted(counts["arrived"][event_id] - at for event_id, at in committed.items() if event_id in counts["arrived"])
        print(f"| commit -> first delivery at the receiver, paced at {args.paced:,.0f}/s: p50 / p99 ms | {percentile(waits, 0.5):.0f} / {percentile(waits, 0.99):.0f} |")
        print(f"| deliveries/s, paced (the writer's rate bounds it) | {rate:,.0f} |")
    else:
        print(f"| signed deliveries/s (commit of the events to the last delivery recorded) | {rate:,.0f} |")
    print(f"| elapsed, s | {elapsed:.2f} |")
    who = "writer, relay and dispatcher" if committed else "relay and dispatcher"
    print(f"| CPU per delivery, ms: this process ({who}) / receiver | {cpu / args.events * 1000:.2f} / {receiver_cpu / args.events * 1000:.2f} |")
    if not committed:
        print(f"| deliveries/s one core of this process's CPU would give | {args.events / cpu:,.0f} |")
    print(f"| attempts recorded (failed) | {stats['attempts']} ({stats['failed']}) |")
    print(f"| attempt duration p50 / p99, ms | {stats['p50']} / {stats['p99']} |")
    print(f"| receiver: verified / invalid / distinct webhook-ids | {counts['verified']} / {counts['invalid']} / {counts['distinct']} |")
    if not committed:
        print(f"| target >= 1,000/s | {'met' if rate >= 1000 else 'NOT met'} |")
    return 0 if counts["invalid"] == 0 and counts["distinct"] == args.events else 1


if __name__ == "__main__":
    sys.exit(main())
