"""`/finance`: headline tiles, then state volume, webhook health, review backlog and holds by time to
expiry over a chosen window, each chart with the CSV of exactly the rows it draws. Live."""

from __future__ import annotations

import reflex as rx

from backend.finance.buckets import WINDOWS
from state.finance import FinanceState as F
from zentra_ui.components import plain
from zentra_ui.components.shell import shell
from zentra_ui.components.ui import MONO, empty, label, mono, panel

ROUTE = "/finance"
ON_LOAD = F.load
TITLE = "Finance · Zentra"

CATCH_UP_MS = 1_000
SLIDE_MS = 30_000
PLOTLY_CONFIG = {"displayModeBar": False, "responsive": True}


def _figure_text(value, test_id: str, **props) -> rx.Component:
    return rx.text(
        value,
        font_family=MONO,
        size="6",
        weight="medium",
        style={"font_variant_numeric": "tabular-nums", "letter_spacing": "-0.02em"},
        class_name="zt-figure",
        data_testid=test_id,
        **props,
    )


def _tile(title, value, hint, test_id: str, strong: bool = False, **props) -> rx.Component:
    return rx.box(
        label(title),
        _figure_text(value, test_id),
        rx.text(hint, size="1", color_scheme="gray"),
        class_name="zt-panel zt-balance" + (" zt-balance-strong" if strong else ""),
        padding="16px 18px",
        flex="1",
        min_width="220px",
        **props,
    )


def _volume_tile(t: rx.Var[dict[str, str]]) -> rx.Component:
    return _tile(
        "Ledgered · " + t["currency"],
        t["amount"],
        t["count"] + " intents reached ledgered in the window",
        "volume-tile-amount",
        strong=True,
        data_currency=t["currency"],
        data_amount_minor=t["amount_minor"],
        data_testid="volume-tile",
    )


def _tiles() -> rx.Component:
    return rx.hstack(
        rx.cond(
            F.volume_tiles.length() > 0,
            rx.foreach(F.volume_tiles, _volume_tile),
            _tile("Ledgered", rx.cond(F.loaded, "—", "…"), "No intents in this window yet", "volume-tile-empty", strong=True),
        ),
        _tile("Open reviews", F.open_reviews.to_string(), F.reviews_over_sla.to_string() + " past the 4 h SLA", "tile-open-reviews"),
        _tile("Webhook success", F.webhook_success, F.webhook_attempts.to_string() + " delivery attempts in the window", "tile-webhook-success"),
        spacing="3",
        width="100%",
        wrap="wrap",
    )


def _controls() -> rx.Component:
    return rx.hstack(
        rx.text("Window", size="1", color_scheme="gray"),
        rx.segmented_control.root(
            *[rx.segmented_control.item(name, value=name, data_testid=f"window-{name}") for name in WINDOWS],
            value=F.window,
            on_change=F.set_window,
            size="1",
            aria_label="Time range",
        ),
        rx.spacer(),
        rx.cond(F.stale, plain.badge("updating", color_scheme="amber", radius="full", class_name="zt-mono")),
        rx.cond(F.refreshed_at != "", mono("as of " + F.refreshed_at, size="1", color_scheme="gray", data_testid="finance-refreshed")),
        rx.button(rx.icon("refresh-cw", size=14), size="1", variant="ghost", color_scheme="gray", on_click=F.refresh, title="Refresh", data_testid="finance-refresh"),
        align="center",
        width="100%",
        spacing="3",
    )


def _export(on_click, has_rows, test_id: str) -> rx.Component:
    return rx.button(rx.icon("download", size=14), "Export CSV", size="1", variant="soft", color_scheme="gray", on_click=on_click, disabled=~has_rows, data_testid=test_id)


def _chart(figure, height: str, test_id: str, **props) -> rx.Component:
    return rx.box(
        rx.plotly.basic(data=figure, config=PLOTLY_CONFIG, width="100%", height=height),
        width="100%",
        class_name="zt-chart",
        data_testid=test_id,
        **props,
    )


