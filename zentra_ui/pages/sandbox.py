"""`/sandbox`: rehearse before production. The traffic dial (start, pause, rate), the nine failure
scenarios with a Run button each, and every run's verdict, check by check, with the evidence ids
it kept, live as the scenario plays."""

from __future__ import annotations

import reflex as rx

from state.sandbox import SandboxState
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
    paged_panel,
    panel,
    status_badge,
    titled_panel,
    when_text,
)

ROUTE = "/sandbox"
ON_LOAD = SandboxState.load
TITLE = "Sandbox · Zentra"
S = SandboxState

# A run's state in words and a colour that agrees with it: green held, red did not, amber plays.
RUN_COLORS = (("passed", "grass"), ("failed", "tomato"), ("interrupted", "tomato"), ("running", "amber"), ("queued", "amber"), ("paused", "gray"))
SCENARIO_HEADERS = [("Scenario", "left"), ("What it rehearses", "left"), ("Last run", "left"), ("", "right")]
RUN_HEADERS = [("Run", "left"), ("Scenario", "left"), ("Status", "left"), ("Checks", "right"), ("Took", "right"), ("Asked by", "left"), ("Queued", "left")]


def run_badge(status, **props) -> rx.Component:
    return status_badge(status, RUN_COLORS, **props)


def _dial_controls() -> rx.Component:
    return rx.cond(
        S.can_operate,
        rx.hstack(
            rx.cond(
                S.dial_running,
                rx.button(rx.icon("pause", size=14), "Pause", size="2", variant="soft", color_scheme="amber", on_click=S.pause_traffic, data_testid="traffic-pause"),
                rx.button(rx.icon("play", size=14), "Start", size="2", on_click=S.start_traffic, data_testid="traffic-start"),
            ),
            rx.input(value=S.rate_input, on_change=S.set_rate_input, placeholder=S.dial["rate"], size="2", width="90px", font_family=MONO, aria_label="intents per minute", data_testid="traffic-rate"),
            rx.text("per minute", size="2", color_scheme="gray"),
            rx.button("Set rate", size="2", variant="soft", on_click=S.apply_rate, data_testid="traffic-apply"),
            spacing="2",
            align="center",
            wrap="wrap",
        ),
        mono("Your role may look, not turn the dial.", size="1", color_scheme="gray"),
    )


def _traffic() -> rx.Component:
    return titled_panel(
        "Traffic",
        rx.hstack(
            rx.vstack(label("State"), run_badge(S.dial["state"], data_testid="traffic-state"), spacing="1"),
            fact("Rate / min", S.dial["rate"], test_id="traffic-rate-now"),
            fact("Sent", S.dial["sent"], test_id="traffic-sent"),
            fact("Seed", S.dial["seed"]),
            rx.vstack(label("Last turned"), when_text(S.dial["updated_at"], S.dial["updated_at_iso"]), mono(S.dial["updated_by"], size="1", color_scheme="gray"), spacing="1"),
            spacing="6",
            wrap="wrap",
        ),
        _dial_controls(),
        hint="Seeded, repeatable payments, transfers, card authorizations and payouts across USD, EUR, GBP and JPY corridors, sent through the same intake as the API.",
    )


def _scenario(row: rx.Var[dict[str, str]]) -> rx.Component:
    return table_row(
        table_cell(mono(row["name"], size="2", weight="medium")),
        table_cell(rx.text(row["summary"], size="2")),
        table_cell(rx.cond(row["last_status"] != "", run_badge(row["last_status"]), mono("never run", size="1", color_scheme="gray"))),
        table_cell(
            rx.cond(
                S.can_operate,
                rx.button(
                    rx.icon("play", size=12),
                    "Run",
                    size="1",
                    variant="soft",
                    disabled=(row["last_status"] == "queued") | (row["last_status"] == "running"),
                    on_click=S.run_scenario(row["name"]),
                    custom_attrs={"data-scenario": row["name"]},
                    data_testid="run-scenario",
                ),
            ),
            style={"text_align": "right"},
        ),
        class_name="zt-row",
        data_testid="scenario-row",
    )


