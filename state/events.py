"""The event timeline: the scope's events, newest first, a server-side page at a time, with new
events prepended live while the first page is shown."""

from __future__ import annotations

import orjson
import reflex as rx

from backend.events.log import latest_events
from state.display import PAGE_SIZE, when
from state.session import SessionState, read

MAX_DATA_CHARS = 160


def event_row(event: dict) -> dict[str, str]:
    """One event as the timeline shows it: when, what, which object, and a short data excerpt."""
    data = orjson.dumps(event["data"]).decode()
    return {
        "id": event["id"],
        "type": event["type"],
        "object": event["object"],
        "occurred_at": when(event["occurred_at"]),
        "correlation_id": event.get("correlation_id") or "",
        "data": data if len(data) <= MAX_DATA_CHARS else data[: MAX_DATA_CHARS - 1] + "…",
        "family": event["type"].split(".")[0],
    }


class EventsState(SessionState):
    rows: list[dict[str, str]] = []
    has_more: bool = False
    page_number: int = 1
    loaded: bool = False
    live_count: int = 0
    _cursors: list[int | None] = [None]
    _next_before: int | None = None

    @rx.var(cache=True)
    def has_prev(self) -> bool:
        return self.page_number > 1

    @rx.var(cache=True)
    def range_label(self) -> str:
        return f"page {self.page_number}" if self.rows else ""

    async def _fetch(self):
        scope = await self._scope()
        if scope is None:
            return self._to_signin()
        before = self._cursors[-1]
        page = await read(lambda s: latest_events(s, scope, before_seq=before, limit=PAGE_SIZE))
        self.rows = [event_row(e) for e in page["data"]]
        self.has_more, self._next_before = page["has_more"], page["next_before"]
        self.loaded = True

    @rx.event
    async def load(self):
        self._cursors, self.page_number, self.live_count = [None], 1, 0
        return await self._fetch()

    @rx.event
    async def next_page(self):
        if self.page_number == 1 and self.live_count:
            await self._fetch()  # pushed rows moved the first page: take its cursor afresh
        if self.has_more and self._next_before is not None:
            self._cursors = [*self._cursors, self._next_before]
            self.page_number += 1
        return await self._fetch()

    @rx.event
    async def prev_page(self):
        if len(self._cursors) > 1:
            self._cursors = self._cursors[:-1]
            self.page_number -= 1
        return await self._fetch()

    def prepend(self, events: list[dict]) -> None:
        """Events pushed from the stream (already verified as this session's scope), newest first;
        only the first page moves, later pages stay where the operator is reading."""
        self.live_count += len(events)
        if self.page_number != 1:
            return
        fresh = [event_row(e) for e in reversed(events) if all(r["id"] != e["id"] for r in self.rows)]
        self.rows = (fresh + self.rows)[:PAGE_SIZE]
        self.has_more = self.has_more or bool(fresh)
