"""`/reviews`: the support team's review queue (filters, SLA aging, claim / release / approve /
reject one at a time or in bulk, every refusal shown where it happened, each intent's screening
matches with compliance's clear / confirm) and the scope's active holds with capture, release and
extend."""

from __future__ import annotations

import reflex as rx

from backend.intents.reviews import APPROVE_CODES, REJECT_CODES
from state.reviews import (
    AGES,
    REASON_CHOICES,
    SHORTCUT_KEYS,
    ExpiringHoldsState,
    ReviewsState,
)
from state.session import SessionState
from zentra_ui.components import plain
from zentra_ui.components.holds import hold_buttons, hold_dialog
from zentra_ui.components.plain import table_cell, table_row
from zentra_ui.components.saved_filters import saved_filters_bar
from zentra_ui.components.shell import shell
from zentra_ui.components.shortcuts import shortcut_legend, shortcut_listener
from zentra_ui.components.ui import (
    MONO,
    amount,
    choice_select,
    count_text,
    data_table,
    dialog_actions,
    error_callout,
    id_chip,
    label,
    mono,
    notice_callout,
    paged_panel,
    refresh_icon,
    when_text,
)
from zentra_ui.pages.intents import intent_badge

ROUTE = "/reviews"
ON_LOAD = [ReviewsState.load, ExpiringHoldsState.load]
TITLE = "Review queue · Zentra"
SLA_REFRESH_MS = 30_000

R = ReviewsState
H = ExpiringHoldsState
AGE_LABELS = {"any": "any age", "15m": "older than 15 min", "1h": "older than 1 h", "4h": "older than 4 h", "24h": "older than 24 h"}
COLUMNS = 8
MATCH_COLORS = (("pending", "amber"), ("cleared", "grass"), ("confirmed", "tomato"))


def _words(code: str) -> str:
    return code.replace("_", " ")


def _filters() -> rx.Component:
    return rx.vstack(
        rx.hstack(
            choice_select(R.reason_filter, REASON_CHOICES, R.set_reason_filter, "review-reason-filter", "Reason", words=lambda c: "any reason" if c == "any" else _words(c), width="210px"),
            rx.input(value=R.min_amount, on_change=R.set_min_amount, placeholder="min amount, minor units", size="2", width="210px", font_family=MONO, data_testid="review-min-amount"),
            choice_select(R.age_filter, tuple(AGES), R.set_age_filter, "review-age-filter", "Age", words=lambda c: AGE_LABELS[c]),
            rx.segmented_control.root(
                rx.segmented_control.item("anyone", value="anyone", data_testid="assignee-anyone"),
                rx.segmented_control.item("me", value="me", data_testid="assignee-me"),
                rx.segmented_control.item("unassigned", value="unassigned", data_testid="assignee-unassigned"),
                value=R.assignee_filter,
                on_change=R.set_assignee_filter,
                size="1",
                aria_label="Assignee",
            ),
            rx.button("Clear", size="1", variant="ghost", color_scheme="gray", on_click=R.clear_filters),
            rx.spacer(),
            rx.cond(R.overdue_count > 0, rx.badge(rx.icon("alarm-clock", size=12), R.overdue_count.to_string() + " overdue on this page", color_scheme="tomato", variant="soft", size="1", data_testid="overdue-count")),
            count_text(R.total, "open", "reviews-total"),
            refresh_icon(R.refresh, test_id="reviews-refresh"),
            align="center",
            width="100%",
            spacing="3",
            wrap="wrap",
        ),
        error_callout(R.filter_error, "filter-error", width="100%"),
        saved_filters_bar(R),
        spacing="2",
        width="100%",
    )


KEYS = (
    (("j", "k"), "or ↓ ↑ select"),
    (("c",), "claim"),
    (("a",), "approve"),
    (("r",), "reject"),
    (("Enter",), "confirm"),
    (("Esc",), "close"),
)


