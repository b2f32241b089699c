"""The dispatcher's lifetime: cancelling it stops it, even when the library call it was in
swallowed the cancellation (nats-py's `fetch` waits with `asyncio.wait_for`, which on Python 3.11
can return a result instead of raising when both arrive together)."""

from __future__ import annotations

import asyncio
import contextlib

import nats
from nats.js.client import JetStreamContext

from backend.events.stream import STREAM
from backend.webhooks.dispatcher import Dispatcher


async def test_a_cancelled_dispatcher_stops_even_when_a_fetch_swallowed_the_cancellation(runtime, tenant, nats_url, monkeypatch):
    original = JetStreamContext.PullSubscription.fetch
    swallowed: list[str] = []

    async def fetch(self, *args, **kwargs):
        try:
            return await original(self, *args, **kwargs)
        except asyncio.CancelledError:
            swallowed.append("fetch")
            return []

    monkeypatch.setattr(JetStreamContext.PullSubscription, "fetch", fetch)
    durable = f"webhooks-test-{tenant.tenant_id}"
    dispatcher = Dispatcher(runtime, nats_url, subject=f"zentra.{tenant.tenant_id}.>", durable=durable, inactive_threshold=300)
    task = asyncio.create_task(dispatcher.run())
    try:
        await asyncio.wait_for(dispatcher.ready.wait(), 10)
        await asyncio.sleep(0.2)  # inside a fetch, waiting for messages that do not come
        task.cancel()
        done, _ = await asyncio.wait({task}, timeout=10)
        assert swallowed == ["fetch"]
        assert task in done and task.cancelled()
        assert not [t for t in asyncio.all_tasks() if "Dispatcher." in t.get_coro().__qualname__]
    finally:
        task.cancel()
        nc = await nats.connect(nats_url)
        with contextlib.suppress(Exception):
            await nc.jetstream().delete_consumer(STREAM, durable)
        await nc.close()
