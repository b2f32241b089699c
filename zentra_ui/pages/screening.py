"""`/screening`: the customers and their KYC status, and the screening lists counterparties are
checked against; for compliance and support, read-only (changes go through the API)."""

from __future__ import annotations

import reflex as rx

from state.screening import KYC_CHOICES, ScreeningState
from zentra_ui.components.plain import table_cell, table_row
from zentra_ui.components.shell import shell
from zentra_ui.components.ui import (
    amount,
    as_of,
    choice_select,
    count_text,
    data_table,
    id_chip,
    label,
    mono,
    paged_panel,
    pager,
    refresh_icon,
    search_box,
    status_badge,
    table_or_note,
    titled_panel,
    when_text,
)

ROUTE = "/screening"
ON_LOAD = ScreeningState.load
TITLE = "Screening · Zentra"

S = ScreeningState

CUSTOMER_HEADERS = [("Customer", "left"), ("Name", "left"), ("KYC", "left"), ("Updated", "left"), ("By", "left"), ("Id", "left")]
LIST_HEADERS = [("List", "left"), ("Version", "right"), ("Entries", "right"), ("Source", "left"), ("Loaded", "left"), ("By", "left"), ("Id", "left")]
# KYC status in words, with a colour that agrees: verified green, rejected red, the rest waiting.
KYC_COLORS = (("verified", "grass"), ("rejected", "tomato"), ("pending", "amber"), ("unverified", "gray"))


def _customer(row: rx.Var[dict[str, str]]) -> rx.Component:
    return table_row(
        table_cell(mono(row["customer"], size="2", weight="medium", data_testid="customer-ref")),
        table_cell(rx.text(row["name"], size="2")),
        table_cell(status_badge(row["kyc_status"], KYC_COLORS, data_testid="customer-kyc")),
        table_cell(when_text(row["updated_at"], row["updated_at_iso"])),
        table_cell(mono(row["updated_by"], size="1", color_scheme="gray", class_name="zt-ellipsis", max_width="200px", title=row["updated_by"])),
        table_cell(id_chip(row["id"], color_scheme="gray")),
        class_name="zt-row",
        data_testid="customer-row",
    )


def _list(row: rx.Var[dict[str, str]]) -> rx.Component:
    return table_row(
        table_cell(mono(row["name"], size="2", weight="medium", data_testid="screening-list-name")),
        table_cell(amount(row["version"], size="1"), text_align="right"),
        table_cell(amount(row["entries"], size="1", data_testid="screening-list-entries"), text_align="right"),
        table_cell(mono(row["source"], size="1", color_scheme="gray", class_name="zt-ellipsis", max_width="220px", title=row["source"])),
        table_cell(when_text(row["loaded_at"], row["loaded_at_iso"])),
        table_cell(mono(row["loaded_by"], size="1", color_scheme="gray", class_name="zt-ellipsis", max_width="200px", title=row["loaded_by"])),
        table_cell(id_chip(row["id"], color_scheme="gray")),
        class_name="zt-row",
        data_testid="screening-list-row",
    )


def _toolbar() -> rx.Component:
    return rx.hstack(
        search_box(S.query, S.search, "customer reference (exact)", "280px", "customer-search"),
        choice_select(S.kyc_filter, KYC_CHOICES, S.set_kyc_filter, "kyc-filter", "Filter by KYC status"),
        rx.button("Clear", size="1", variant="ghost", color_scheme="gray", on_click=S.clear_filters),
        rx.spacer(),
        as_of(S.refreshed_at),
        count_text(S.total, "customers", "customers-total"),
        refresh_icon(S.refresh, test_id="refresh"),
        align="center",
        width="100%",
        spacing="3",
        wrap="wrap",
    )


def _lists() -> rx.Component:
    return titled_panel(
        "Screening lists",
        table_or_note(LIST_HEADERS, S.lists, _list, "No screening list loaded yet: intents are screened against nothing."),
        pager(S.lists_range, S.lists_has_prev, S.lists_has_next, S.lists_prev, S.lists_next, "screening-lists"),
        hint="The current version of each list; every intent's counterparty is screened against all of them before money moves. Load a list with POST /v1/screening/lists.",
    )


def page() -> rx.Component:
    return shell(
        "Screening",
        _lists(),
        paged_panel(S, data_table(CUSTOMER_HEADERS, rx.foreach(S.rows, _customer)), S.empty_message, "customers", above=(label("Customers and KYC"), rx.box(height="8px"), _toolbar(), rx.box(height="12px"))),
        intro="What policy screens intents against, before any money moves. A registered customer's KYC status is checked on each of its intents: verified passes, rejected is refused, pending or unverified waits for review. A counterparty that matches a list sends the intent to the review queue. Both tables update live.",
    )
