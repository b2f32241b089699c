"""A real HTTP receiver scripted per request, a dispatcher for one test tenant's subjects, and
publishing a tenant's events to the shared stream the way the relay does."""

from __future__ import annotations

import asyncio
import base64
import contextlib
import threading
import time
from dataclasses import dataclass, field, replace
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import AsyncIterator, Iterator

import nats
from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey
from sqlalchemy import select

from backend.db import transactions
from backend.db.tables import Event
from backend.events.relay import message, publish_in_order
from backend.events.stream import STREAM, ensure_stream
from backend.runtime import Runtime
from backend.webhooks.addresses import Resolver, system_resolver
from backend.webhooks.dispatcher import Dispatcher
from backend.webhooks.settings import WebhookSettings

# Compressed for tests: the schedule's shape (immediately, then retries) in tenths of a second.
FAST = WebhookSettings(
    schedule=(0, 0.1, 0.1, 0.1, 0.1, 0.1, 0.1, 0.1),
    sandbox_schedule=(0, 0.1, 0.1, 0.1, 0.1, 0.1, 0.1, 0.1),
    timeout_seconds=0.5,
    poll_seconds=0.05,
    lease_seconds=30.0,
    concurrency=4,
)


@dataclass
class Received:
    headers: dict[str, str]
    body: bytes
    at: float


@dataclass
class Answer:
    """How the receiver answers one request: `status` after `delay` seconds."""

    status: int = 200
    delay: float = 0.0
    headers: dict[str, str] = field(default_factory=dict)


class Receiver:
    """A threaded HTTP server on 127.0.0.1: answers requests from `script` in order, then
    `default`, and keeps every request it saw (including ones the sender gave up on)."""

    def __init__(self, script: list[Answer] | None = None, default: Answer | None = None):
        self.script = list(script or [])
        self.default = default or Answer()
        self.received: list[Received] = []
        self.in_flight = 0
        self.peak = 0  # the most requests it was answering at once
        self._lock = threading.Lock()
        self._server = ThreadingHTTPServer(("127.0.0.1", 0), self._handler())
        self._server.daemon_threads = True
        self.url = f"http://127.0.0.1:{self._server.server_address[1]}/hooks"

    def _next(self, request: Received) -> Answer:
        with self._lock:
            self.received.append(request)
            self.in_flight += 1
            self.peak = max(self.peak, self.in_flight)
            return self.script.pop(0) if self.script else self.default

    def _done(self) -> None:
        with self._lock:
            self.in_flight -= 1

    def _handler(self):
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def do_POST(self) -> None:  # noqa: N802 - http.server's naming
                body = self.rfile.read(int(self.headers.get("content-length", 0)))
                answer = receiver._next(Received({k.lower(): v for k, v in self.headers.items()}, body, time.monotonic()))
                time.sleep(answer.delay)
                receiver._done()
                with contextlib.suppress(OSError):
                    self.send_response(answer.status)
                    for name, value in answer.headers.items():
                        self.send_header(name, value)
                    self.send_header("content-length", "2")
                    self.end_headers()
                    self.wfile.write(b"ok")

            def log_message(self, *args) -> None:
                pass

        return Handler

    @contextlib.contextmanager
    def running(self) -> Iterator["Receiver"]:
        thread = threading.Thread(target=self._server.serve_forever, daemon=True)
        thread.start()
        try:
            yield self
        finally:
            self._server.shutdown()
            self._server.server_close()


def verify_v1a(public_key: str, headers: dict[str, str], body: bytes) -> int:
    """How many `v1a` signatures verify with `public_key`, checked with `cryptography` as the
    Standard Webhooks spec defines them (the `standardwebhooks` Python package, 1.1.0, verifies
    `v1` only)."""
    key = Ed25519PublicKey.from_public_bytes(base64.b64decode(public_key.removeprefix("whpk_")))
    content = f"{headers['webhook-id']}.{headers['webhook-timestamp']}.".encode() + body
    valid = 0
    for signature in headers["webhook-signature"].split(" "):
        version, _, value = signature.partition(",")
        if version == "v1a":
            with contextlib.suppress(InvalidSignature):
                key.verify(base64.b64decode(value), content)
                valid += 1
    return valid


async def publish_events(runtime: Runtime, nats_url: str, tenant_id: str) -> int:
    """Publish the tenant's events as the relay does (its payload and `Nats-Msg-Id`); JetStream
    drops the ones it already has, so calling this again publishes only what is new."""
    rows = transactions.read(runtime.db, lambda s: s.execute(select(Event).where(Event.tenant_id == tenant_id).order_by(Event.seq)).scalars().all())
    nc = await nats.connect(nats_url)
    try:
        js = nc.jetstream()
        await ensure_stream(js)
        outcome = await publish_in_order(nc, js, [message(row) for row in rows])
        assert outcome.problem is None, outcome.problem
    finally:
        await nc.close()
    return len(rows)


@contextlib.asynccontextmanager
async def dispatching(runtime: Runtime, nats_url: str, tenant_id: str, settings: WebhookSettings = FAST, resolver: Resolver = system_resolver) -> AsyncIterator[Dispatcher]:
    """A dispatcher reading only `tenant_id`'s subjects through a consumer of its own (deleted
    afterwards), with `settings`."""
    own = Runtime(settings=replace(runtime.settings, webhooks=settings), db=runtime.db, now=runtime.now)
    durable = f"webhooks-test-{tenant_id}"
    dispatcher = Dispatcher(own, nats_url, subject=f"zentra.{tenant_id}.>", durable=durable, inactive_threshold=300, resolver=resolver)
    task = asyncio.create_task(dispatcher.run())
    try:
        await asyncio.wait_for(dispatcher.ready.wait(), 10)
        yield dispatcher
    finally:
        task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await task
        nc = await nats.connect(nats_url)
        with contextlib.suppress(Exception):
            await nc.jetstream().delete_consumer(STREAM, durable)
        await nc.close()


async def eventually(check, timeout: float = 10.0, interval: float = 0.05):
    """Poll `check` (sync, run in a thread) until it returns something truthy; return it."""
    deadline = time.monotonic() + timeout
    while True:
        value = await asyncio.to_thread(check)
        if value or time.monotonic() > deadline:
            assert value, "condition not met in time"
            return value
        await asyncio.sleep(interval)