def _card(title: str, hint: str, body: rx.Component, has_rows, nothing: str, export, test_id: str, *controls: rx.Component, flex: str = "1 1 460px") -> rx.Component:
    """A chart panel: title and hint, its controls and Export CSV, then the chart (or why not)."""
    return panel(
        rx.vstack(
            rx.hstack(
                rx.vstack(rx.text(title, size="3", weight="medium"), rx.text(hint, size="1", color_scheme="gray"), spacing="1", align="start"),
                rx.spacer(),
                *controls,
                _export(export, has_rows & F.loaded, f"{test_id}-export"),
                align="start",
                width="100%",
                spacing="3",
            ),
            rx.cond(F.loaded, rx.cond(has_rows, body, empty(nothing, icon="chart-no-axes-column")), empty("Loading…", icon="loader")),
            spacing="3",
            width="100%",
        ),
        flex=flex,
        min_width="0",
    )


def _currency_select() -> rx.Component:
    return rx.cond(
        F.currencies.length() > 0,
        rx.select.root(
            rx.select.trigger(data_testid="volume-currency", aria_label="Currency"),
            rx.select.content(rx.foreach(F.currencies, lambda c: rx.select.item(c, value=c))),
            value=F.currency,
            on_change=F.set_currency,
            size="1",
        ),
    )


def _volume() -> rx.Component:
    return _card(
        "State volume",
        "Money entering each intent state per time bucket, in the chosen currency (hover: major units, exact minor units, intents).",
        _chart(F.volume_figure, "300px", "volume-chart", data_rows=F.volume_row_count.to_string(), data_currency=F.currency),
        F.volume_row_count > 0,
        "No intents in this window yet",
        F.export_volume,
        "volume",
        _currency_select(),
        flex="1 1 100%",
    )


def _webhooks() -> rx.Component:
    return rx.flex(
        _card(
            "Webhook success rate",
            "Share of delivery attempts that succeeded, per endpoint and time bucket (gaps: no attempts).",
            _chart(F.success_figure, "260px", "success-chart"),
            F.webhook_attempts > 0,
            "No delivery attempts in this window yet",
            F.export_deliveries,
            "success",
        ),
        _card(
            "Delivery latency",
            "p50, p95 and p99 per endpoint over the window's attempts.",
            _chart(F.latency_figure, "260px", "latency-chart"),
            F.endpoint_count > 0,
            "No webhook endpoints in this tenant and mode",
            F.export_latency,
            "latency",
        ),
        gap="16px",
        width="100%",
        wrap="wrap",
    )


def _waiting() -> rx.Component:
    return rx.flex(
        _card(
            "Review backlog by age",
            "Open reviews by how long they have waited; the last bucket is past the 4 h review SLA (labelled PAST SLA and hatched).",
            _chart(F.backlog_figure, "240px", "backlog-chart"),
            F.open_reviews > 0,
            "No open reviews",
            F.export_backlog,
            "backlog",
        ),
        _card(
            "Holds by time to expiry",
            "Active holds by how soon they expire (hover: amount per currency).",
            _chart(F.holds_figure, "240px", "holds-chart"),
            F.active_holds > 0,
            "No active holds",
            F.export_holds,
            "holds",
        ),
        gap="16px",
        width="100%",
        wrap="wrap",
    )


def page() -> rx.Component:
    return shell(
        "Finance",
        rx.text("Volumes, webhook health and what is waiting, for this tenant and mode, read from aggregates and refreshed as events arrive. Exports are the rows each chart draws, amounts in integer minor units.", size="2", color_scheme="gray"),
        _controls(),
        rx.cond(F.load_error != "", rx.callout(F.load_error, icon="triangle-alert", color_scheme="tomato", size="1", width="100%")),
        _tiles(),
        rx.flex(_volume(), width="100%"),
        _webhooks(),
        _waiting(),
        rx.cond(F.stale, rx.moment(interval=CATCH_UP_MS, on_change=F.catch_up, display="none")),
        rx.moment(interval=SLIDE_MS, on_change=F.tick, display="none"),
    )
