"""`/webhooks`: the scope's webhook endpoints; each links to its own page."""

from __future__ import annotations

import reflex as rx

from state.webhooks import WebhooksState
from zentra_ui.components.shell import shell
from zentra_ui.components.ui import data_table, empty, mono, pager, panel, status_badge

ROUTE = "/webhooks"
ON_LOAD = WebhooksState.load
TITLE = "Webhooks · Zentra"

HEADERS = [("Endpoint", "left"), ("URL", "left"), ("Events", "left"), ("Signing", "left"), ("Status", "left"), ("Created", "left")]


def _row(row: rx.Var[dict[str, str]]) -> rx.Component:
    return rx.table.row(
        rx.table.cell(rx.link(mono(row["id"]), href="/webhooks/" + row["id"], color_scheme="teal", underline="hover", data_testid="endpoint-link")),
        rx.table.cell(mono(row["url"], size="1")),
        rx.table.cell(mono(row["event_types"], size="1", color_scheme="gray")),
        rx.table.cell(mono(row["signing"], size="1")),
        rx.table.cell(rx.hstack(status_badge(row["status"]), mono(row["disabled_reason"], size="1", color_scheme="gray"), spacing="2")),
        rx.table.cell(mono(row["created_at"], size="1", color_scheme="gray")),
        class_name="zt-row",
        data_testid="endpoint-row",
    )


def page() -> rx.Component:
    return shell(
        "Webhooks",
        rx.text("Endpoints receive every event they subscribe to, signed per Standard Webhooks, with retries on the contract's schedule. Create them with POST /v1/webhook-endpoints.", size="2", color_scheme="gray"),
        panel(
            rx.cond(
                WebhooksState.endpoints.length() > 0,
                data_table(HEADERS, rx.foreach(WebhooksState.endpoints, _row)),
                rx.cond(WebhooksState.loaded, empty("No webhook endpoints in this tenant and mode yet."), empty("Loading…", icon="loader")),
            ),
            pager(WebhooksState.range_label, WebhooksState.offset > 0, WebhooksState.offset + WebhooksState.endpoints.length() < WebhooksState.total, WebhooksState.prev_page, WebhooksState.next_page, "endpoints"),
        ),
    )
