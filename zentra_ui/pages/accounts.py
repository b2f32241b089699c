"""`/accounts`: the tenant's accounts, one server-side page at a time, searchable."""

from __future__ import annotations

import reflex as rx

from state.accounts import AccountsState
from zentra_ui.components.shell import shell
from zentra_ui.components.ui import (
    MONO,
    amount,
    data_table,
    empty,
    mono,
    pager,
    panel,
    status_badge,
)

ROUTE = "/accounts"
ON_LOAD = AccountsState.load
TITLE = "Accounts · Zentra"

HEADERS = [
    ("Account", "left"),
    ("Customer", "left"),
    ("Type", "left"),
    ("Currency", "left"),
    ("Normal", "left"),
    ("Posted", "right"),
    ("Pending", "right"),
    ("Available", "right"),
]


def _row(row: rx.Var[dict[str, str]]) -> rx.Component:
    return rx.table.row(
        rx.table.cell(
            rx.hstack(
                rx.link(mono(row["id"]), href="/accounts/" + row["id"], color_scheme="teal", underline="hover", data_testid="account-link"),
                rx.cond(row["system"] != "", rx.badge("system", variant="outline", color_scheme="gray", size="1", radius="small")),
                rx.cond(row["status"] != "active", status_badge(row["status"])),
                spacing="2",
                align="center",
            )
        ),
        rx.table.cell(rx.text(row["customer"], size="2", trim="both", class_name="zt-ellipsis")),
        rx.table.cell(rx.text(row["account_type"], size="2", color_scheme="gray")),
        rx.table.cell(mono(row["currency"])),
        rx.table.cell(mono(row["normal_balance"], color_scheme="gray")),
        rx.table.cell(amount(row["posted"]), text_align="right"),
        rx.table.cell(amount(row["pending"], color_scheme="gray"), text_align="right"),
        rx.table.cell(amount(row["available"], weight="medium"), text_align="right", data_testid="available"),
        class_name="zt-row",
        data_testid="account-row",
    )


def _toolbar() -> rx.Component:
    return rx.hstack(
        rx.input(
            rx.input.slot(rx.icon("search", size=14)),
            value=AccountsState.query,
            on_change=AccountsState.search,
            placeholder="Search id, customer, type or currency",
            size="2",
            width="360px",
            font_family=MONO,
            data_testid="account-search",
        ),
        rx.hstack(
            rx.switch(checked=AccountsState.show_system, on_change=AccountsState.toggle_system, size="1", color_scheme="gray"),
            rx.text("System accounts", size="1", color_scheme="gray"),
            align="center",
            spacing="2",
        ),
        rx.spacer(),
        rx.text(AccountsState.total.to_string() + " accounts", size="1", color_scheme="gray", font_family=MONO, data_testid="accounts-total"),
        rx.icon_button(rx.icon("refresh-cw", size=14), size="1", variant="soft", color_scheme="gray", on_click=AccountsState.load, title="Refresh", data_testid="refresh"),
        align="center",
        width="100%",
        spacing="4",
    )


def page() -> rx.Component:
    return shell(
        "Accounts",
        rx.text(
            "Balances are read from the ledger at request time: posted is settled, pending is in flight, available is posted minus outgoing pending.",
            size="2",
            color_scheme="gray",
        ),
        panel(
            _toolbar(),
            rx.box(height="12px"),
            rx.cond(
                AccountsState.rows.length() > 0,
                data_table(HEADERS, rx.foreach(AccountsState.rows, _row)),
                rx.cond(AccountsState.loaded, empty(AccountsState.empty_message), empty("Loading…", icon="loader")),
            ),
            pager(AccountsState.range_label, AccountsState.has_prev, AccountsState.has_next, AccountsState.prev_page, AccountsState.next_page, "accounts"),
        ),
    )
