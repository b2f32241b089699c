"""`/evidence`: the compliance room: chain status, packet export with its verdict, the audit rail."""

from __future__ import annotations

import reflex as rx

from state.evidence import EvidenceState
from zentra_ui.components import plain
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
    pager,
    panel,
    titled_panel,
    when_text,
)

ROUTE = "/evidence"
ON_LOAD = EvidenceState.load
TITLE = "Evidence · Zentra"
LIVE_REFRESH_MS = 3000

HEADERS = [("Seq", "left"), ("Time", "left"), ("Actor", "left"), ("Role", "left"), ("Action", "left"), ("Object", "left"), ("Scope", "left"), ("Policy", "left"), ("Hash", "left")]


def _chain_status() -> rx.Component:
    badge = rx.match(
        EvidenceState.chain_state,
        ("verified", rx.badge(rx.icon("shield-check", size=14), "chain verified", color_scheme="grass", variant="soft", size="2")),
        ("broken", rx.badge(rx.icon("shield-alert", size=14), "chain broken", color_scheme="tomato", variant="solid", size="2")),
        ("empty", rx.badge(rx.icon("shield", size=14), "no records yet", color_scheme="gray", variant="soft", size="2")),
        rx.badge(rx.icon("shield", size=14), "not verified yet", color_scheme="amber", variant="soft", size="2"),
    )
    return panel(
        rx.hstack(
            rx.box(badge, data_testid="chain-status"),
            fact("Verified through seq", EvidenceState.verified_seq.to_string(), test_id="verified-seq"),
            fact("Verified at", EvidenceState.verified_at),
            fact("Sealed records", EvidenceState.sealed_seq.to_string()),
            spacing="6",
            align="center",
            wrap="wrap",
        ),
        error_callout(EvidenceState.broken_reason, "chain-broken", margin_top="12px"),
    )


def _verdict() -> rx.Component:
    return rx.match(
        EvidenceState.export_verdict,
        ("verified", rx.hstack(rx.badge(rx.icon("badge-check", size=14), "packet verified", color_scheme="grass", variant="solid", size="2"), rx.text(EvidenceState.export_summary, size="1", color_scheme="gray", font_family=MONO), align="center", spacing="3", data_testid="export-verdict")),
        ("invalid", rx.hstack(rx.badge(rx.icon("badge-x", size=14), "packet invalid", color_scheme="tomato", variant="solid", size="2"), rx.text(EvidenceState.export_summary, size="1"), align="center", spacing="3", data_testid="export-verdict")),
        rx.fragment(),
    )


def _export() -> rx.Component:
    return titled_panel(
        "Evidence packet",
        rx.hstack(
            rx.input(value=EvidenceState.export_id, on_change=EvidenceState.set_export_id, placeholder="acct_… or pst_…", size="2", width="360px", font_family=MONO, data_testid="export-id"),
            rx.button(rx.icon("download", size=14), "Export packet", size="2", on_click=EvidenceState.export, disabled=~EvidenceState.can_export_evidence, data_testid="export-packet"),
            align="center",
            spacing="3",
        ),
        error_callout(EvidenceState.export_error, "export-error"),
        _verdict(),
        hint="A signed packet holds the object, its entries and events, and its audit records with the chain links that prove them. Check it offline with zentra verify.",
    )


def _filters() -> rx.Component:
    field = lambda name, value, placeholder, width="180px": rx.input(name=name, default_value=value, placeholder=placeholder, size="1", width=width, font_family=MONO, data_testid=f"filter-{name}")  # noqa: E731
    return rx.form(
        rx.hstack(
            field("actor", EvidenceState.filter_actor, "actor (operator:… / api_key:…)", "220px"),
            field("object", EvidenceState.filter_object, "object id"),
            field("action", EvidenceState.filter_action, "action (hold.capture…)"),
            field("since", EvidenceState.filter_since, "since (ISO 8601)"),
            field("until", EvidenceState.filter_until, "until (ISO 8601)"),
            rx.button("Filter", type="submit", size="1", variant="soft", data_testid="filter-apply"),
            rx.button("Clear", type="button", size="1", variant="ghost", color_scheme="gray", on_click=EvidenceState.clear_filters),
            rx.spacer(),
            rx.hstack(rx.switch(checked=EvidenceState.live, on_change=EvidenceState.set_live, size="1"), rx.text("Live", size="1", color_scheme="gray"), align="center", spacing="2"),
            spacing="2",
            align="center",
            wrap="wrap",
            width="100%",
        ),
        on_submit=EvidenceState.apply_filters,
        width="100%",
    )


def _row(row: rx.Var[dict[str, str]]) -> rx.Component:
    return table_row(
        table_cell(mono(row["seq"])),
        table_cell(when_text(row["occurred_at"], row["occurred_at_iso"])),
        table_cell(mono(row["actor"], size="1")),
        table_cell(plain.badge(row["role"], variant="outline", color_scheme="gray", class_name="zt-mono")),
        table_cell(
            rx.hstack(
                rx.cond(row["denied"] != "", rx.badge(rx.icon("ban", size=12), "denied", color_scheme="tomato", variant="soft", size="1")),
                mono(row["action"]),
                spacing="2",
                align="center",
            )
        ),
        table_cell(
            rx.cond(
                row["object"] != "",
                id_chip(row["object"], on_click=EvidenceState.export_for(row["object"]), link_title="Export this object's evidence packet"),
            )
        ),
        table_cell(mono(row["scope"], size="1", color_scheme="gray", class_name="zt-ellipsis", max_width="240px", title=row["scope"])),
        table_cell(mono(row["policy"], size="1", color_scheme="gray", class_name="zt-ellipsis", max_width="280px", title=row["policy"] + " · request " + row["request_id"])),
        table_cell(mono(row["hash"], size="1", color_scheme="gray")),
        class_name="zt-row",
        data_testid="audit-row",
    )


def _rail() -> rx.Component:
    return panel(
        rx.vstack(
            label("Audit rail"),
            _filters(),
            error_callout(EvidenceState.filter_error),
            rx.cond(
                EvidenceState.records.length() > 0,
                data_table(HEADERS, rx.foreach(EvidenceState.records, _row)),
                rx.cond(EvidenceState.loaded, empty("No audit records match."), empty("Loading…", icon="loader")),
            ),
            pager(EvidenceState.range_label, EvidenceState.has_prev, EvidenceState.has_more, EvidenceState.prev_page, EvidenceState.next_page, "audit"),
            spacing="3",
            width="100%",
        ),
    )


def page() -> rx.Component:
    return shell(
        "Evidence",
        rx.text("Every mutation, operator action and denied attempt, hash-chained per tenant and re-verified in the background.", size="2", color_scheme="gray"),
        _chain_status(),
        _export(),
        _rail(),
        rx.moment(interval=LIVE_REFRESH_MS, on_change=EvidenceState.tick, display="none"),
    )
