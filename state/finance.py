"""The finance room: state volume, webhook health, review backlog and holds by time to expiry over a
chosen window, live.

Viewing needs `finance.view` (admin, finance), checked on the server by
`backend.operators.actions.check` before every read. The reads are the `backend.finance`
aggregates (one row per bucket, state and currency, never raw tables), kept in backend-only vars;
the figures are cached vars built from them, and each chart's CSV export is built from the very
rows that figure drew. Pushed events refresh the room at most once per `REFRESH_GAP` seconds;
events that arrive inside the gap mark it `stale` and a one-second clock on the page catches up.
"""

from __future__ import annotations

import time

import plotly.graph_objects as go
import reflex as rx

from backend.clock import to_iso
from backend.errors import ZentraError
from backend.finance.backlog import holds_by_expiry, review_backlog
from backend.finance.buckets import WINDOWS, window
from backend.finance.deliveries import webhook_health
from backend.finance.export import delivery_rows, to_csv
from backend.finance.volume import state_volume, totals
from backend.operators import actions
from backend.runtime import current
from state import finance_figures as figures
from state.display import when
from state.session import HOME_ROUTE, SessionState, call, read

DEFAULT_WINDOW = "24h"
REFRESH_GAP = 1.0  # seconds between two reads caused by pushed events


def _clock() -> float:
    """Wall time (not monotonic: with several workers a session's pushes may come from another)."""
    return time.time()


