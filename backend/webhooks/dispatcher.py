"""The webhook dispatcher: events from JetStream to every subscribed endpoint, retried on schedule.

Three loops share one event loop:

- **consume**: a durable pull consumer on the event stream (`backend.events.stream`). Each batch
  becomes message rows (`messages.fan_out`, idempotent per endpoint and event) and is
  acknowledged only after they are committed, so an event is never lost between the stream and
  the database; a batch seen twice makes no second message. Several processes sharing the
  durable consumer share the work.
- **due**: every `poll_seconds` (and whenever a retry scheduled here comes due) claims the
  messages whose `next_attempt_at` has passed, from the database, so retries survive restarts
  and a dispatcher that died leaves its claimed messages to the others once their lease ends.
- **settle**: attempt outcomes are written in batches (`messages.settle`), each attempt with its
  message's new state and its `webhook.*` event in one transaction.

Each endpoint has a lane: its own queue, at most `concurrency` attempts at once, its own token
bucket (shared across processes through Redis when ZENTRA_REDIS_URL is set) and its own kept-alive
connections. A lane holds about two seconds of its endpoint's recent throughput (a slow endpoint
only a few rounds of its slots), and the due loop and the consumer only claim for lanes with
room, so a slow endpoint fills its own lane and nothing else: other endpoints' deliveries never
wait behind it.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import ssl
import time
from datetime import timedelta
from typing import Any, Coroutine

import nats
import orjson
from nats.js.api import AckPolicy, ConsumerConfig, DeliverPolicy
from redis.asyncio import Redis

from backend.db import transactions
from backend.events.stream import STREAM, SUBJECTS, ensure_stream
from backend.outbound.connections import Connections
from backend.ratelimit.buckets import InProcessBuckets, Limit, TokenBuckets
from backend.ratelimit.redis_buckets import RedisBuckets
from backend.runtime import Runtime
from backend.timeouts import stop_if_cancelled, within
from backend.webhooks import delivery
from backend.webhooks.addresses import Resolver, system_resolver
from backend.webhooks.endpoints import INTERNAL_PREFIX
from backend.webhooks.messages import Job, Settled, claim, due, fan_out, settle

log = logging.getLogger("zentra.webhooks")

FETCH_BATCH = 256
FETCH_WAIT_SECONDS = 1.0
ACK_WAIT_SECONDS = 30.0
SETTLE_BATCH = 500
THROUGHPUT_WINDOW_SECONDS = 2.0
MAX_LANE_JOBS = 5000
SETTLE_GATHER_SECONDS = 0.05
WAKE_HORIZON_SECONDS = 60.0
LANE_IDLE_SECONDS = 60.0
RETRY_SECONDS = 1.0
REDIS_TIMEOUT_SECONDS = 0.5
EVENT_FIELDS = ("id", "type", "tenant", "mode", "occurred_at")


class Lane:
    """One endpoint's deliveries: a queue, `concurrency` slots, a token bucket, its connections.

    `taken` counts jobs out of the queue and not yet finished (waiting for a token or a slot, or
    being attempted). The lane holds about THROUGHPUT_WINDOW_SECONDS of its endpoint's recent
    deliveries, never less than the dispatcher's minimum, so a fast endpoint is fed in large
    claims and a slow one holds little. A job whose claim would end before its attempt could is
    dropped unattempted (an endpoint that slowed down suddenly), so no message is ever attempted
    by two dispatchers at once."""

    def __init__(self, dispatcher: "Dispatcher", endpoint_id: str):
        self.dispatcher = dispatcher
        self.endpoint_id = endpoint_id
        self.queue: asyncio.Queue[Job] = asyncio.Queue()
        self.slots = asyncio.Semaphore(dispatcher.settings.concurrency)
        self.taken = 0
        self.connections = Connections(dispatcher.ssl_context, dispatcher.settings.concurrency)
        self._rate = 0.0
        self._finished = 0
        self._since = time.monotonic()
        self._asked = False

    def capacity(self) -> int:
        return max(self.dispatcher.lane_minimum, min(MAX_LANE_JOBS, int(self._rate * THROUGHPUT_WINDOW_SECONDS)))

    def room(self) -> int:
        return self.capacity() - self.queue.qsize() - self.taken

    def push(self, job: Job) -> None:
        self.queue.put_nowait(job)
        self._asked = False

    def drop_queued(self) -> None:
        """Forget the jobs not started yet (their endpoint was disabled)."""
        while not self.queue.empty():
            self.dispatcher.active.discard(self.queue.get_nowait().message_id)

    async def run(self) -> None:
        """Start queued jobs as slots and tokens allow; end after LANE_IDLE_SECONDS without work."""
        try:
            while True:
                try:
                    job = await within(LANE_IDLE_SECONDS, self.queue.get())
                except TimeoutError:
                    if self.queue.empty() and self.taken == 0:
                        return
                    continue
                self.taken += 1
                await self.dispatcher.pace(self.endpoint_id, job)
                await self.slots.acquire()
                if self.dispatcher.lease_left(job) > self.dispatcher.settings.timeout_seconds:
                    self.dispatcher.spawn(self._attempt(job))
                else:  # the claim may end mid-attempt: leave the message to whoever claims it next
                    self.dispatcher.active.discard(job.message_id)
                    self.taken -= 1
                    self.slots.release()
        finally:
            if self.dispatcher.lanes.get(self.endpoint_id) is self:
                del self.dispatcher.lanes[self.endpoint_id]
            self.connections.close()

    async def _attempt(self, job: Job) -> None:
        try:
            outcome = await delivery.attempt(
                self.connections, job, timeout=self.dispatcher.settings.timeout_seconds, now=self.dispatcher.runtime.now, resolver=self.dispatcher.resolver
            )
            self.dispatcher.settle_later(job, outcome)
        finally:
            self.taken -= 1
            self.slots.release()
            self._finished_one()

    def _finished_one(self) -> None:
        """Track throughput, and ask the due loop for more once half the lane is free."""
        self._finished += 1
        elapsed = time.monotonic() - self._since
        if elapsed >= 1.0:
            self._rate = 0.5 * self._rate + 0.5 * self._finished / elapsed
            self._finished, self._since = 0, time.monotonic()
        if not self._asked and self.room() >= self.capacity() // 2:
            self._asked = True
            self.dispatcher.wake()


class Dispatcher:
    """Delivers webhooks until cancelled. `subject` narrows the consumer (tests read only their
    tenant's subjects on a shared stream); `durable` names it (default: the setting)."""

    def __init__(
        self,
        runtime: Runtime,
        nats_url: str,
        *,
        subject: str = SUBJECTS[0],
        durable: str | None = None,
        inactive_threshold: float | None = None,
        resolver: Resolver = system_resolver,
    ):
        self.runtime = runtime
        self.settings = runtime.settings.webhooks
        self.nats_url = nats_url
        self.subject = subject
        self.durable = durable or self.settings.consumer
        self.inactive_threshold = inactive_threshold
        self.resolver = resolver
        self.lanes: dict[str, Lane] = {}
        self.active: set[str] = set()
        self.ready = asyncio.Event()
        self.lane_minimum = self._lane_minimum()
        self._buckets = _buckets(runtime)
        self.ssl_context = ssl.create_default_context()
        self._tasks: set[asyncio.Task] = set()
        self._outcomes: list[tuple[Job, delivery.Outcome]] = []
        self._outcomes_ready = asyncio.Event()
        self._wake = asyncio.Event()

    def _lane_minimum(self) -> int:
        """Jobs any lane may hold, queued or taken: four rounds of its slots, but never more than
        it surely works through within half a lease at its slowest (every attempt timing out, or
        one attempt a second, the lowest rate an endpoint can ask for), so a claimed message is
        attempted before its lease ends. A lane that proves faster holds more (`Lane.capacity`)."""
        slots, lease = self.settings.concurrency, self.settings.lease_seconds
        return max(1, min(4 * slots, int(lease / 2), int(slots * lease / (2 * self.settings.timeout_seconds))))

    async def run(self) -> None:
        """Until cancelled. A task group, not `gather`: cancelled, it waits for all three loops to
        stop before the lanes are cancelled and the last outcomes written."""
        try:
            async with asyncio.TaskGroup() as group:
                for loop in (self._consume_forever(), self._due_forever(), self._settle_forever()):
                    group.create_task(loop)
        finally:
            for task in list(self._tasks):
                task.cancel()
            await asyncio.gather(*self._tasks, return_exceptions=True)
            await self._settle_rest()

    # -- lanes --------------------------------------------------------------------------------

    def spawn(self, coroutine: Coroutine[Any, Any, Any]) -> None:
        task = asyncio.create_task(coroutine)
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    def wake(self) -> None:
        """Run the due loop now."""
        self._wake.set()

    def lease_left(self, job: Job) -> float:
        return (job.lease_until - self.runtime.now()).total_seconds()

    def rooms(self) -> dict[str, int]:
        return {endpoint_id: lane.room() for endpoint_id, lane in self.lanes.items()}

    def enqueue(self, jobs: list[Job]) -> None:
        for job in jobs:
            if job.message_id in self.active:
                continue
            self.active.add(job.message_id)
            lane = self.lanes.get(job.endpoint_id)
            if lane is None:
                lane = self.lanes[job.endpoint_id] = Lane(self, job.endpoint_id)
                self.spawn(lane.run())
            lane.push(job)

    async def pace(self, endpoint_id: str, job: Job) -> None:
        """Wait for a token of the endpoint's bucket (its own `rate_limit`, else the default)."""
        limit = Limit(job.rate_limit, 2 * job.rate_limit) if job.rate_limit else self.settings.rate_limit
        while await self._buckets.take([(f"webhook:{endpoint_id}", limit)]) is not None:
            await asyncio.sleep(1 / limit.rate)

    # -- consume ------------------------------------------------------------------------------

    async def _consume_forever(self) -> None:
        while True:
            stop_if_cancelled()  # a failure after a swallowed cancellation lands here, not in the fetch loop
            try:
                await self._consume()
            except Exception as exc:  # noqa: BLE001 - an outage must never stop deliveries for good
                log.warning("webhook consumer: %s; reconnecting in %.0f s", exc, RETRY_SECONDS)
                await asyncio.sleep(RETRY_SECONDS)

    async def _consume(self) -> None:
        nc = await nats.connect(self.nats_url, name="zentra-webhooks", max_reconnect_attempts=-1, connect_timeout=2, error_cb=_quiet)
        try:
            js = nc.jetstream()
            await ensure_stream(js)
            config = ConsumerConfig(
                ack_policy=AckPolicy.EXPLICIT,
                deliver_policy=DeliverPolicy.NEW,
                ack_wait=ACK_WAIT_SECONDS,
                max_ack_pending=4 * FETCH_BATCH,
                inactive_threshold=self.inactive_threshold,
            )
            subscription = await js.pull_subscribe(self.subject, durable=self.durable, stream=STREAM, config=config)
            self.ready.set()
            while True:
                try:
                    batch = await subscription.fetch(FETCH_BATCH, timeout=FETCH_WAIT_SECONDS)
                except nats.errors.TimeoutError:
                    batch = []
                stop_if_cancelled()
                if batch:
                    await self._fan_out(batch)
        finally:
            with contextlib.suppress(Exception):
                await nc.close()

    async def _fan_out(self, batch: list) -> None:
        """Messages for a batch of stream messages, committed before the batch is acknowledged."""
        views = [view for view in map(_event_view, batch) if view is not None]
        jobs: list[Job] = []
        while views:
            now = self.runtime.now()
            lease_until = now + timedelta(seconds=self.settings.lease_seconds)
            rooms = self.rooms()
            try:
                jobs = await asyncio.to_thread(transactions.write, self.runtime.db, lambda s: fan_out(s, views, rooms, self.lane_minimum, now, lease_until))
                break
            except Exception:  # noqa: BLE001 - e.g. the database restarting: keep the batch, try again
                log.exception("webhook fan-out failed; retrying")
                await asyncio.sleep(RETRY_SECONDS)
        for msg in batch:
            await msg.ack()
        self.enqueue(jobs)

    # -- due ----------------------------------------------------------------------------------

    async def _due_forever(self) -> None:
        while True:
            try:
                await self._claim_due()
            except Exception:  # noqa: BLE001 - a failed pass is logged and retried
                log.exception("webhook due pass failed")
            with contextlib.suppress(TimeoutError):
                await within(self.settings.poll_seconds, self._wake.wait())
            self._wake.clear()

    async def _claim_due(self) -> None:
        """Claim what is due, as much as each lane has room for."""
        rooms = self.rooms()
        now = self.runtime.now()
        candidates = await asyncio.to_thread(transactions.read, self.runtime.db, lambda s: due(s, now, rooms, self.lane_minimum))
        picked = [message_id for message_id, _ in candidates if message_id not in self.active]
        if not picked:
            return
        lease_until = now + timedelta(seconds=self.settings.lease_seconds)
        jobs = await asyncio.to_thread(transactions.write, self.runtime.db, lambda s: claim(s, picked, now, lease_until))
        self.enqueue(jobs)

    # -- settle -------------------------------------------------------------------------------

    def settle_later(self, job: Job, outcome: delivery.Outcome) -> None:
        self._outcomes.append((job, outcome))
        self._outcomes_ready.set()

    async def _settle_forever(self) -> None:
        loop = asyncio.get_running_loop()
        while True:
            await self._outcomes_ready.wait()
            await asyncio.sleep(SETTLE_GATHER_SECONDS)
            batch, self._outcomes = self._outcomes[:SETTLE_BATCH], self._outcomes[SETTLE_BATCH:]
            if not self._outcomes:
                self._outcomes_ready.clear()
            try:
                settled = await self._settle(batch)
            except Exception:  # noqa: BLE001 - keep the outcomes and write them when the database is back
                log.exception("settling webhook attempts failed; retrying")
                self._outcomes[:0] = batch
                self._outcomes_ready.set()
                await asyncio.sleep(RETRY_SECONDS)
                continue
            for endpoint_id in settled.disabled:
                if endpoint_id in self.lanes:
                    self.lanes[endpoint_id].drop_queued()
            for delay in {round(d, 2) for d in settled.retry_delays if d <= WAKE_HORIZON_SECONDS}:
                loop.call_later(delay, self.wake)

    async def _settle(self, batch: list[tuple[Job, delivery.Outcome]]) -> Settled:
        now = self.runtime.now()
        settled = await asyncio.to_thread(transactions.write, self.runtime.db, lambda s: settle(s, batch, self.settings, now))
        for job, _ in batch:
            self.active.discard(job.message_id)
        return settled

    async def _settle_rest(self) -> None:
        """On the way out, record what was attempted (the rest is retried after its lease)."""
        if self._outcomes:
            with contextlib.suppress(Exception):
                await self._settle(self._outcomes)


def _event_view(msg) -> dict | None:
    """The event a stream message carries, or None for one no webhook is made from (the
    dispatcher's own `webhook.*` events are known by their subject, without parsing them)."""
    if msg.subject.split(".", 3)[-1].startswith(INTERNAL_PREFIX):
        return None
    try:
        view = orjson.loads(msg.data)
    except orjson.JSONDecodeError:
        log.warning("skipping a non-JSON message on %s", msg.subject)
        return None
    if not isinstance(view, dict) or not all(isinstance(view.get(name), str) for name in EVENT_FIELDS):
        log.warning("skipping a message without an event on %s", msg.subject)
        return None
    return None if view["type"].startswith(INTERNAL_PREFIX) else view


def _buckets(runtime: Runtime) -> TokenBuckets:
    """Per-endpoint buckets: in Redis when configured (every worker shares an endpoint's rate),
    otherwise in this process."""
    if runtime.settings.redis_url:
        client = Redis.from_url(runtime.settings.redis_url, socket_timeout=REDIS_TIMEOUT_SECONDS, socket_connect_timeout=REDIS_TIMEOUT_SECONDS)
        return RedisBuckets(client, prefix="zentra:wh:")
    return InProcessBuckets()


async def _quiet(exc: Exception) -> None:
    log.debug("nats: %r", exc)


async def run_forever(runtime: Runtime, nats_url: str) -> None:
    """The serving process's dispatcher (a lifespan task beside the relay)."""
    await Dispatcher(runtime, nats_url).run()
