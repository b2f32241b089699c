"""`/accounts`: the tenant's accounts, one server-side page at a time, searchable."""

from __future__ import annotations

import reflex as rx

from state.accounts import AccountsState
from zentra_ui.components.plain import table_cell, table_row
from zentra_ui.components.shell import shell
from zentra_ui.components.ui import (
    amount,
    count_text,
    data_table,
    id_chip,
    mono,
    paged_panel,
    refresh_icon,
    search_box,
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
    return table_row(
        table_cell(
            rx.hstack(
                id_chip(row["id"], href="/accounts/" + row["id"], size="2", test_id="account-link"),
                rx.cond(row["system"] != "", rx.badge("system", variant="outline", color_scheme="gray", size="1", radius="small")),
                rx.cond(row["status"] != "active", status_badge(row["status"])),
                spacing="2",
                align="center",
            )
        ),
        table_cell(rx.text(row["customer"], size="2", class_name="zt-ellipsis")),
        table_cell(rx.text(row["account_type"], size="2", color_scheme="gray")),
        table_cell(mono(row["currency"])),
        table_cell(mono(row["normal_balance"], color_scheme="gray")),
        table_cell(amount(row["posted"]), text_align="right"),
        table_cell(amount(row["pending"], color_scheme="gray"), text_align="right"),
        table_cell(amount(row["available"], weight="medium"), text_align="right", data_testid="available"),
        class_name="zt-row",
        data_testid="account-row",
    )


def _toolbar() -> rx.Component:
    return rx.hstack(
        search_box(AccountsState.query, AccountsState.search, "Search id, customer, type or currency", "360px", "account-search"),
        rx.hstack(
            rx.switch(checked=AccountsState.show_system, on_change=AccountsState.toggle_system, size="1", color_scheme="gray"),
            rx.text("System accounts", size="1", color_scheme="gray"),
            align="center",
            spacing="2",
        ),
        rx.spacer(),
        count_text(AccountsState.total, "accounts", "accounts-total"),
        refresh_icon(AccountsState.load, test_id="refresh"),
        align="center",
        width="100%",
        spacing="4",
    )


def page() -> rx.Component:
    return shell(
        "Accounts",
        paged_panel(AccountsState, data_table(HEADERS, rx.foreach(AccountsState.rows, _row)), AccountsState.empty_message, "accounts", above=(_toolbar(), rx.box(height="12px"))),
        intro="Balances are read from the ledger at request time: posted is settled, pending is in flight, available is posted minus outgoing pending.",
    )
