"""`/webhooks/[endpoint_id]`: one endpoint's health, attempts log with signature inspector,
resend, and recover (its dry-run count is shown before it can run)."""

from __future__ import annotations

import reflex as rx

from state.webhooks import EndpointState
from zentra_ui.components.plain import table_cell, table_row
from zentra_ui.components.shell import shell
from zentra_ui.components.ui import (
    MONO,
    data_table,
    empty,
    error_callout,
    fact,
    id_chip,
    label,
    mono,
    notice_callout,
    pager,
    panel,
    status_badge,
    titled_panel,
    when_text,
)

ROUTE = "/webhooks/[endpoint_id]"
ON_LOAD = EndpointState.load
TITLE = "Webhook endpoint · Zentra"

S = EndpointState
ATTEMPT_HEADERS = [("When", "left"), ("Event", "left"), ("Message", "left"), ("#", "right"), ("Outcome", "left"), ("Code", "left"), ("Error kind", "left"), ("Duration", "right"), ("Next attempt", "left"), ("", "right")]


def _health() -> rx.Component:
    return panel(
        rx.hstack(
            fact("State", S.health["state"], test_id="health-state"),
            fact("Success rate", S.health["success_rate"], test_id="health-success"),
            fact("Latency p50", S.health["p50"]),
            fact("Latency p99", S.health["p99"]),
            fact("Backlog", S.health["backlog"], test_id="health-backlog"),
            fact("Attempts", S.health["attempts"]),
            fact("Window", S.health["window"], mono_value=False),
            spacing="6",
            wrap="wrap",
        ),
        rx.hstack(mono(S.endpoint["url"], size="1", color_scheme="gray"), status_badge(S.endpoint["status"]), mono(S.endpoint["disabled_reason"], size="1", color_scheme="tomato"), spacing="3", margin_top="10px"),
    )


def _attempt(row: rx.Var[dict[str, str]]) -> rx.Component:
    return table_row(
        table_cell(when_text(row["attempted_at"], row["attempted_at_iso"])),
        table_cell(mono(row["event_type"], size="1")),
        table_cell(id_chip(row["message_id"])),
        table_cell(mono(row["attempt"]), text_align="right"),
        table_cell(status_badge(row["status"])),
        table_cell(mono(row["response_code"])),
        table_cell(rx.cond(row["error_kind"] != "", rx.badge(row["error_kind"], color_scheme="tomato", variant="soft", size="1", title=row["error"]))),
        table_cell(mono(row["duration"], size="1"), text_align="right"),
        table_cell(when_text(row["next_attempt_at"], row["next_attempt_at_iso"])),
        table_cell(
            rx.hstack(
                rx.button("Inspect", size="1", variant="soft", color_scheme="gray", on_click=S.inspect(row["id"]), data_testid="inspect"),
                rx.cond(S.can_manage_webhooks, rx.button("Resend", size="1", variant="soft", on_click=S.resend(row["message_id"]), data_testid="resend")),
                spacing="1",
                justify="end",
            )
        ),
        class_name="zt-row",
        data_testid="attempt-row",
    )


def _inspector() -> rx.Component:
    i = S.inspected
    return rx.cond(
        i.length() > 0,
        titled_panel(
            "Signature inspector",
            rx.hstack(fact("webhook-id", i["webhook_id"]), fact("webhook-timestamp", i["webhook_timestamp"]), fact("Scheme", i["scheme"]), fact("Key ids", i["key_ids"], test_id="inspector-keys"), fact("Signatures sent", i["signatures_sent"]), fact("Skew from event (s)", i["skew_seconds"], test_id="inspector-skew"), spacing="5", wrap="wrap"),
            label("Signed content (id.timestamp.body)"),
            rx.code_block(i["signed_content"], language="json", wrap_long_lines=True, width="100%", data_testid="inspector-content"),
        ),
    )


def _recover() -> rx.Component:
    return rx.cond(
        S.can_manage_webhooks,
        titled_panel(
            "Recover",
            rx.hstack(
                rx.input(value=S.recover_since, on_change=S.set_recover_since, size="2", width="300px", font_family=MONO, data_testid="recover-since"),
                rx.button("Dry run", size="2", variant="soft", on_click=S.preview_recover, data_testid="recover-dry-run"),
                rx.button("Recover", size="2", on_click=S.run_recover, disabled=~S.recover_ready, data_testid="recover-run"),
                spacing="3",
                align="center",
            ),
            rx.cond(S.recover_preview != "", rx.text(S.recover_preview, size="2", data_testid="recover-preview")),
            hint="Send again what this endpoint missed or failed since a moment (at most 7 days back). The dry run counts first; recovery runs only after it.",
        ),
    )


def page() -> rx.Component:
    return shell(
        rx.hstack(rx.text("Webhook endpoint"), id_chip(S.endpoint["id"], size="3", color_scheme="gray"), spacing="3", align="baseline"),
        rx.cond(
            S.not_found,
            panel(empty("No webhook endpoint with this id in this tenant and mode.", icon="search-x")),
            rx.vstack(
                _health(),
                notice_callout(S.notice, "webhook-notice"),
                error_callout(S.action_error, "webhook-error"),
                _recover(),
                panel(
                    rx.hstack(label("Attempts"), rx.spacer(), rx.button(rx.icon("refresh-cw", size=14), "Refresh", size="1", variant="soft", color_scheme="gray", on_click=S.refresh), width="100%"),
                    rx.box(height="10px"),
                    rx.cond(S.attempts.length() > 0, data_table(ATTEMPT_HEADERS, rx.foreach(S.attempts, _attempt)), empty("No delivery attempts yet.")),
                    pager(S.attempts_range, S.attempts_offset > 0, S.attempts_offset + S.attempts.length() < S.attempts_total, S.attempts_prev, S.attempts_next, "attempts"),
                ),
                _inspector(),
                spacing="5",
                width="100%",
            ),
        ),
    )
