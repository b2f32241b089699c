"""Following the event stream live: every event published to JetStream, as it is published.

The operations room needs each event once, quickly, in each backend worker, and only while the
worker runs (a page that (re)connects loads its data from the database first), so a core NATS
subscription on the stream's subjects is enough: no durable consumer to clean up per worker.
The relay publishes each event's `GET /v1/events` view as the message body.
"""

from __future__ import annotations

import asyncio
import logging
from typing import AsyncIterator

import nats
import orjson

from backend.events.stream import SUBJECTS
from backend.timeouts import stop_if_cancelled

log = logging.getLogger("zentra.feed")


async def follow(nats_url: str) -> AsyncIterator[dict]:
    """Yield each published event (its view: `id`, `type`, `tenant`, `mode`, `object`, `data`,
    `occurred_at`, `correlation_id`) until cancelled; reconnects are nats-py's job."""
    client = await nats.connect(nats_url, name="zentra-live-feed", max_reconnect_attempts=-1)
    queue: asyncio.Queue[bytes] = asyncio.Queue(maxsize=10_000)

    async def on_message(msg) -> None:
        try:
            queue.put_nowait(msg.data)
        except asyncio.QueueFull:
            log.warning("live feed is behind by 10,000 events; dropping: pages reload from the database")

    subscriptions = [await client.subscribe(subject, cb=on_message) for subject in SUBJECTS]
    try:
        while True:
            stop_if_cancelled()  # `connect` waits with wait_for, which may have swallowed it
            data = await queue.get()
            try:
                yield orjson.loads(data)
            except orjson.JSONDecodeError:
                log.warning("skipping a non-JSON message on the event stream")
    finally:
        for subscription in subscriptions:
            await subscription.unsubscribe()
        await client.drain()
