"""`/accounts/[account_id]`: one account's balances and facts, its postings, holds and history."""

from __future__ import annotations

import reflex as rx

from state.account import AccountState, HoldActionState
from zentra_ui.components.holds import hold_buttons, hold_dialog
from zentra_ui.components.plain import table_cell, table_row
from zentra_ui.components.shell import shell
from zentra_ui.components.ui import (
    MONO,
    amount,
    as_of,
    data_table,
    empty,
    fact,
    id_chip,
    label,
    mono,
    pager,
    panel,
    status_badge,
    when_text,
)

ROUTE = "/accounts/[account_id]"
ON_LOAD = AccountState.load
TITLE = "Account · Zentra"

A = AccountState.account


def _balance(name: str, key: str, hint: str, strong: bool = False) -> rx.Component:
    return rx.box(
        label(name),
        rx.text(
            A[key],
            font_family=MONO,
            size="7" if strong else "6",
            weight="medium",
            style={"font_variant_numeric": "tabular-nums", "letter_spacing": "-0.02em"},
            class_name="zt-figure",
            data_testid=f"balance-{key}",
        ),
        rx.text(hint, size="1", color_scheme="gray"),
        class_name="zt-panel zt-balance" + (" zt-balance-strong" if strong else ""),
        padding="16px 18px",
        flex="1",
        min_width="220px",
    )


def _header() -> rx.Component:
    return rx.vstack(
        rx.hstack(
            _balance("Available", "available", "posted minus outgoing pending", strong=True),
            _balance("Posted", "posted", "settled on the normal side"),
            _balance("Pending", "pending", "net of unresolved pending postings"),
            spacing="3",
            width="100%",
            wrap="wrap",
        ),
        panel(
            rx.grid(
                fact("Customer", A["customer"], mono_value=False, test_id="fact-customer"),
                fact("Type", A["account_type"], mono_value=False),
                fact("Currency", A["currency"]),
                fact("Normal balance", A["normal_balance"]),
                fact("Negative balance", A["allow_negative"]),
                fact("Mode", A["mode"]),
                fact("Opened", A["created_at"]),
                rx.vstack(label("Status"), status_badge(A["status"]), spacing="1", align="start"),
                columns="repeat(auto-fill, minmax(200px, 1fr))",  # four across on a laptop, two on a tablet
                spacing="4",
                width="100%",
            ),
            padding="16px 18px",
        ),
        spacing="3",
        width="100%",
    )


POSTING_HEADERS = [("Posting", "left"), ("Kind", "left"), ("Status", "left"), ("Direction", "left"), ("Amount", "right"), ("Description", "left"), ("Created", "left")]


def _posting(p: rx.Var[dict[str, str]]) -> rx.Component:
    return table_row(
        table_cell(id_chip(p["posting_id"], size="2")),
        table_cell(mono(p["kind"], color_scheme="gray")),
        table_cell(status_badge(p["status"])),
        table_cell(rx.hstack(mono(p["direction"]), mono(p["bucket"], size="1", color_scheme="gray"), spacing="2", align="baseline")),
        table_cell(amount(p["amount"]), text_align="right"),
        table_cell(rx.text(p["description"], size="1", color_scheme="gray", class_name="zt-ellipsis")),
        table_cell(when_text(p["created_at"], p["created_at_iso"])),
        class_name="zt-row",
        data_testid="posting-row",
    )


HOLD_HEADERS = [("Hold", "left"), ("Amount", "right"), ("Status", "left"), ("Reason", "left"), ("Source request", "left"), ("Expires", "left"), ("Expires in", "left"), ("", "right")]


# react-moment's durationFromNow is now - date: negative while the expiry is ahead. Show the time left,
# and "expiring" once it has passed (the upkeep task expires the hold within a second or so).
_TIME_LEFT = rx.Var(_js_expr='((c) => (typeof c === "string" ? (c.startsWith("-") ? c.slice(1) : "expiring") : c))')


def _countdown(h: rx.Var[dict[str, str]]) -> rx.Component:
    return rx.cond(
        h["status"] == "active",
        rx.hstack(
            rx.icon("timer", size=13, color=rx.color("amber", 10)),
            rx.moment(
                h["expires_at"],
                duration_from_now=True,
                format="d[d] h[h] mm[m] ss[s]",
                trim="large",
                filters=[_TIME_LEFT],
                interval=1000,
                font_family=MONO,
                class_name="zt-countdown",
                data_testid="hold-countdown",
            ),
            rx.moment(h["expires_at"], from_now=True, interval=1000, class_name="zt-countdown-rel", data_testid="hold-from-now"),
            spacing="2",
            align="center",
        ),
        mono("—", color_scheme="gray"),
    )


def _hold(h: rx.Var[dict[str, str]]) -> rx.Component:
    return table_row(
        table_cell(id_chip(h["id"], size="2")),
        table_cell(amount(h["amount"]), text_align="right"),
        table_cell(status_badge(h["status"])),
        table_cell(rx.text(h["reason"], size="2", class_name="zt-ellipsis")),
        table_cell(mono(h["source_request"], size="1")),
        table_cell(when_text(h["expires_label"], h["expires_at"])),
        table_cell(_countdown(h)),
        table_cell(rx.cond(HoldActionState.can_manage_holds & (h["status"] == "active"), hold_buttons(HoldActionState, h["id"])), text_align="right"),
        class_name="zt-row",
        data_testid="hold-row",
    )


