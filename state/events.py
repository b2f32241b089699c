"""The event timeline: the scope's events, newest first, a server-side page at a time, with new
events prepended live while the first page is shown."""

from __future__ import annotations

import orjson
import reflex as rx

from backend.events.log import latest_events
from state.display import PAGE_SIZE, UTC, stamp
from state.keyset import KeysetPages
from state.session import SessionState, read

MAX_DATA_CHARS = 160


def event_row(event: dict, zone: str = UTC) -> dict[str, str]:
    """One event as the timeline shows it: when (in the operator's `zone`), what, which object,
    and a short data excerpt."""
    data = orjson.dumps(event["data"]).decode()
    return {
        "id": event["id"],
        "type": event["type"],
        "object": event["object"],
        **stamp("occurred_at", event["occurred_at"], zone),
        "correlation_id": event.get("correlation_id") or "",
        "data": data if len(data) <= MAX_DATA_CHARS else data[: MAX_DATA_CHARS - 1] + "…",
        "family": event["type"].split(".")[0],
    }


class EventsState(KeysetPages, SessionState):
    rows: list[dict[str, str]] = []
    loaded: bool = False
    live_count: int = 0

    @rx.var(cache=True)
    def range_label(self) -> str:
        return f"page {self.page_number}" if self.rows else ""

    async def _fetch(self):
        scope = await self._scope()
        if scope is None:
            return self._to_signin()
        before = self._cursor()
        page = await read(lambda s: latest_events(s, scope, before_seq=before, limit=PAGE_SIZE))
        self.rows = [event_row(e, self.time_zone) for e in page["data"]]
        self._took(page)
        self.loaded = True

    @rx.event
    async def load(self):
        self._first_page()
        self.live_count = 0
        return await self._fetch()

    def _cursor_stale(self) -> bool:
        return self.live_count > 0  # pushed rows moved the first page: take its cursor afresh

    def prepend(self, events: list[dict]) -> None:
        """Events pushed from the stream (already verified as this session's scope), newest first;
        only the first page moves, later pages stay where the operator is reading.

        Runs for every push to every session on /events: it reads the rows once, unproxied
        (walking `self.rows` wraps each row in a Reflex proxy), formats only the events that
        will be shown, and assigns the page once."""
        self.live_count += len(events)
        if self.page_number != 1:
            return
        shown: list[dict[str, str]] = self.get_value("rows")
        fresh = [event_row(e, self.time_zone) for e in _unseen(events, {r["id"] for r in shown})]
        if fresh:
            self.rows = (fresh + shown)[:PAGE_SIZE]
            self.has_more = True


def _unseen(events: list[dict], seen: set[str]) -> list[dict]:
    """Of `events` (a burst, oldest first), the newest `PAGE_SIZE` not in `seen`, newest first:
    a redelivery of an event already shown, or a repeat within the burst, is left out."""
    out: list[dict] = []
    for event in reversed(events):
        if len(out) == PAGE_SIZE:
            break
        if event["id"] not in seen:
            seen.add(event["id"])
            out.append(event)
    return out