def _keys() -> rx.Component:
    """The queue's keyboard (deciding roles only): the legend, and the listener behind it."""
    return rx.cond(
        SessionState.can_decide_reviews,
        rx.hstack(
            shortcut_legend(KEYS, "review-keys"),
            rx.text("Not while typing in a field. a and r choose the first reason code; change it in the dialog before Enter.", size="1", color_scheme="gray"),
            spacing="4",
            align="center",
            wrap="wrap",
        ),
    )


def _bulk_bar() -> rx.Component:
    return rx.cond(
        SessionState.can_decide_reviews,
        rx.hstack(
            count_text(R.picked_count, "ticked", "picked-count"),
            rx.button(rx.icon("hand", size=14), "Claim ticked", size="1", variant="soft", on_click=R.bulk("claim"), disabled=R.picked_count == 0, data_testid="bulk-claim"),
            rx.separator(orientation="vertical", size="1"),
            choice_select(R.bulk_approve_code, APPROVE_CODES, R.set_bulk_approve_code, "bulk-approve-code", "Approval reason code", words=_words, placeholder="approval reason", width="190px"),
            rx.button(rx.icon("check", size=14), "Approve ticked", size="1", color_scheme="grass", on_click=R.bulk("approve"), disabled=R.picked_count == 0, data_testid="bulk-approve"),
            rx.separator(orientation="vertical", size="1"),
            choice_select(R.bulk_reject_code, REJECT_CODES, R.set_bulk_reject_code, "bulk-reject-code", "Rejection reason code", words=_words, placeholder="rejection reason", width="210px"),
            rx.button(rx.icon("x", size=14), "Reject ticked", size="1", color_scheme="tomato", variant="soft", on_click=R.bulk("reject"), disabled=R.picked_count == 0, data_testid="bulk-reject"),
            align="center",
            spacing="3",
            wrap="wrap",
            width="100%",
            padding="8px 10px",
            class_name="zt-panel",
        ),
    )


def _actions(row) -> rx.Component:
    decide = R.open_decide
    return rx.cond(
        SessionState.can_decide_reviews,
        rx.hstack(
            rx.cond(row["claimed"] == "", rx.button("Claim", size="1", variant="soft", on_click=R.claim(row["id"]), data_testid="review-claim")),
            rx.cond(
                row["mine"] == "yes",
                rx.hstack(
                    rx.button("Approve", size="1", color_scheme="grass", on_click=decide("approve", row["id"], row["review_hash"], row["intent_id"], row["amount"]), data_testid="review-approve"),
                    rx.button("Reject", size="1", color_scheme="tomato", variant="soft", on_click=decide("reject", row["id"], row["review_hash"], row["intent_id"], row["amount"]), data_testid="review-reject"),
                    spacing="1",
                ),
            ),
            rx.cond(
                (row["mine"] == "yes") | ((row["claimed"] == "yes") & (SessionState.role == "admin")),
                rx.button("Release", size="1", variant="ghost", color_scheme="gray", on_click=R.release(row["id"]), data_testid="review-release"),
            ),
            spacing="1",
            justify="end",
        ),
        mono("read only", size="1", color_scheme="gray"),
    )


def _sla(row) -> rx.Component:
    return rx.vstack(
        rx.cond(
            row["overdue"] == "yes",
            rx.badge(rx.icon("alarm-clock", size=12), "OVERDUE", color_scheme="tomato", variant="solid", size="1"),
        ),
        mono(row["sla"], size="1", color_scheme=rx.cond(row["overdue"] == "yes", "tomato", "gray")),
        mono("waiting " + row["age"].to(str), size="1", color_scheme="gray", title="due " + row["due_at"].to(str) + " (" + row["due_at_iso"].to(str) + ")"),
        spacing="1",
        align="start",
        data_testid="review-sla",
    )


