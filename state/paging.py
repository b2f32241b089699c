"""Offset pages of a server-side list (accounts, intents, the review queue, holds, endpoints).

The browser only ever holds one page of `PAGE_SIZE` rows; Prev and Next move the offset and read
again. A list whose rows can go away under the page (a narrower filter, a decided review) falls
back from a page read past the end to the last page that still has rows, so the operator never
sees an empty page with rows before it.

A state that shows one such list mixes in `OffsetPages` and defines `_fetch`, the read of the
page at `offset`. States that page a secondary list under prefixed names (a policy's history, an
endpoint's attempts, an account's sections) use the offset arithmetic below directly.
"""

from __future__ import annotations

import reflex as rx

from state.display import PAGE_SIZE, page_label


def next_offset(offset: int, shown: int, total: int) -> int:
    """The offset of the page after the one shown, or the same offset on the last page."""
    return offset + PAGE_SIZE if offset + shown < total else offset


def prev_offset(offset: int) -> int:
    return max(0, offset - PAGE_SIZE)


def last_offset(total: int) -> int:
    """The offset of the last page that holds any of `total` rows."""
    return max(0, (total - 1) // PAGE_SIZE * PAGE_SIZE)


class OffsetPages(rx.State, mixin=True):
    """One server-side page of `rows` at `offset` out of `total`, and its pager's vars and events."""

    rows: list[dict[str, str]] = []
    total: int = 0
    total_exact: bool = True
    offset: int = 0
    loaded: bool = False

    @rx.var(cache=True)
    def range_label(self) -> str:
        return page_label(self.offset, len(self.rows), self.total, self.total_exact)

    @rx.var(cache=True)
    def has_prev(self) -> bool:
        return self.offset > 0

    @rx.var(cache=True)
    def has_next(self) -> bool:
        return self.offset + len(self.rows) < self.total

    def _moved_back(self, page: dict, offset: int) -> bool:
        """Move to the last page when `page` (`data`, `total`), read at `offset`, is empty only
        because it starts past the end; the caller then reads again."""
        if page["data"] or not offset or not page["total"]:
            return False
        self.offset = last_offset(page["total"])
        return True

    def _show_page(self, page: dict, rows: list[dict[str, str]]) -> None:
        """Show `rows`, the rendered `data` of `page` (whose `total` may be a capped count)."""
        self.rows, self.total, self.loaded = rows, page["total"], True
        self.total_exact = page.get("total_exact", True)

    @rx.event
    async def next_page(self):
        self.offset = next_offset(self.offset, len(self.rows), self.total)
        return await self._fetch()

    @rx.event
    async def prev_page(self):
        self.offset = prev_offset(self.offset)
        return await self._fetch()
