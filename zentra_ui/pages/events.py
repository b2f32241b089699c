"""`/events`: the event timeline of the tenant and mode, newest first, live from the stream."""

from __future__ import annotations

import reflex as rx

from state.events import EventsState
from zentra_ui.components import plain
from zentra_ui.components.plain import table_cell, table_row
from zentra_ui.components.shell import shell
from zentra_ui.components.ui import (
    data_table,
    id_chip,
    label,
    mono,
    pager,
    panel,
    table_or_empty,
    when_text,
)

ROUTE = "/events"
ON_LOAD = EventsState.load
TITLE = "Events · Zentra"

HEADERS = [("Time", "left"), ("Type", "left"), ("Object", "left"), ("Event", "left"), ("Correlation", "left"), ("Data", "left")]

FAMILY_COLORS = (("ledger", "teal"), ("hold", "amber"), ("account", "blue"), ("audit", "tomato"), ("webhook", "violet"), ("provider", "cyan"))


def _row(row: rx.Var[dict[str, str]]) -> rx.Component:
    return table_row(
        table_cell(when_text(row["occurred_at"], row["occurred_at_iso"])),
        table_cell(plain.badge(row["type"], color_scheme=rx.match(row["family"], *FAMILY_COLORS, "gray"))),
        table_cell(id_chip(row["object"])),
        table_cell(id_chip(row["id"], color_scheme="gray")),
        table_cell(id_chip(row["correlation_id"], color_scheme="gray")),
        table_cell(mono(row["data"], size="1", color_scheme="gray", class_name="zt-ellipsis", title=row["data"])),
        class_name="zt-row",
        data_testid="event-row",
    )


def page() -> rx.Component:
    return shell(
        "Events",
        panel(
            rx.hstack(
                label("Timeline"),
                rx.spacer(),
                rx.badge(rx.box(class_name="zt-dot"), EventsState.live_count.to_string() + " live", color_scheme="grass", variant="surface", radius="full", data_testid="live-count"),
                align="center",
                width="100%",
            ),
            rx.box(height="12px"),
            table_or_empty(EventsState.rows, data_table(HEADERS, rx.foreach(EventsState.rows, _row)), EventsState.loaded, "No events in this tenant and mode yet."),
            pager(EventsState.range_label, EventsState.has_prev, EventsState.has_more, EventsState.prev_page, EventsState.next_page, "events"),
        ),
        intro="Every state change, in commit order, as published to JetStream. New events appear here as they are published.",
    )