def _row(row: rx.Var[dict[str, str]]) -> rx.Component:
    main = table_row(
        table_cell(
            rx.cond(
                SessionState.can_decide_reviews,
                rx.checkbox(checked=R.picked.contains(row["id"]), on_change=lambda checked: R.toggle_pick(row["id"], row["review_hash"], checked), aria_label="Tick for bulk action", data_testid="review-pick"),
            ),
        ),
        table_cell(
            rx.vstack(
                id_chip(row["intent_id"], href="/intents?id=" + row["intent_id"], size="2", test_id="review-intent"),
                rx.hstack(mono(row["kind"], size="1", color_scheme="gray"), intent_badge(row["intent_status"]), rx.text(row["counterparty"], size="1", color_scheme="gray", class_name="zt-ellipsis", max_width="140px"), spacing="2", align="center"),
                rx.hstack(
                    mono("by " + row["created_by"].to(str), size="1", color_scheme="gray", class_name="zt-ellipsis", max_width="220px", title=row["created_by"]),
                    rx.cond(row["mine_created"] == "yes", rx.text("another person approves", size="1", color_scheme="amber")),
                    spacing="2",
                    align="center",
                ),
                spacing="1",
            )
        ),
        table_cell(amount(row["amount"]), text_align="right"),
        table_cell(plain.badge(row["reason"], color_scheme="amber", class_name="zt-mono")),
        table_cell(_sla(row)),
        table_cell(
            rx.vstack(
                mono(row["assignee"], size="1", color_scheme=rx.cond(row["mine"] == "yes", "teal", "gray"), class_name="zt-ellipsis", max_width="140px", title=row["assignee"], data_testid="review-assignee"),
                mono(row["approvals"] + " approvals", size="1", color_scheme="gray", title=row["approvers"], data_testid="review-approvals"),
                spacing="1",
            )
        ),
        table_cell(
            rx.vstack(
                rx.box(mono(row["hash_short"] + "…", size="1", title=row["review_hash"]), mono("rev " + row["revision"].to(str), size="1", color_scheme="gray"), data_testid="review-hash"),
                id_chip(row["id"], color_scheme="gray", class_name="zt-ellipsis", max_width="120px", title=row["id"], test_id="review-id"),
                spacing="1",
            ),
        ),
        table_cell(_actions(row), text_align="right"),
        class_name=rx.cond(R.cursor == row["id"], "zt-row zt-row-cursor", "zt-row"),
        id="review-" + row["id"].to(str),
        data_testid="review-row",
        aria_selected=rx.cond(R.cursor == row["id"], "true", "false"),
        custom_attrs={"data-review": row["id"], "data-intent": row["intent_id"], "data-selected": rx.cond(R.cursor == row["id"], "yes", "")},
    )
    error = rx.cond(
        R.row_errors.contains(row["id"]),
        table_row(
            table_cell(
                rx.callout(R.row_errors[row["id"]], icon="ban", color_scheme="tomato", size="1", width="100%"),
                col_span=COLUMNS,
            ),
            data_testid="review-row-error",
            custom_attrs={"data-review": row["id"], "data-intent": row["intent_id"]},
        ),
    )
    return rx.fragment(main, error, _matches(row))


def _matches(row) -> rx.Component:
    """The screening matches of the review's intent, under its row: what the reviewer must see."""
    return rx.cond(
        R.matches.contains(row["id"]),
        table_row(
            table_cell(rx.vstack(rx.foreach(R.matches[row["id"]], _match), spacing="1", width="100%"), col_span=COLUMNS),
            data_testid="review-screening",
            custom_attrs={"data-review": row["id"], "data-intent": row["intent_id"]},
        ),
    )