HISTORY_HEADERS = [("Effective", "left"), ("Posting", "left"), ("Line", "left"), ("Amount", "right"), ("Posted after", "right"), ("Available after", "right")]


def _history(line: rx.Var[dict[str, str]]) -> rx.Component:
    return table_row(
        table_cell(when_text(line["effective_at"], line["effective_at_iso"])),
        table_cell(id_chip(line["posting_id"], size="2")),
        table_cell(rx.hstack(mono(line["direction"]), mono(line["bucket"], size="1", color_scheme="gray"), spacing="2", align="baseline")),
        table_cell(amount(line["amount"]), text_align="right"),
        table_cell(amount(line["posted"]), text_align="right"),
        table_cell(amount(line["available"]), text_align="right"),
        class_name="zt-row",
        data_testid="history-row",
    )


def _section(rows, total, table: rx.Component, pager_: rx.Component, nothing: str) -> rx.Component:
    return rx.cond(rows.length() > 0, rx.vstack(table, pager_, spacing="0", width="100%"), empty(nothing))


def _tabs() -> rx.Component:
    S = AccountState
    return rx.tabs.root(
        rx.tabs.list(
            rx.tabs.trigger(rx.hstack("Postings", mono(S.postings_total.to_string(), size="1", color_scheme="gray"), spacing="2"), value="postings", data_testid="tab-postings"),
            rx.tabs.trigger(rx.hstack("Holds", mono(S.holds_total.to_string(), size="1", color_scheme="gray"), spacing="2"), value="holds", data_testid="tab-holds"),
            rx.tabs.trigger(rx.hstack("Balance history", mono(S.history_total.to_string(), size="1", color_scheme="gray"), spacing="2"), value="history", data_testid="tab-history"),
            size="2",
        ),
        rx.tabs.content(
            _section(
                S.postings,
                S.postings_total,
                data_table(POSTING_HEADERS, rx.foreach(S.postings, _posting)),
                pager(S.postings_range, S.postings_offset > 0, S.postings_has_next, S.postings_prev, S.postings_next, "postings"),
                "No postings touched this account yet.",
            ),
            value="postings",
            padding_top="12px",
        ),
        rx.tabs.content(
            _section(
                S.holds,
                S.holds_total,
                data_table(HOLD_HEADERS, rx.foreach(S.holds, _hold)),
                pager(S.holds_range, S.holds_offset > 0, S.holds_has_next, S.holds_prev, S.holds_next, "holds"),
                "No holds on this account.",
            ),
            value="holds",
            padding_top="12px",
        ),
        rx.tabs.content(
            rx.cond(
                S.history.length() > 0,
                rx.vstack(
                    rx.box(
                        rx.plotly.basic(data=S.history_figure, config={"displayModeBar": False, "responsive": True}, width="100%", height="260px"),
                        width="100%",
                        class_name="zt-chart",
                        data_testid="history-chart",
                    ),
                    rx.text("The chart follows the journal lines of the page below, oldest to newest.", size="1", color_scheme="gray"),
                    data_table(HISTORY_HEADERS, rx.foreach(S.history, _history)),
                    pager(S.history_range, S.history_offset > 0, S.history_has_next, S.history_prev, S.history_next, "history"),
                    spacing="3",
                    width="100%",
                ),
                empty("No journal lines yet."),
            ),
            value="history",
            padding_top="12px",
        ),
        value=S.section,
        on_change=S.set_section,
        width="100%",
    )


def _crumbs() -> rx.Component:
    return rx.hstack(
        rx.link(rx.text("Accounts", size="1"), href="/accounts", color_scheme="gray", underline="hover"),
        rx.text("/", size="1", color_scheme="gray"),
        mono(AccountState.shown_id, size="1", color_scheme="gray"),
        spacing="2",
        align="center",
    )


def _title() -> rx.Component:
    return rx.cond(AccountState.not_found, "Account not found", rx.cond(A["customer"], A["customer"], "Account"))


def _actions() -> rx.Component:
    return rx.hstack(
        rx.hstack(
            id_chip(AccountState.shown_id, size="2", weight="medium", test_id="account-id"),
            rx.cond(A["system_role"] != "", rx.badge("system: " + A["system_role"].to(str), variant="outline", color_scheme="gray", size="1")),
            spacing="3",
            align="center",
        ),
        rx.spacer(),
        as_of(AccountState.refreshed_at),
        rx.button(rx.icon("refresh-cw", size=14), "Refresh", size="1", variant="soft", color_scheme="gray", on_click=AccountState.refresh, data_testid="refresh"),
        align="center",
        width="100%",
        spacing="3",
    )


def page() -> rx.Component:
    return shell(
        _title(),
        hold_dialog(HoldActionState),
        rx.cond(
            AccountState.not_found,
            panel(
                rx.vstack(
                    rx.icon("search-x", size=22, color=rx.color("gray", 9)),
                    rx.text("No account with this id in this tenant and mode.", size="3", weight="medium", data_testid="not-found"),
                    rx.text("Accounts live in exactly one tenant and mode; an id from elsewhere looks like one that never existed.", size="2", color_scheme="gray"),
                    rx.link("Back to accounts", href="/accounts", size="2", color_scheme="teal"),
                    align="center",
                    spacing="2",
                    padding="40px 0",
                ),
            ),
            rx.cond(
                AccountState.loaded,
                rx.vstack(_actions(), _header(), panel(_tabs()), spacing="4", width="100%"),
                rx.center(rx.spinner(size="3"), width="100%", padding="60px 0"),
            ),
        ),
        crumbs=_crumbs(),
    )
