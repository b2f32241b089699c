"""The screening room: the screening lists every counterparty is checked against (the current
version of each, with its size and who loaded it), and the registered customers with their KYC
status, filtered by status or found by their customer reference.

Reading needs `screening.view` (admin, support, compliance). Loading a list and setting a KYC
status stay with the API (`POST /v1/screening/lists`, `POST /v1/customers/{id}/kyc`), whose
changes reach the room live. Both lists are paged on the server: the browser holds one page of
each.
"""

from __future__ import annotations

import reflex as rx

from backend.runtime import current
from backend.screening.customers import KYC_STATUSES, list_customers
from backend.screening.lists import list_lists
from state.display import PAGE_SIZE, UTC, clock, page_label, stamp
from state.paging import OffsetPages, next_offset, prev_offset
from state.pushed import any_of_type
from state.session import SessionState, read

ANY = "any"
KYC_CHOICES = (ANY, *KYC_STATUSES)
MAX_SEARCH_CHARS = 200
LIVE_PREFIXES = ("screening.list_loaded", "customer.")


def list_row(view: dict, zone: str = UTC) -> dict[str, str]:
    return {
        "id": view["id"],
        "name": view["name"],
        "version": str(view["version"]),
        "entries": f"{view['entry_count']:,}",
        "source": view["source"] or "",
        "loaded_by": view["loaded_by"] or "",
        **stamp("loaded_at", view["loaded_at"], zone),
    }


def customer_row(view: dict, zone: str = UTC) -> dict[str, str]:
    return {
        "id": view["id"],
        "customer": view["customer"],
        "name": view["name"],
        "kyc_status": view["kyc_status"],
        "updated_by": view["updated_by"] or "",
        **stamp("updated_at", view["updated_at"], zone),
    }


def touches_screening(events: list[dict]) -> bool:
    """Whether a pushed burst changed what the room shows (a list loaded, a customer changed)."""
    return any_of_type(events, *LIVE_PREFIXES)


class ScreeningState(OffsetPages, SessionState):
    """`/screening`: customers (the main, filtered page) and the current screening lists."""

    kyc_filter: str = ANY
    query: str = ""
    lists: list[dict[str, str]] = []
    lists_total: int = 0
    lists_offset: int = 0
    refreshed_at: str = ""

    @rx.var(cache=True)
    def lists_range(self) -> str:
        return page_label(self.lists_offset, len(self.lists), self.lists_total)

    @rx.var(cache=True)
    def lists_has_prev(self) -> bool:
        return self.lists_offset > 0

    @rx.var(cache=True)
    def lists_has_next(self) -> bool:
        return self.lists_offset + len(self.lists) < self.lists_total

    @rx.var(cache=True)
    def empty_message(self) -> str:
        if self.query.strip():
            return f"No customer “{self.query.strip()}” is registered in this tenant and mode."
        if self.kyc_filter != ANY:
            return f"No customer with KYC status {self.kyc_filter}."
        return "No customers registered yet. Register one with POST /v1/customers."

    async def _fetch(self):
        operator, away = await self._allowed("screening.view")
        if operator is None:
            return away
        scope, offset, lists_offset = operator.scope, self.offset, self.lists_offset
        status = None if self.kyc_filter == ANY else self.kyc_filter
        customer = self.query.strip() or None

        def unit(s):
            return list_customers(s, scope, customer=customer, kyc_status=status, limit=PAGE_SIZE, offset=offset), list_lists(s, scope, limit=PAGE_SIZE, offset=lists_offset)

        customers, lists = await read(unit)
        if self._moved_back(customers, offset):
            return await self._fetch()
        zone = self.time_zone
        self._show_page(customers, [customer_row(v, zone) for v in customers["data"]])
        self.lists, self.lists_total = [list_row(v, zone) for v in lists["data"]], lists["total"]
        self.refreshed_at = clock(current().now(), zone)

    @rx.event
    async def load(self):
        self.offset, self.lists_offset = 0, 0
        return await self._fetch()

    @rx.event
    async def refresh(self):
        return await self._fetch()

    async def refresh_live(self, events: list[dict]):
        if touches_screening(events):
            await self._fetch()

    @rx.event
    async def set_kyc_filter(self, value: str):
        self.kyc_filter, self.offset = (value if value in KYC_CHOICES else ANY), 0
        return await self._fetch()

    @rx.event
    async def search(self, value: str):
        self.query, self.offset = str(value)[:MAX_SEARCH_CHARS], 0
        return await self._fetch()

    @rx.event
    async def clear_filters(self):
        self.query, self.kyc_filter, self.offset = "", ANY, 0
        return await self._fetch()

    @rx.event
    async def lists_next(self):
        self.lists_offset = next_offset(self.lists_offset, len(self.lists), self.lists_total)
        return await self._fetch()

    @rx.event
    async def lists_prev(self):
        self.lists_offset = prev_offset(self.lists_offset)
        return await self._fetch()