def _match(m) -> rx.Component:
    decides = SessionState.permissions.contains("screening.decide") & (m["decision"] == "pending")
    return rx.hstack(
        rx.badge(rx.icon("shield-alert", size=12), "screening match", color_scheme="tomato", variant="soft", size="1"),
        rx.text(m["screened_name"], size="1"),
        rx.text("matched", size="1", color_scheme="gray"),
        rx.text(m["matched_name"], size="1", weight="medium", data_testid="match-name"),
        rx.cond(m["entry_name"] != m["matched_name"], rx.text("(alias of " + m["entry_name"] + ")", size="1", color_scheme="gray")),
        mono(m["method"] + " " + m["score"], size="1", title="score out of 100; 88 or more is a hit", data_testid="match-score"),
        rx.text("on " + m["list"], size="1", color_scheme="gray"),
        rx.cond(m["entry_where"] != "", mono(m["entry_where"], size="1", color_scheme="gray")),
        plain.badge(m["decision"], color_scheme=rx.match(m["decision"], *MATCH_COLORS, "gray"), data_testid="match-decision", class_name="zt-mono"),
        rx.cond(m["decided_by"] != "", rx.text("by " + m["decided_by"] + ": " + m["note"], size="1", color_scheme="gray", class_name="zt-ellipsis", max_width="320px", title=m["note"])),
        rx.spacer(),
        rx.cond(
            decides,
            rx.hstack(
                rx.button("Clear", size="1", variant="soft", color_scheme="grass", on_click=R.open_match("clear", m["id"], m["matched_name"]), data_testid="match-clear"),
                rx.button("Confirm", size="1", variant="soft", color_scheme="tomato", on_click=R.open_match("confirm", m["id"], m["matched_name"]), data_testid="match-confirm"),
                spacing="1",
            ),
        ),
        align="center",
        spacing="2",
        width="100%",
        wrap="wrap",
        data_testid="review-match",
    )


def _match_dialog() -> rx.Component:
    return rx.dialog.root(
        rx.dialog.content(
            rx.dialog.title(rx.cond(R.match_action == "clear", "Clear screening match", "Confirm screening match")),
            rx.dialog.description(
                rx.cond(
                    R.match_action == "clear",
                    rx.text("Not the listed party: the review then goes on to a normal approval.", size="2"),
                    rx.text("It is the listed party: the intent is rejected and no money moves.", size="2"),
                )
            ),
            rx.vstack(
                rx.text(R.match_name, size="2", weight="medium"),
                rx.text_area(value=R.match_note, on_change=R.set_match_note, placeholder="Why (required, kept with the decision)", width="100%", data_testid="match-note"),
                error_callout(R.match_error, "match-error", width="100%"),
                dialog_actions(
                    rx.button(
                        rx.cond(R.match_action == "clear", "Clear", "Confirm and reject"),
                        color_scheme=rx.cond(R.match_action == "clear", "grass", "tomato"),
                        on_click=R.submit_match,
                        data_testid="match-submit",
                    )
                ),
                spacing="3",
                width="100%",
            ),
            max_width="500px",
        ),
        open=R.match_open,
        on_open_change=R.close_match,
    )


HEADERS = [("", "left"), ("Intent", "left"), ("Amount", "right"), ("Reason", "left"), ("SLA", "left"), ("Assignee", "left"), ("Hash", "left"), ("", "right")]


def _header_check() -> rx.Component:
    return rx.cond(SessionState.can_decide_reviews, rx.checkbox(checked=R.all_picked, on_change=R.toggle_all, aria_label="Tick every review on this page", data_testid="review-pick-all"))


def _table() -> rx.Component:
    return rx.vstack(
        rx.hstack(_header_check(), rx.text("Tick rows for bulk actions; each is decided on its own and may be refused on its own.", size="1", color_scheme="gray"), spacing="2", align="center"),
        data_table(HEADERS, rx.foreach(R.rows, _row)),
        spacing="2",
        width="100%",
    )


