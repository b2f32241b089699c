"""Newest-first pages walked with a server cursor (the audit rail, the event timeline).

Each page shown keeps the cursor it was read from, so Prev returns to exactly that page however
many rows arrived since; the states using it define `_fetch`, which reads the page at
`_cursor()` and hands the answer to `_took`.
"""

from __future__ import annotations

import reflex as rx


class KeysetPages(rx.State, mixin=True):
    has_more: bool = False
    page_number: int = 1
    _cursors: list[int | None] = [None]
    _next_before: int | None = None

    @rx.var(cache=True)
    def has_prev(self) -> bool:
        return self.page_number > 1

    def _first_page(self) -> None:
        self._cursors, self.page_number = [None], 1

    def _cursor(self) -> int | None:
        return self._cursors[-1]

    def _took(self, page: dict) -> None:
        """Remember where the page just read ends (`has_more`, `next_before`)."""
        self.has_more, self._next_before = page["has_more"], page["next_before"]

    def _cursor_stale(self) -> bool:
        """Whether the first page's cursor must be read again before moving on (rows were pushed)."""
        return False

    @rx.event
    async def next_page(self):
        if self.page_number == 1 and self._cursor_stale():
            await self._fetch()
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
