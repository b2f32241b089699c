"""One account: balances and facts, and three server-paged sections (postings, holds, history)."""

from __future__ import annotations

import plotly.graph_objects as go
import reflex as rx

from backend.errors import ZentraError
from backend.ledger.accounts import get_account
from backend.ledger.holds import list_holds
from backend.ledger.queries import balance_history, postings_for_account
from backend.money.currencies import format_minor
from backend.runtime import current
from state.display import (
    PAGE_SIZE,
    account_facts,
    clock,
    history_row,
    hold_row,
    page_label,
    posting_row,
)
from state.holds import HoldDialog
from state.paging import last_offset
from state.session import SessionState, read

SECTIONS = ("postings", "holds", "history")


def _nice_step(span: int) -> int:
    """A 1/2/5 x 10^k step in minor units giving about four gridlines over `span`."""
    raw = max(1, span // 4)
    magnitude = 10 ** (len(str(raw)) - 1)
    for factor in (1, 2, 5, 10):
        if factor * magnitude >= raw:
            return factor * magnitude
    return 10 * magnitude


def _axis(values: list[int], currency: str) -> tuple[list[int], list[int], list[str]]:
    """The y range and integer tick positions, labelled by `format_minor` (no float formats money)."""
    low, high = min(values), max(values)
    if low == high:
        pad = max(1, abs(low) // 10)
        low, high = low - pad, high + pad
    step = _nice_step(high - low)
    start = (low // step) * step
    ticks = list(range(start, high + step, step))
    pad = max(1, (high - low) // 12)
    return [min(low - pad, ticks[0]), max(high + pad, ticks[-1])], ticks, [format_minor(t, currency) for t in ticks]


def balance_figure(points: list[dict], currency: str) -> go.Figure:
    """Posted and available after each journal line of the page, oldest to newest, as steps."""
    fig = go.Figure()
    if points:
        xs = [p["at"] for p in points]
        for key, name, color, dash in (("posted", "Posted", "#3fb8af", "solid"), ("available", "Available", "#c8a24a", "dot")):
            ys = [p[key] for p in points]
            fig.add_trace(
                go.Scatter(
                    x=xs,
                    y=ys,
                    name=name,
                    mode="lines+markers",
                    line={"shape": "hv", "color": color, "width": 2, "dash": dash},
                    marker={"size": 5, "color": color},
                    customdata=[format_minor(y, currency) for y in ys],
                    hovertemplate="%{customdata}<extra>" + name.lower() + "</extra>",
                )
            )
        yrange, tickvals, ticktext = _axis([p[k] for p in points for k in ("posted", "available")], currency)
    else:
        yrange, tickvals, ticktext = [-1, 1], [0], [format_minor(0, currency) if currency else "0"]
    fig.update_layout(
        template=go.layout.Template(),
        height=260,
        margin={"l": 8, "r": 8, "t": 8, "b": 8},
        paper_bgcolor="rgba(0,0,0,0)",
        plot_bgcolor="rgba(0,0,0,0)",
        font={"family": "ui-monospace, SFMono-Regular, Menlo, Consolas, 'Liberation Mono', monospace", "size": 11, "color": "#9ba7b4"},
        hovermode="x unified",
        hoverlabel={"bgcolor": "#14181d", "bordercolor": "#2a3139", "font": {"color": "#e6edf3"}},
        legend={"orientation": "h", "x": 0, "y": 1.12, "bgcolor": "rgba(0,0,0,0)"},
        xaxis={"gridcolor": "#1c2229", "linecolor": "#2a3139", "zeroline": False, "type": "date"},
        yaxis={"gridcolor": "#1c2229", "linecolor": "#2a3139", "zerolinecolor": "#2a3139", "tickvals": tickvals, "ticktext": ticktext, "range": yrange, "automargin": True},
        showlegend=True,
    )
    return fig


class AccountState(SessionState):
    # `account_id` is the page's dynamic route var; these hold the account on screen.
    shown_id: str = ""
    loaded: bool = False
    not_found: bool = False
    account: dict[str, str] = {}
    section: str = "postings"

    postings: list[dict[str, str]] = []
    postings_total: int = 0
    postings_offset: int = 0

    holds: list[dict[str, str]] = []
    holds_total: int = 0
    holds_offset: int = 0

    history: list[dict[str, str]] = []
    history_total: int = 0
    history_offset: int = 0
    # Chart points of the history page (integers in minor units), oldest first.
    _history_points: list[dict] = []
    refreshed_at: str = ""

    @rx.var(cache=True)
    def history_figure(self) -> go.Figure:
        return balance_figure(self._history_points, self.account.get("currency", ""))

    @rx.var(cache=True)
    def postings_range(self) -> str:
        return page_label(self.postings_offset, len(self.postings), self.postings_total)

    @rx.var(cache=True)
    def holds_range(self) -> str:
        return page_label(self.holds_offset, len(self.holds), self.holds_total)

    @rx.var(cache=True)
    def history_range(self) -> str:
        return page_label(self.history_offset, len(self.history), self.history_total)

    @rx.var(cache=True)
    def postings_has_next(self) -> bool:
        return self.postings_offset + len(self.postings) < self.postings_total

    @rx.var(cache=True)
    def holds_has_next(self) -> bool:
        return self.holds_offset + len(self.holds) < self.holds_total

    @rx.var(cache=True)
    def history_has_next(self) -> bool:
        return self.history_offset + len(self.history) < self.history_total

    def _route_account_id(self) -> str:
        """The `[account_id]` segment of the page's route (Reflex's dynamic route var)."""
        return str(getattr(self, "account_id", "") or "")

    def _clear(self) -> None:
        self.account = {}
        self.postings, self.holds, self.history, self._history_points = [], [], [], []
        self.postings_total = self.holds_total = self.history_total = 0

    async def _fetch(self, sections: tuple[str, ...] = ("account", *SECTIONS)):
        scope = await self._scope()
        if scope is None:
            return self._to_signin()
        account_id = self._route_account_id()
        if account_id != self.shown_id:
            self.shown_id = account_id
            self.postings_offset = self.holds_offset = self.history_offset = 0
            self.section = "postings"
            self._clear()
        runtime = current()
        now = runtime.now()
        offsets = (self.postings_offset, self.holds_offset, self.history_offset)

        def unit(s):
            out = {"account": get_account(s, scope, account_id, now)}
            if "postings" in sections:
                out["postings"] = postings_for_account(s, scope, account_id, limit=PAGE_SIZE, offset=offsets[0])
            if "holds" in sections:
                out["holds"] = list_holds(s, scope, account_id=account_id, limit=PAGE_SIZE, offset=offsets[1])
            if "history" in sections:
                out["history"] = balance_history(s, scope, account_id, limit=PAGE_SIZE, offset=offsets[2])
            return out

        try:
            result = await read(unit)
        except ZentraError as exc:
            if exc.code != "not_found":
                raise
            # Another tenant's or mode's id looks exactly like one that never existed.
            self._clear()
            self.not_found, self.loaded = True, True
            return
        view = result["account"]
        zone = self.time_zone
        self.account = account_facts(view, zone)
        currency, normal = view["currency"], view["normal_balance"]
        if "postings" in result:
            page = result["postings"]
            self.postings = [posting_row(p, account_id, zone) for p in page["data"]]
            self.postings_total = page["total"]
        if "holds" in result:
            page = result["holds"]
            self.holds = [hold_row(h, zone) for h in page["data"]]
            self.holds_total = page["total"]
        if "history" in result:
            page = result["history"]
            self.history = [history_row(line, currency, normal, zone) for line in page["data"]]
            self.history_total = page["total"]
            self._history_points = [{"at": line["effective_at"], "posted": int(line["posted"]), "available": int(line["available"])} for line in reversed(page["data"])]
        self.not_found, self.loaded = False, True
        self.refreshed_at = clock(now, zone)

    @rx.event
    async def load(self):
        self.loaded = self._route_account_id() == self.shown_id and self.loaded
        return await self._fetch()

    @rx.event
    async def refresh(self):
        return await self._fetch()

    @rx.event
    async def set_section(self, value: str):
        if await self._scope() is None:
            return self._to_signin()
        if value in SECTIONS:
            self.section = value

    async def _page(self, section: str, delta: int):
        attr = f"{section}_offset"
        total = getattr(self, f"{section}_total")
        offset = min(max(0, getattr(self, attr) + delta * PAGE_SIZE), last_offset(total))
        setattr(self, attr, offset)
        return await self._fetch(("account", section))

    @rx.event
    async def postings_next(self):
        return await self._page("postings", 1)

    @rx.event
    async def postings_prev(self):
        return await self._page("postings", -1)

    @rx.event
    async def holds_next(self):
        return await self._page("holds", 1)

    @rx.event
    async def holds_prev(self):
        return await self._page("holds", -1)

    @rx.event
    async def history_next(self):
        return await self._page("history", 1)

    @rx.event
    async def history_prev(self):
        return await self._page("history", -1)


class HoldActionState(HoldDialog, AccountState):
    """Capture, release or extend one of the account's holds (support and admin), with a reason."""