def _decide_dialog() -> rx.Component:
    return rx.dialog.root(
        rx.dialog.content(
            rx.dialog.title(rx.cond(R.decide_action == "approve", "Approve review", "Reject review")),
            rx.dialog.description(rx.hstack(mono(R.decide_intent, size="2"), amount(R.decide_amount, size="2"), spacing="3")),
            rx.vstack(
                rx.cond(
                    R.decide_action == "approve",
                    rx.vstack(
                        rx.text("You approve the intent exactly as the queue showed it: if it changed since, the approval is refused.", size="1", color_scheme="gray"),
                        rx.text(R.decide_hash, size="1", color_scheme="gray", font_family=MONO, word_break="break-all", data_testid="decide-hash"),
                        spacing="1",
                    ),
                ),
                rx.select.root(
                    rx.select.trigger(placeholder="Reason code", width="100%", data_testid="decide-code"),
                    rx.select.content(rx.foreach(R.decide_codes, lambda c: rx.select.item(c, value=c))),
                    value=R.decide_code,
                    on_change=R.set_decide_code,
                ),
                rx.text_area(value=R.decide_note, on_change=R.set_decide_note, placeholder="Note (optional, kept with the decision)", width="100%", data_testid="decide-note"),
                error_callout(R.decide_error, "decide-error", width="100%"),
                dialog_actions(
                    rx.button(
                        rx.cond(R.decide_action == "approve", "Approve", "Reject"),
                        color_scheme=rx.cond(R.decide_action == "approve", "grass", "tomato"),
                        on_click=R.submit_decide,
                        auto_focus=True,  # Enter confirms, as the queue's keyboard legend says
                        data_testid="decide-confirm",
                    )
                ),
                spacing="3",
                width="100%",
            ),
            max_width="500px",
        ),
        open=R.decide_open,
        on_open_change=R.close_decide,
    )


# Holds -----------------------------------------------------------------------------------------

HOLD_HEADERS = [("Hold", "left"), ("Account", "left"), ("Amount", "right"), ("Reason", "left"), ("Expires", "left"), ("", "right")]


def _hold(h) -> rx.Component:
    return table_row(
        table_cell(id_chip(h["id"])),
        table_cell(id_chip(h["account"], href="/accounts/" + h["account"])),
        table_cell(amount(h["amount"]), text_align="right"),
        table_cell(rx.text(h["reason"], size="1", class_name="zt-ellipsis")),
        table_cell(
            rx.vstack(
                rx.hstack(
                    rx.cond(h["soon"] == "yes", rx.badge(rx.icon("timer", size=12), "within 1 h", color_scheme="amber", variant="soft", size="1")),
                    mono(h["left"], size="1", color_scheme=rx.cond(h["soon"] == "yes", "amber", "gray")),
                    spacing="2",
                    align="center",
                ),
                when_text(h["expires_label"], h["expires_at"]),
                spacing="0",
            )
        ),
        table_cell(rx.cond(H.can_manage_holds, hold_buttons(H, h["id"])), text_align="right"),
        class_name="zt-row",
        data_testid="queue-hold-row",
    )


def _holds() -> rx.Component:
    heading = rx.hstack(
        label("Active holds"),
        rx.text("active holds expiring within a day, soonest first; those expiring within the hour are flagged", size="1", color_scheme="gray"),
        rx.spacer(),
        refresh_icon(H.refresh, title="Refresh holds"),
        align="center",
        width="100%",
        spacing="3",
    )
    return paged_panel(
        H,
        data_table(HOLD_HEADERS, rx.foreach(H.rows, _hold)),
        "No active holds in this tenant and mode.",
        "queue-holds",
        above=(heading, notice_callout(H.hold_notice, "hold-notice", margin_top="10px"), rx.box(height="10px")),
        data_testid="queue-holds",
    )


def page() -> rx.Component:
    return shell(
        "Review queue",
        rx.cond(
            ~SessionState.can_decide_reviews,
            rx.callout("Read only: your role does not decide reviews.", icon="eye", color_scheme="gray", size="1", data_testid="queue-read-only"),
        ),
        notice_callout(R.notice, "review-notice"),
        error_callout(R.action_error, "review-error"),
        paged_panel(R, _table(), R.empty_message, "reviews", above=(_filters(), rx.box(height="10px"), _bulk_bar(), rx.box(height="10px"), _keys(), rx.box(height="10px")), icon="user-check"),
        _holds(),
        _decide_dialog(),
        _match_dialog(),
        hold_dialog(H),
        rx.moment(interval=SLA_REFRESH_MS, on_change=R.tick, display="none"),
        shortcut_listener(SHORTCUT_KEYS, R.shortcut),
        intro="Intents the policy sent to a person, oldest first. Claim one, check it, then approve or reject it with a reason code. Nobody approves an intent they created, and above the dual-approval threshold two different people must.",
    )