class FinanceState(SessionState):
    """`/finance`: the scope's aggregates over `window`, the volume chart in `currency`."""

    window: str = DEFAULT_WINDOW
    currency: str = ""
    currencies: list[str] = []
    loaded: bool = False
    stale: bool = False
    refreshed_at: str = ""
    load_error: str = ""

    volume_tiles: list[dict[str, str]] = []
    open_reviews: int = 0
    reviews_over_sla: int = 0
    webhook_success: str = "—"
    webhook_attempts: int = 0

    # Backend-only: the aggregate rows as `backend.finance` returned them (never sent as is).
    _volume: dict = {}
    _health: dict = {}
    _backlog: list[dict] = []
    _holds: list[dict] = []
    _fetched_at: float = 0.0

    # Figures ----------------------------------------------------------------------------------

    @rx.var(cache=True)
    def volume_figure(self) -> go.Figure:
        return figures.volume_figure(self._volume, self.currency)

    @rx.var(cache=True)
    def volume_row_count(self) -> int:
        return len(figures.volume_rows(self._volume, self.currency))

    @rx.var(cache=True)
    def success_figure(self) -> go.Figure:
        return figures.success_figure(self._health)

    @rx.var(cache=True)
    def latency_figure(self) -> go.Figure:
        return figures.latency_figure(self._health)

    @rx.var(cache=True)
    def endpoint_count(self) -> int:
        return len(self._health.get("endpoints", []))

    @rx.var(cache=True)
    def backlog_figure(self) -> go.Figure:
        return figures.backlog_figure(self._backlog)

    @rx.var(cache=True)
    def holds_figure(self) -> go.Figure:
        return figures.holds_figure(self._holds)

    @rx.var(cache=True)
    def active_holds(self) -> int:
        return figures.count_of(self._holds)

    # Reads ------------------------------------------------------------------------------------

    async def _checked(self):
        """The operator, verified now with `finance.view` on the server (a refusal is recorded
        there), or None and where to send them."""
        if not self._token:
            if self.tenant_id:
                self._forget()
            return None, self._to_signin()
        try:
            operator = await call(actions.check, self._token, "finance.view")
        except ZentraError as err:
            if err.code == "forbidden":
                return None, rx.redirect(HOME_ROUTE)
            self._forget()
            self.signin_error = "Your session ended (signed out, expired, or your access changed). Sign in again."
            return None, self._to_signin()
        self._show(operator)
        return operator, None

    async def _fetch(self):
        operator, away = await self._checked()
        if operator is None:
            return away
        scope, now = operator.scope, current().now()
        since, until, bucket = window(self.window, now)

        def unit(s):
            return (
                state_volume(s, scope, since, until, bucket),
                totals(s, scope, since, until),
                webhook_health(s, scope, since, until, bucket),
                review_backlog(s, scope, now),
                holds_by_expiry(s, scope, now),
            )

        self._fetched_at = _clock()
        try:
            volume, headline, health, backlog, holds = await read(unit)
        except ZentraError as err:
            self.load_error = err.message
            return
        self._volume, self._health, self._backlog, self._holds = volume, health, backlog, holds
        self.currencies = figures.currencies_of(volume, headline)
        if self.currency not in self.currencies:
            self.currency = self.currencies[0] if self.currencies else ""
        self.volume_tiles = figures.headline(headline)
        self.open_reviews = figures.count_of(backlog)
        self.reviews_over_sla = figures.count_of(backlog, figures.REVIEW_SLA_BUCKET)
        self.webhook_success, self.webhook_attempts = figures.success_rate(health)
        self.refreshed_at = when(to_iso(now), self.time_zone)
        self.loaded, self.stale, self.load_error = True, False, ""

    @rx.event
    async def load(self):
        self._volume, self._health, self._backlog, self._holds = {}, {}, [], []
        self.loaded, self.stale, self.load_error = False, False, ""
        self.volume_tiles, self.currencies = [], []
        return await self._fetch()

    @rx.event
    async def refresh(self):
        return await self._fetch()

    @rx.event
    async def tick(self, _moment: str = ""):
        """The window slides and holds near expiry without any event: read again now and then."""
        if self.tenant_id and self.loaded:
            return await self._fetch()

    @rx.event
    async def catch_up(self, _moment: str = ""):
        """Events arrived while the last read was too recent: read once the gap has passed."""
        if self.stale and _clock() - self._fetched_at >= REFRESH_GAP:
            return await self._fetch()

    async def refresh_live(self, events: list[dict]) -> None:
        """Events pushed from the stream (already this session's scope): read again, at most once
        per `REFRESH_GAP`, however fast they come."""
        if not self.loaded or not events:
            return
        if _clock() - self._fetched_at < REFRESH_GAP:
            self.stale = True
            return
        await self._fetch()

    # Controls ---------------------------------------------------------------------------------

    @rx.event
    async def set_window(self, value: str | list[str]):
        """From the segmented control, which may send its value as a one-item list."""
        chosen = str(value[0] if isinstance(value, list) and value else value)
        if chosen not in WINDOWS or chosen == self.window:
            return
        self.window = chosen
        return await self._fetch()

    @rx.event
    def set_currency(self, value: str):
        if value in self.currencies:
            self.currency = value

    # Exports: exactly the rows each chart draws -----------------------------------------------

    async def _download(self, name: str, rows: list[dict], columns: list[str]):
        operator, away = await self._checked()
        if operator is None:
            return away
        filename = f"zentra-{operator.tenant_id}-{operator.mode}-{name}-{self.window}.csv"
        return rx.download(data=to_csv(rows, columns), filename=filename, mime_type="text/csv")

    @rx.event
    async def export_volume(self):
        return await self._download(f"volume-{self.currency or 'none'}", figures.volume_rows(self._volume, self.currency), figures.VOLUME_COLUMNS)

    @rx.event
    async def export_deliveries(self):
        return await self._download("webhook-success", delivery_rows(self._health) if self._health else [], figures.DELIVERY_COLUMNS)

    @rx.event
    async def export_latency(self):
        return await self._download("webhook-latency", figures.latency_rows(self._health), figures.LATENCY_COLUMNS)

    @rx.event
    async def export_backlog(self):
        return await self._download("review-backlog", self._backlog, figures.BACKLOG_COLUMNS)

    @rx.event
    async def export_holds(self):
        return await self._download("holds-by-expiry", self._holds, figures.BACKLOG_COLUMNS)
