"""The accounts room: one server-side page of the tenant's accounts at a time, searchable."""

from __future__ import annotations

import reflex as rx

from backend.ledger.accounts import list_accounts
from backend.runtime import current
from state.display import PAGE_SIZE, account_row, page_label
from state.session import SessionState, read


class AccountsState(SessionState):
    rows: list[dict[str, str]] = []
    total: int = 0
    offset: int = 0
    query: str = ""
    show_system: bool = False
    loaded: bool = False

    @rx.var(cache=True)
    def range_label(self) -> str:
        return page_label(self.offset, len(self.rows), self.total)

    @rx.var(cache=True)
    def has_prev(self) -> bool:
        return self.offset > 0

    @rx.var(cache=True)
    def has_next(self) -> bool:
        return self.offset + len(self.rows) < self.total

    @rx.var(cache=True)
    def empty_message(self) -> str:
        if self.query.strip():
            return f"No account matches “{self.query.strip()}”."
        return "No accounts in this tenant and mode yet. Open one with POST /v1/accounts."

    async def _fetch(self):
        scope = await self._scope()
        if scope is None:
            return self._to_signin()
        search, offset, system = self.query.strip() or None, self.offset, self.show_system
        now = current().now()
        page = await read(lambda s: list_accounts(s, scope, now, search=search, include_system=system, limit=PAGE_SIZE, offset=offset))
        if not page["data"] and offset and page["total"]:
            # The page emptied under us (a narrower search): go back to the last one that exists.
            self.offset = max(0, (page["total"] - 1) // PAGE_SIZE * PAGE_SIZE)
            return await self._fetch()
        self.rows = [account_row(a) for a in page["data"]]
        self.total = page["total"]
        self.loaded = True

    @rx.event
    async def load(self):
        return await self._fetch()

    @rx.event
    async def search(self, value: str):
        self.query = value[:200]
        self.offset = 0
        return await self._fetch()

    @rx.event
    async def toggle_system(self, value: bool):
        self.show_system = bool(value)
        self.offset = 0
        return await self._fetch()

    @rx.event
    async def next_page(self):
        if self.offset + len(self.rows) < self.total:
            self.offset += PAGE_SIZE
        return await self._fetch()

    @rx.event
    async def prev_page(self):
        self.offset = max(0, self.offset - PAGE_SIZE)
        return await self._fetch()
