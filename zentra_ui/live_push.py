"""The live operations room: this backend worker follows the event stream and pushes each event
to its own connected sessions of the event's tenant and mode.

Each session gets its events in small bursts (at most one push per `MIN_GAP` seconds, however
fast events arrive), through `app.modify_state`, which sends the resulting delta over that
session's socket. With several workers each one follows the stream and serves only the sessions
whose sockets it holds.
"""

from __future__ import annotations

import asyncio
import logging

import reflex as rx

from backend.events.feed import follow
from backend.runtime import current
from backend.timeouts import stop_if_cancelled
from state.live import LiveState
from state.watchers import watchers_of

log = logging.getLogger("zentra.live")

# The first event after a quiet spell goes out at once; under a steady flow a session gets at
# most five pushes a second. Each push redraws the page's live table, so the gap sets how much of
# a browser's main thread the flow takes: at 200 events/s with five browsers on /events, 0.1 s
# (7.5 pushes/s a page) left the machine's two cores saturated on PostgreSQL and the commit-to-DOM
# p99 of every event at 440-560 ms; 0.2 s (4.4/s) brought it to 270-310 ms (bench/ui.py, README).
MIN_GAP = 0.2


class Pusher:
    """Per-session queues of pushed events, each drained by one short-lived task."""

    def __init__(self, app: rx.App):
        self.app = app
        self.pending: dict[str, list[dict]] = {}
        self.tasks: dict[str, asyncio.Task] = {}

    def offer(self, event: dict) -> None:
        connected = self.app.event_namespace.token_to_sid if self.app.event_namespace else {}
        for token in watchers_of(event.get("tenant", ""), event.get("mode", "")):
            if token not in connected:
                continue
            self.pending.setdefault(token, []).append(event)
            if token not in self.tasks:
                self.tasks[token] = asyncio.create_task(self._drain(token))

    async def _drain(self, token: str) -> None:
        try:
            while events := self.pending.pop(token, []):
                await self._push(token, events)
                await asyncio.sleep(MIN_GAP)
        finally:
            self.tasks.pop(token, None)

    async def _push(self, token: str, events: list[dict]) -> None:
        try:
            async with self.app.modify_state(rx.BaseStateToken(ident=token, cls=LiveState)) as state:
                await (await state.get_state(LiveState)).absorb(events)
        except Exception:  # noqa: BLE001 - one session's failure must not stop the others' pushes
            log.exception("live push to a session failed")


async def push_forever(app: rx.App) -> None:
    """Follow the stream until shutdown; without a NATS URL the room refreshes on its own clocks."""
    url = current().settings.nats_url
    if not url:
        log.info("ZENTRA_NATS_URL is not set: live push is off")
        return
    pusher = Pusher(app)
    while True:
        stop_if_cancelled()  # a feed failure after a swallowed cancellation must not reconnect
        try:
            async for event in follow(url):
                pusher.offer(event)
        except asyncio.CancelledError:
            raise
        except Exception:  # noqa: BLE001 - reconnect after any feed failure
            log.exception("live feed failed; reconnecting")
            await asyncio.sleep(1)
