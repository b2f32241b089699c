"""The header's global search: a box on every signed-in page; Enter looks the id up (`SearchState`)
and goes to what it names, or lists the hits, or says nothing has that id."""

from __future__ import annotations

import reflex as rx

from state.search import SearchState
from zentra_ui.components.ui import MONO, mono

S = SearchState
WIDTH = "250px"
RESULTS_WIDTH = "420px"


def _hit(hit) -> rx.Component:
    return rx.link(
        rx.hstack(
            rx.badge(hit["kind"], variant="soft", color_scheme="teal", size="1", font_family=MONO),
            rx.vstack(
                mono(hit["id"], size="1", class_name="zt-ellipsis", max_width="330px", title=hit["id"]),
                rx.cond(hit["via"] != "", rx.text(hit["via"], size="1", color_scheme="gray")),
                spacing="0",
                align="start",
                min_width="0",
            ),
            spacing="2",
            align="center",
        ),
        href=hit["link"],
        on_click=S.close_search,
        underline="none",
        color="inherit",
        class_name="zt-search-hit",
        data_testid="search-hit",
        custom_attrs={"data-kind": hit["kind"]},
    )


def _results() -> rx.Component:
    return rx.cond(
        S.search_open,
        rx.box(
            rx.hstack(
                mono(S.searched, size="1", color_scheme="gray", class_name="zt-ellipsis", max_width="240px"),
                rx.spacer(),
                rx.icon_button(rx.icon("x", size=12), size="1", variant="ghost", color_scheme="gray", on_click=S.close_search, aria_label="Close search results", data_testid="search-close"),
                align="center",
                width="100%",
            ),
            rx.cond(
                S.hits.length() > 0,
                rx.vstack(
                    rx.text(S.hits.length().to_string() + " objects were created with this key:", size="1", color_scheme="gray"),
                    rx.foreach(S.hits, _hit),
                    spacing="2",
                    width="100%",
                    data_testid="search-hits",
                ),
                rx.text(S.search_message, size="2", color_scheme="gray", data_testid="search-nothing"),
            ),
            position="absolute",
            top="calc(100% + 6px)",
            left="0",
            width=RESULTS_WIDTH,
            z_index="50",
            padding="10px 12px",
            class_name="zt-panel",
            box_shadow="0 12px 32px rgba(0, 0, 0, 0.45)",
            data_testid="search-results",
        ),
    )


def global_search() -> rx.Component:
    """The box (Enter searches) and, under it, what the search found when it is not one object."""
    return rx.box(
        rx.form(
            rx.input(
                rx.input.slot(rx.icon("search", size=14)),
                name="q",
                placeholder="Go to id / idempotency key",
                size="2",
                width=WIDTH,
                font_family=MONO,
                max_length=255,
                auto_complete="off",
                spell_check=False,
                aria_label="Search by id or idempotency key",
                data_testid="global-search",
            ),
            on_submit=S.run_search,
            width="auto",
        ),
        _results(),
        position="relative",
    )