def _run(row: rx.Var[dict[str, str]]) -> rx.Component:
    return table_row(
        table_cell(id_chip(row["id"], on_click=S.select_run(row["id"]), test_id="run-link", link_title="Show this run's verdict")),
        table_cell(mono(row["scenario"], size="1")),
        table_cell(run_badge(row["status"], data_testid="run-status")),
        table_cell(mono(row["checks"], size="1"), style={"text_align": "right"}),
        table_cell(mono(row["took"], size="1"), style={"text_align": "right"}),
        table_cell(mono(row["requested_by"], size="1", color_scheme="gray")),
        table_cell(when_text(row["created_at"], row["created_at_iso"])),
        class_name=rx.cond(row["id"] == S.selected_id, "zt-row zt-row-selected", "zt-row"),
        custom_attrs={"data-scenario": row["scenario"]},
        data_testid="run-row",
    )


def _check(check: rx.Var[dict[str, str]]) -> rx.Component:
    held = check["passed"] == "yes"
    return rx.hstack(
        rx.cond(held, rx.icon("circle-check", size=16, color=rx.color("grass", 10)), rx.icon("circle-x", size=16, color=rx.color("tomato", 10))),
        mono(rx.cond(held, "ok", "FAIL"), size="1", weight="bold", color_scheme=rx.cond(held, "grass", "tomato"), min_width="34px"),
        rx.vstack(rx.text(check["name"], size="2", weight="medium"), rx.text(check["detail"], size="1", color_scheme="gray", font_family=MONO, style={"overflow_wrap": "anywhere"}), spacing="0", min_width="0"),
        spacing="2",
        align="start",
        data_testid="verdict-check",
    )


def _kept(item: rx.Var[dict[str, str]]) -> rx.Component:
    return rx.hstack(
        mono(item["name"], size="1", color_scheme="gray", min_width="90px"),
        rx.cond(item["href"] != "", id_chip(item["value"], href=item["href"]), id_chip(item["value"])),
        spacing="2",
        align="center",
    )


def _verdict() -> rx.Component:
    return rx.cond(
        S.selected_id != "",
        panel(
            rx.vstack(
                rx.hstack(label("Verdict"), mono(S.selected["scenario"], size="2", weight="medium"), run_badge(S.selected["status"], data_testid="verdict-status"), mono(S.selected["took"], size="1", color_scheme="gray"), spacing="3", align="center", wrap="wrap"),
                rx.cond(
                    S.checks.length() > 0,
                    rx.vstack(rx.foreach(S.checks, _check), spacing="2", width="100%"),
                    rx.text(rx.cond(S.selected["status"] == "interrupted", "The process playing this run stopped before its verdict.", "Playing: the checks appear when the scenario ends."), size="2", color_scheme="gray"),
                ),
                rx.cond(S.evidence.length() > 0, rx.vstack(label("Evidence kept"), rx.foreach(S.evidence, _kept), spacing="1")),
                spacing="3",
                width="100%",
            ),
            data_testid="verdict",
        ),
    )


def _room() -> rx.Component:
    return rx.vstack(
        notice_callout(S.notice, "sandbox-notice"),
        error_callout(S.action_error, "sandbox-error"),
        _traffic(),
        panel(
            rx.vstack(label("Failure scenarios"), data_table(SCENARIO_HEADERS, rx.foreach(S.scenarios, _scenario)), spacing="3", width="100%"),
        ),
        _verdict(),
        paged_panel(S, data_table(RUN_HEADERS, rx.foreach(S.rows, _run)), "No scenario has run in this tenant yet.", "runs", above=(label("Runs"),)),
        spacing="4",
        width="100%",
    )


def page() -> rx.Component:
    return shell(
        "Sandbox",
        rx.cond(S.live_mode, panel(empty("The sandbox room rehearses in sandbox mode only: switch to sandbox in the top bar.", icon="flask-conical")), _room()),
        intro="Start in sandbox, rehearse the failure cases, and move to production with contracts, traces and evidence already aligned. Each scenario plays against this instance over its API and ends with a verdict.",
    )
