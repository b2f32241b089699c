"""Helpers for the relay tests: a relay in a thread or a process, a stream of postings through the
real API, and what the stream holds for one tenant next to what the event log says."""

from __future__ import annotations

import asyncio
import contextlib
import subprocess
import sys
import threading
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Callable

import nats
import orjson
from nats.js.api import AckPolicy, ConsumerConfig
from sqlalchemy import func, select, update

from backend.db import transactions
from backend.db.engine import Database
from backend.db.tables import Event
from backend.events.relay import MSG_ID, Relay
from backend.events.stream import STREAM, scope_subjects, subject
from backend.runtime import Runtime
from tests.conftest import Api, TenantKeys, TestDatabase

REPO = Path(__file__).resolve().parents[3]
DEADLINE_SECONDS = 60.0


def wait_until(condition: Callable[[], bool], what: str, timeout: float = DEADLINE_SECONDS) -> None:
    """Poll `condition`; the deadline only turns a hang into a failure naming what never happened."""
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out waiting for {what}")
        time.sleep(0.05)


class RelayThread:
    """A relay on its own event loop in a thread, so the test can post synchronously meanwhile;
    leaving the block cancels it and waits until it released its lock."""

    def __init__(self, db: Database, nats_url: str):
        self.relay = Relay(db, nats_url)
        self._ready = threading.Event()
        self._thread = threading.Thread(target=lambda: asyncio.run(self._main()), daemon=True)

    async def _main(self) -> None:
        self._loop = asyncio.get_running_loop()
        self._stop = asyncio.Event()
        task = asyncio.create_task(self.relay.run())
        self._ready.set()
        await self._stop.wait()
        task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await task

    def __enter__(self) -> "RelayThread":
        self._thread.start()
        self._ready.wait(10)
        return self

    def __exit__(self, *_exc) -> None:
        self._loop.call_soon_threadsafe(self._stop.set)
        self._thread.join(30)
        assert not self._thread.is_alive(), "the relay did not stop"


def relay_process(test_database: TestDatabase, data_dir: Path, nats_url: str, log: Path) -> subprocess.Popen:
    """`zentra relay` in a child process on the test database."""
    env = {**test_database.env(data_dir), "ZENTRA_NATS_URL": nats_url}
    with open(log, "ab") as out:
        return subprocess.Popen([sys.executable, "-m", "backend.cli", "relay"], env=env, cwd=REPO, stdout=out, stderr=subprocess.STDOUT)


class Poster:
    """Postings through the real API from a thread, one after another, until the block ends."""

    def __init__(self, api: Api, debit: str, credit: str):
        self.api, self.debit, self.credit = api, debit, credit
        self.made = 0
        self.refused: list[str] = []
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)

    def _run(self) -> None:
        while not self._stop.is_set():
            r = self.api.post("/ledger-entries", {"debit": self.debit, "credit": self.credit, "amount_minor": 1})
            if r.status_code == 201:
                self.made += 1
            else:
                self.refused.append(r.text)

    def wait_for(self, more: int) -> None:
        """Until `more` further postings have committed."""
        target = self.made + more
        wait_until(lambda: self.made >= target or bool(self.refused), f"{more} more postings")

    def __enter__(self) -> "Poster":
        self._thread.start()
        return self

    def __exit__(self, *_exc) -> None:
        self._stop.set()
        self._thread.join(30)
        assert not self.refused, self.refused[:3]


def unpublished(runtime: Runtime, tenant_id: str) -> int:
    stmt = select(func.count()).where(Event.tenant_id == tenant_id, Event.published_at.is_(None))
    return transactions.read(runtime.db, lambda s: s.execute(stmt).scalar_one())


def published(runtime: Runtime, tenant_id: str) -> int:
    stmt = select(func.count()).where(Event.tenant_id == tenant_id, Event.published_at.is_not(None))
    return transactions.read(runtime.db, lambda s: s.execute(stmt).scalar_one())


def forget_published(runtime: Runtime, tenant_id: str) -> None:
    """What a relay that died after JetStream acknowledged these events, before marking them, leaves."""
    stmt = update(Event).where(Event.tenant_id == tenant_id).values(published_at=None)
    transactions.write(runtime.db, lambda s: s.execute(stmt))


@dataclass
class Streamed:
    subject: str
    msg_id: str
    event: dict


def streamed(nats_url: str, filter_subject: str) -> list[Streamed]:
    """Every message of the stream on `filter_subject`, in stream order."""
    return asyncio.run(_read(nats_url, filter_subject))


async def _read(nats_url: str, filter_subject: str) -> list[Streamed]:
    nc = await nats.connect(nats_url)
    try:
        js = nc.jetstream()
        sub = await js.pull_subscribe(filter_subject, stream=STREAM, config=ConsumerConfig(ack_policy=AckPolicy.NONE))
        pending = (await sub.consumer_info()).num_pending
        found: list[Streamed] = []
        while len(found) < pending:
            for msg in await sub.fetch(min(500, pending - len(found)), timeout=10):
                found.append(Streamed(msg.subject, msg.headers[MSG_ID], orjson.loads(msg.data)))
        await sub.unsubscribe()
        return found
    finally:
        await nc.close()


def event_log(api: Api) -> list[dict]:
    """The tenant's sandbox events as `GET /v1/events` pages through them, in commit order."""
    events: list[dict] = []
    while True:
        params = {"limit": 100, **({"after": events[-1]["id"]} if events else {})}
        page = api.get("/events", params=params).json()
        events += page["data"]
        if not page["has_more"]:
            return events


def assert_stream_holds_the_log(nats_url: str, api: Api, tenant: TenantKeys) -> None:
    """The stream holds each of the tenant's events exactly once, in commit order, on its
    subject, with the event id as message id and the event as `GET /v1/events` shows it."""
    log = event_log(api)
    sandbox = streamed(nats_url, scope_subjects(tenant.tenant_id, "sandbox"))
    assert [m.msg_id for m in sandbox] == [e["id"] for e in log]
    assert [m.subject for m in sandbox] == [subject(tenant.tenant_id, "sandbox", e["type"]) for e in log]
    assert [m.event for m in sandbox] == log
    every_mode = streamed(nats_url, f"zentra.{tenant.tenant_id}.>")
    assert len(every_mode) == len({m.msg_id for m in every_mode})
