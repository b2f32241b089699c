"""`/policy`: the scope's policy rules as a reader needs them, the version history, and for admins
the editor that publishes the next version."""

from __future__ import annotations

import reflex as rx

from state.policy import PolicyState
from zentra_ui.components import plain
from zentra_ui.components.plain import table_cell, table_row
from zentra_ui.components.shell import shell
from zentra_ui.components.ui import (
    MONO,
    data_table,
    empty,
    fact,
    label,
    mono,
    notice_callout,
    pager,
    panel,
    table_or_note,
    titled_panel,
    when_text,
)

ROUTE = "/policy"
ON_LOAD = PolicyState.load
TITLE = "Policy · Zentra"

S = PolicyState
LIMIT_HEADERS = [("Kind", "left"), ("Currency", "left"), ("Largest intent", "right")]
THRESHOLD_HEADERS = [("Currency", "left"), ("Review at or over", "right"), ("Two approvals at or over", "right")]
HISTORY_HEADERS = [("Version", "left"), ("Note", "left"), ("Published by", "left"), ("Published", "left"), ("", "right")]


def _tags(items, none: str, test_id: str) -> rx.Component:
    return rx.cond(
        items.length() > 0,
        rx.hstack(rx.foreach(items, lambda item: plain.badge(item, color_scheme="gray", data_testid=f"{test_id}-item", class_name="zt-mono")), wrap="wrap", spacing="2"),
        rx.text(none, size="2", color_scheme="gray", data_testid=f"{test_id}-none"),
    )


def _section(title: str, body: rx.Component) -> rx.Component:
    return rx.vstack(label(title), body, spacing="2", width="100%", align="start")


def _limits() -> rx.Component:
    row = lambda r: table_row(table_cell(mono(r["kind"])), table_cell(mono(r["currency"])), table_cell(mono(r["max"]), text_align="right"), data_testid="limit-row")  # noqa: E731
    return table_or_note(LIMIT_HEADERS, S.limits, row, "No amount limits.", size="2")


def _thresholds() -> rx.Component:
    row = lambda r: table_row(table_cell(mono(r["currency"])), table_cell(mono(r["review"]), text_align="right"), table_cell(mono(r["dual"]), text_align="right"), data_testid="threshold-row")  # noqa: E731
    return table_or_note(THRESHOLD_HEADERS, S.thresholds, row, "Nothing is sent to review by amount.", size="2")


def _velocity() -> rx.Component:
    return rx.cond(
        S.velocity.length() > 0,
        rx.hstack(fact("Window", S.velocity["window"]), fact("Intents per source", S.velocity["max_count"], test_id="velocity-count"), fact("Amount per source", S.velocity["max_amount"]), spacing="6", wrap="wrap"),
        rx.text("No velocity limit.", size="2", color_scheme="gray"),
    )


def _shown() -> rx.Component:
    heading = rx.hstack(
        rx.heading("Version ", S.shown["version"], size="4", weight="medium", data_testid="policy-version"),
        rx.cond(S.showing_current, rx.badge("current", color_scheme="grass", variant="soft"), rx.badge("older version", color_scheme="amber", variant="soft")),
        rx.spacer(),
        rx.cond(S.showing_current, rx.fragment(), rx.button("Back to current", size="1", variant="soft", color_scheme="gray", on_click=S.show_current)),
        align="center",
        width="100%",
    )
    return panel(
        rx.vstack(
            heading,
            rx.hstack(fact("Published by", S.shown["created_by"]), fact("Published", S.shown["created_at"]), fact("Note", S.shown["note"], mono_value=False), spacing="6", wrap="wrap"),
            _section("Amount limits (larger intents are rejected)", _limits()),
            _section("Review thresholds", _thresholds()),
            _section("Velocity (per source account; over it goes to review)", _velocity()),
            _section("Blocked counterparties (rejected; case and spacing ignored)", _tags(S.blocked, "Nobody is blocked.", "blocked")),
            _section("Corridors allowed", _tags(S.corridors, "Every corridor.", "corridor")),
            spacing="4",
            width="100%",
        ),
    )


def _editor() -> rx.Component:
    return rx.cond(
        S.can_manage_policy,
        titled_panel(
            "Publish a new version",
            rx.text_area(value=S.draft, on_change=S.set_draft, rows="18", width="100%", font_family=MONO, spell_check=False, data_testid="policy-draft"),
            rx.hstack(
                rx.input(value=S.draft_note, on_change=S.set_draft_note, placeholder="Note (why this change)", max_length=500, width="420px", data_testid="policy-note"),
                rx.button(S.publish_label, on_click=S.publish, data_testid="policy-publish"),
                rx.button("Reset to current", variant="soft", color_scheme="gray", on_click=S.reset_draft),
                spacing="3",
                align="center",
            ),
            rx.cond(
                S.error_message != "",
                rx.callout(rx.hstack(mono(S.error_param, weight="bold"), rx.text(S.error_message), spacing="2", wrap="wrap"), icon="triangle-alert", color_scheme="tomato", size="1", width="100%", data_testid="policy-error"),
            ),
            notice_callout(S.notice, "policy-notice", width="100%"),
            hint="The whole document is validated before anything is saved; keys you leave out keep Zentra's defaults. Versions are never edited: intents already judged keep the version that judged them.",
        ),
    )


def _version(row: rx.Var[dict[str, str]]) -> rx.Component:
    return table_row(
        table_cell(mono(row["version"])),
        table_cell(rx.text(row["note"], size="2")),
        table_cell(mono(row["created_by"], size="1")),
        table_cell(when_text(row["created_at"], row["created_at_iso"])),
        table_cell(rx.button("View", size="1", variant="soft", color_scheme="gray", on_click=S.show_version(row["version"]), data_testid="view-version"), text_align="right"),
        class_name="zt-row",
        data_testid="version-row",
    )


def _history() -> rx.Component:
    return panel(
        label("Version history"),
        rx.box(height="10px"),
        rx.cond(
            S.history.length() > 0,
            data_table(HISTORY_HEADERS, rx.foreach(S.history, _version)),
            empty(rx.cond(S.loaded, "No version published yet: this tenant and mode use Zentra's built-in policy (version 0).", "Loading…")),
        ),
        pager(S.history_range, S.history_offset > 0, S.history_offset + S.history.length() < S.history_total, S.history_prev, S.history_next, "versions"),
    )


def page() -> rx.Component:
    return shell(
        "Policy",
        _shown(),
        _editor(),
        _history(),
        intro="Every intent is judged by the current version of this tenant and mode's policy; its evidence names the version and each rule's verdict. Read it over the API with GET /v1/policy.",
    )
