"""`/webhooks`: the scope's webhook endpoints; each links to its own page."""

from __future__ import annotations

import reflex as rx

from state.webhooks import WebhooksState
from zentra_ui.components.plain import table_cell, table_row
from zentra_ui.components.shell import shell
from zentra_ui.components.ui import (
    data_table,
    id_chip,
    mono,
    paged_panel,
    status_badge,
    when_text,
)

ROUTE = "/webhooks"
ON_LOAD = WebhooksState.load
TITLE = "Webhooks · Zentra"

HEADERS = [("Endpoint", "left"), ("Health", "left"), ("Backlog", "right"), ("Status", "left"), ("URL", "left"), ("Events", "left"), ("Signing", "left"), ("Created", "left")]
# An endpoint's health in words, with a colour that agrees: failing is red, idle quiet.
HEALTH_COLORS = (("healthy", "grass"), ("failing", "tomato"), ("disabled", "tomato"), ("idle", "gray"))


def _row(row: rx.Var[dict[str, str]]) -> rx.Component:
    return table_row(
        table_cell(id_chip(row["id"], href="/webhooks/" + row["id"], size="2", test_id="endpoint-link")),
        table_cell(status_badge(row["health"], HEALTH_COLORS, data_testid="endpoint-health")),
        table_cell(mono(row["backlog"], size="2", weight="medium", data_testid="endpoint-backlog"), style={"text_align": "right"}, title="messages waiting for their next attempt"),
        table_cell(rx.hstack(status_badge(row["status"]), mono(row["disabled_reason"], size="1", color_scheme="gray"), spacing="2")),
        table_cell(mono(row["url"], size="1", title=row["url"], max_width="360px", overflow="hidden", text_overflow="ellipsis")),
        table_cell(mono(row["event_types"], size="1", color_scheme="gray")),
        table_cell(mono(row["signing"], size="1")),
        table_cell(when_text(row["created_at"], row["created_at_iso"])),
        class_name="zt-row",
        data_testid="endpoint-row",
    )


def page() -> rx.Component:
    return shell(
        "Webhooks",
        paged_panel(WebhooksState, data_table(HEADERS, rx.foreach(WebhooksState.rows, _row)), "No webhook endpoints in this tenant and mode yet.", "endpoints"),
        intro="Endpoints receive every event they subscribe to, signed per Standard Webhooks, with retries on the contract's schedule. Backlog is the messages waiting for their next attempt; it drains as deliveries succeed, live. Create endpoints with POST /v1/webhook-endpoints.",
    )
