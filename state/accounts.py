"""The accounts room: one server-side page of the tenant's accounts at a time, searchable."""

from __future__ import annotations

import reflex as rx

from backend.ledger.accounts import list_accounts
from backend.runtime import current
from state.display import PAGE_SIZE, account_row
from state.paging import OffsetPages
from state.session import SessionState, read


class AccountsState(OffsetPages, SessionState):
    query: str = ""
    show_system: bool = False

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
        if self._moved_back(page, offset):
            return await self._fetch()
        self._show_page(page, [account_row(a) for a in page["data"]])

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
