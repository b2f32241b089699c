"""`/intents`: the operations room's intent table (a server-side page at a time, live) and the drawer
of one intent: state path, event handoff, ledger entries, policy decision, routing attempts,
webhook attempts, provider callbacks and its evidence packet. `/intents?id=intent_…` opens it."""

from __future__ import annotations

import reflex as rx

from backend.intents.states import HAPPY_PATH
from state.intents import KIND_CHOICES, STATUS_CHOICES, IntentsState
from zentra_ui.components import plain
from zentra_ui.components.plain import table_cell, table_row
from zentra_ui.components.saved_filters import saved_filters_bar
from zentra_ui.components.shell import shell
from zentra_ui.components.ui import (
    MONO,
    amount,
    as_of,
    choice_select,
    count_text,
    data_table,
    fact,
    id_chip,
    label,
    mono,
    paged_panel,
    refresh_icon,
    search_box,
    status_badge,
    table_or_note,
    when_text,
)

ROUTE = "/intents"
ON_LOAD = IntentsState.load
TITLE = "Intents · Zentra"
SEALING_REFRESH_MS = 4000
DRAWER_WIDTH = "640px"

S = IntentsState
HEADERS = [("ID", "left"), ("Status", "left"), ("Amount", "right"), ("Path", "left"), ("Evidence", "left"), ("State", "left"), ("Updated", "left")]

# Every status badge carries its word; the colour only repeats it.
INTENT_COLORS = (
    ("accepted", "gray"),
    ("controlled", "blue"),
    ("review", "amber"),
    ("ledgered", "teal"),
    ("routed", "cyan"),
    ("synchronized", "grass"),
    ("retrying", "amber"),
    ("evidenced", "grass"),
    ("rejected", "tomato"),
    ("failed", "tomato"),
    ("reversed", "tomato"),
)
STATE_COLORS = (("live", "grass"), ("held", "amber"), ("retry", "amber"), ("terminal", "gray"))


def intent_badge(status, **props) -> rx.Component:
    return plain.badge(status, color_scheme=rx.match(status, *INTENT_COLORS, "gray"), radius="small", class_name="zt-mono", **props)


def _mark_word(mark) -> rx.Var:
    return rx.match(mark, ("current", "now"), ("done", "reached"), "not reached")


def _dot(step: str, mark) -> rx.Component:
    return rx.box(
        width="9px",
        height="9px",
        border_radius="50%",
        flex_shrink="0",
        background=rx.match(mark, ("current", "var(--zt-accent)"), ("done", "rgba(63, 184, 175, 0.55)"), "transparent"),
        border=rx.match(mark, ("current", "1px solid var(--zt-accent)"), ("done", "1px solid rgba(63, 184, 175, 0.55)"), "1px solid var(--gray-7)"),
        box_shadow=rx.cond(mark == "current", "0 0 8px rgba(63, 184, 175, 0.8)", "none"),
        title=f"{step}: " + _mark_word(mark).to(str),
        aria_label=f"{step}: " + _mark_word(mark).to(str),
        custom_attrs={"data-mark": mark},
        data_testid=f"path-{step}",
    )


def _path(row) -> rx.Component:
    parts: list[rx.Component] = []
    for index, step in enumerate(HAPPY_PATH):
        if index:
            parts.append(rx.box(width="8px", height="1px", background=rx.cond(row[f"p_{step}"] != "", "rgba(63, 184, 175, 0.55)", "var(--gray-6)")))
        parts.append(_dot(step, row[f"p_{step}"]))
    return rx.hstack(
        rx.hstack(rx.hstack(*parts, spacing="0", align="center"), mono(row["path_label"], size="1", color_scheme="gray"), spacing="2", align="center"),
        rx.cond(row["side"] != "", plain.badge("side: " + row["side"].to(str), color_scheme="amber", variant="outline", class_name="zt-mono")),
        spacing="2",
        align="center",
        wrap="wrap",  # a side badge goes under the dots when the table is short of width
        data_testid="intent-path",
    )


def evidence_badge(state) -> rx.Component:
    return rx.cond(
        state == "ready",
        rx.badge(rx.icon("shield-check", size=12), "ready", color_scheme="grass", variant="soft", size="1", font_family=MONO),
        rx.badge(rx.icon("loader", size=12), "sealing", color_scheme="amber", variant="soft", size="1", font_family=MONO),
    )


def _row(row: rx.Var[dict[str, str]]) -> rx.Component:
    return table_row(
        table_cell(id_chip(row["intent_id"], size="2", color_scheme="teal", test_id="intent-open")),  # the row's click opens it
        table_cell(intent_badge(row["status"], data_testid="intent-status")),
        table_cell(
            rx.vstack(
                amount(row["amount"]),
                mono(row["amount_minor"] + " minor", size="1", color_scheme="gray"),
                spacing="0",
                align="end",
            ),
            text_align="right",
        ),
        table_cell(_path(row)),
        table_cell(evidence_badge(row["evidence"]), data_testid="intent-evidence"),
        table_cell(plain.badge(row["state"], color_scheme=rx.match(row["state"], *STATE_COLORS, "gray"), variant="outline", class_name="zt-mono", data_testid="intent-state")),
        table_cell(when_text(row["updated_at"], row["updated_at_iso"])),
        class_name=rx.cond(S.selected_id == row["intent_id"], "zt-row zt-row-selected", "zt-row"),
        background=rx.cond(S.selected_id == row["intent_id"], "rgba(63, 184, 175, 0.06)", "transparent"),
        cursor="pointer",
        on_click=S.select(row["intent_id"]),
        data_testid="intent-row",
    )


def _select(value, choices: tuple[str, ...], on_change, test_id: str, aria: str) -> rx.Component:
    """A filter whose `any` choice reads "any status", "any kind"."""
    return choice_select(value, choices, on_change, test_id, aria, words=lambda c: ("any " + aria.lower()) if c == "any" else c, width="150px")


def _toolbar() -> rx.Component:
    return rx.hstack(
        search_box(S.query, S.search, "intent_… (exact id)", "300px", "intent-search"),
        _select(S.status_filter, STATUS_CHOICES, S.set_status_filter, "intent-status-filter", "Status"),
        _select(S.kind_filter, KIND_CHOICES, S.set_kind_filter, "intent-kind-filter", "Kind"),
        rx.button("Clear", size="1", variant="ghost", color_scheme="gray", on_click=S.clear_filters),
        saved_filters_bar(S),
        rx.spacer(),
        as_of(S.refreshed_at),
        count_text(S.total, "intents", "intents-total", exact=S.total_exact),
        refresh_icon(S.refresh, test_id="refresh"),
        align="center",
        width="100%",
        spacing="3",
        wrap="wrap",
    )


# The drawer ------------------------------------------------------------------------------------


def _section(title: str, count, *body: rx.Component, test_id: str) -> rx.Component:
    return rx.vstack(
        rx.hstack(label(title), rx.cond(count != "", mono(count, size="1", color_scheme="gray")), spacing="2", align="center"),
        *body,
        spacing="2",
        width="100%",
        padding_top="14px",
        border_top="1px solid var(--zt-line)",
        data_testid=test_id,
    )


def _step(step) -> rx.Component:
    return rx.hstack(
        rx.box(
            width="10px",
            height="10px",
            border_radius="50%",
            background=rx.match(step["mark"], ("current", "var(--zt-accent)"), ("done", "rgba(63, 184, 175, 0.55)"), "transparent"),
            border=rx.cond(step["mark"] != "", "1px solid var(--zt-accent)", "1px solid var(--gray-7)"),
        ),
        mono(step["step"], size="1", weight=rx.cond(step["current"] == "yes", "bold", "regular")),
        rx.text(_mark_word(step["mark"]), size="1", color_scheme="gray"),
        spacing="1",
        align="center",
        custom_attrs={"data-mark": step["mark"]},
        data_testid="drawer-step",
    )


def _entry(lead: rx.Component, *lines: rx.Component, test_id: str, **edge) -> rx.Component:
    """One entry of the drawer's state path or event handoff: what leads it, beside its lines."""
    return rx.hstack(lead, rx.vstack(*lines, spacing="0", align="start", min_width="0"), spacing="3", align="start", width="100%", data_testid=test_id, **edge)


def _transition(t) -> rx.Component:
    return _entry(
        rx.hstack(mono(t["from"], size="1", color_scheme="gray"), rx.text("→", size="1", color_scheme="gray"), intent_badge(t["state"]), spacing="1", align="center", min_width="190px"),
        rx.hstack(mono(t["event"], size="1"), when_text(t["at"], t["at_iso"]), spacing="3", wrap="wrap"),
        rx.hstack(mono(t["actor"], size="1", color_scheme="gray"), rx.text(t["reason"], size="1", color_scheme="gray"), spacing="3", wrap="wrap"),
        test_id="drawer-transition",
        padding="6px 0",
        border_bottom="1px solid var(--zt-line)",
    )


def _event(e) -> rx.Component:
    return _entry(
        rx.box(width="7px", height="7px", border_radius="50%", background="var(--zt-accent)", margin_top="6px", flex_shrink="0"),
        rx.hstack(plain.badge(e["type"], color_scheme="teal", class_name="zt-mono"), mono(e["actor"], size="1"), spacing="2", align="center", wrap="wrap"),
        rx.hstack(when_text(e["occurred_at"], e["occurred_at_iso"]), id_chip(e["id"], color_scheme="gray"), spacing="3", align="center"),
        mono(e["data"], size="1", color_scheme="gray", class_name="zt-ellipsis", title=e["data"], max_width="520px"),
        test_id="drawer-event",
        padding_left="4px",
        border_left="1px solid var(--zt-line-strong)",
    )


def _leg(leg) -> rx.Component:
    return table_row(
        table_cell(rx.vstack(rx.cond(leg["posting_id"] != "", id_chip(leg["posting_id"])), rx.cond(leg["kind"] != "", rx.hstack(mono(leg["kind"], size="1", color_scheme="gray"), rx.cond(leg["status"] != "", status_badge(leg["status"])), spacing="1")), spacing="0")),
        table_cell(id_chip(leg["account"], href="/accounts/" + leg["account"])),
        table_cell(rx.hstack(mono(leg["direction"], size="1"), mono(leg["bucket"], size="1", color_scheme="gray"), spacing="1")),
        table_cell(amount(leg["amount"], size="1"), text_align="right"),
        data_testid="drawer-leg",
    )


def _check(c) -> rx.Component:
    return table_row(
        table_cell(mono(c["rule_id"], size="1")),
        table_cell(plain.badge(c["result"], color_scheme=rx.match(c["result"], ("passed", "grass"), ("review", "amber"), ("failed", "tomato"), "gray"), class_name="zt-mono")),
        table_cell(rx.text(c["detail"], size="1", color_scheme="gray")),
        data_testid="drawer-check",
    )


def _routing(a) -> rx.Component:
    return table_row(
        table_cell(mono(a["provider_id"], size="1")),
        table_cell(plain.badge(a["result"], color_scheme=rx.cond(a["result"] == "accepted", "grass", "tomato"), class_name="zt-mono")),
        table_cell(mono(a["status_code"], size="1")),
        table_cell(mono(a["duration"], size="1"), text_align="right"),
        table_cell(rx.vstack(mono(a["provider_reference"], size="1", color_scheme="gray"), rx.text(a["error"], size="1", color_scheme="tomato"), spacing="0")),
        data_testid="drawer-routing",
    )


def _webhook(a) -> rx.Component:
    return table_row(
        table_cell(when_text(a["attempted_at"], a["attempted_at_iso"])),
        table_cell(mono(a["event_type"], size="1")),
        table_cell(mono(a["endpoint_id"], size="1", color_scheme="gray")),
        table_cell(mono(a["attempt"], size="1"), text_align="right"),
        table_cell(rx.hstack(status_badge(a["status"]), mono(a["response_code"], size="1"), mono(a["error_kind"], size="1", color_scheme="tomato"), spacing="1")),
        table_cell(mono(a["duration"], size="1"), text_align="right"),
        data_testid="drawer-webhook",
    )


def _callback(c) -> rx.Component:
    return table_row(
        table_cell(when_text(c["received_at"], c["received_at_iso"])),
        table_cell(mono(c["provider"], size="1")),
        table_cell(mono(c["type"], size="1")),
        table_cell(mono(c["sequence"], size="1"), text_align="right"),
        table_cell(rx.hstack(plain.badge(c["outcome"], color_scheme=rx.cond(c["outcome"] == "applied", "grass", "gray"), class_name="zt-mono"), rx.text(c["reason"], size="1", color_scheme="gray"), spacing="1")),
        data_testid="drawer-callback",
    )


def _fact(name: str, value, title=None) -> rx.Component:
    """A drawer fact whose long values stay on one line, cut with an ellipsis (the whole, or
    `title`, in its tooltip)."""
    return rx.vstack(label(name), mono(value, size="1", class_name="zt-ellipsis", title=value if title is None else title, max_width="280px"), spacing="1", align="start", min_width="0")


def _id_fact(name: str, value, href=None) -> rx.Component:
    """A drawer fact that is an id: copyable, a link to its page when it has one."""
    return rx.vstack(label(name), rx.cond(value != "", id_chip(value, href=href, class_name="zt-ellipsis", title=value, max_width="250px"), mono("—", size="1", color_scheme="gray")), spacing="1", align="start", min_width="0")


def _drawer_body() -> rx.Component:
    I = S.selected  # noqa: E741 - the selected intent's facts
    return rx.vstack(
        rx.hstack(
            intent_badge(I["status"], data_testid="drawer-status"),
            rx.badge(I["state"], variant="outline", size="1", font_family=MONO),
            rx.text(I["kind"], size="2", color_scheme="gray"),
            rx.spacer(),
            amount(I["amount"], size="4", weight="medium", data_testid="drawer-amount"),
            width="100%",
            align="center",
        ),
        rx.grid(
            _id_fact("Source", I["source"], href="/accounts/" + I["source"].to(str)),
            _id_fact("Destination", I["destination"]),  # an account, or an outside party for payouts
            _fact("Counterparty", I["counterparty"]),
            _fact("Corridor", I["corridor"]),
            _fact("Provider", I["provider_id"]),
            _id_fact("Hold", I["hold_id"]),
            _fact("Created by", I["created_by"]),
            _fact("Revision", I["revision"]),
            rx.box(_fact("Created", I["created_at"], title=I["created_at_iso"]), data_testid="drawer-created"),
            _fact("Updated", I["updated_at"], title=I["updated_at_iso"]),
            columns="2",
            spacing="3",
            width="100%",
        ),
        rx.cond(I["failure"] != "", rx.callout(I["failure"].to(str) + ": " + I["failure_message"].to(str), icon="triangle-alert", color_scheme="tomato", size="1", width="100%", data_testid="drawer-failure")),
        _section(
            "State path",
            S.sel_counts["states"],
            rx.hstack(rx.foreach(S.selected_path, _step), rx.cond(I["side"] != "", plain.badge("side: " + I["side"].to(str), color_scheme="amber", variant="outline", class_name="zt-mono")), spacing="3", wrap="wrap", align="center"),
            rx.vstack(rx.foreach(S.sel_states, _transition), spacing="0", width="100%"),
            test_id="drawer-path",
        ),
        _section("Event handoff", S.sel_counts["events"], rx.cond(S.sel_events.length() > 0, rx.vstack(rx.foreach(S.sel_events, _event), spacing="2", width="100%"), rx.text("No events yet.", size="1", color_scheme="gray")), test_id="drawer-events"),
        _section(
            "Policy decision",
            "",
            rx.hstack(
                plain.badge(I["policy_outcome"], color_scheme=rx.match(I["policy_outcome"], ("accept", "grass"), ("review", "amber"), ("reject", "tomato"), "gray"), size="2", data_testid="drawer-policy-outcome", class_name="zt-mono"),
                fact("Reason", I["policy_reason"]),
                fact("Policy version", I["policy_version"], test_id="drawer-policy-version"),
                fact("Approvals required", I["required_approvals"]),
                spacing="5",
                align="center",
                wrap="wrap",
            ),
            rx.hstack(rx.foreach(S.sel_labels, lambda lbl: plain.badge(lbl, variant="outline", color_scheme="gray", class_name="zt-mono")), spacing="1", wrap="wrap", data_testid="drawer-policy-labels"),
            table_or_note([("Rule", "left"), ("Result", "left"), ("Detail", "left")], S.sel_checks, _check, "No checks recorded."),
            rx.cond(
                I["review_id"] != "",
                rx.hstack(
                    label("Review"),
                    id_chip(I["review_id"], test_id="drawer-review-id"),
                    status_badge(I["review_status"]),
                    mono("assignee: " + rx.cond(I["review_assignee"] != "", I["review_assignee"], "unassigned").to(str), size="1", color_scheme="gray"),
                    mono("due " + I["review_due"].to(str), size="1", color_scheme="gray"),
                    rx.cond(S.can_decide_reviews & (I["review_status"] == "open"), rx.link("Open the review queue", href="/reviews", size="1", color_scheme="teal")),
                    spacing="2",
                    align="center",
                    wrap="wrap",
                ),
            ),
            test_id="drawer-policy",
        ),
        _section("Ledger entries", S.sel_counts["postings"], table_or_note([("Posting", "left"), ("Account", "left"), ("Leg", "left"), ("Amount", "right")], S.sel_legs, _leg, "No postings yet: money moves only after the policy decided."), test_id="drawer-ledger"),
        _section("Routing attempts", S.sel_counts["routing"], table_or_note([("Provider", "left"), ("Result", "left"), ("Code", "left"), ("Duration", "right"), ("Reference / error", "left")], S.sel_routing, _routing, "Not routed yet."), test_id="drawer-routing-section"),
        _section("Webhook attempts", S.sel_counts["webhooks"], table_or_note([("When", "left"), ("Event", "left"), ("Endpoint", "left"), ("#", "right"), ("Outcome", "left"), ("Duration", "right")], S.sel_webhooks, _webhook, "No webhook deliveries of this intent's events."), test_id="drawer-webhooks"),
        _section("Provider callbacks", S.sel_counts["callbacks"], table_or_note([("Received", "left"), ("Provider", "left"), ("Type", "left"), ("Seq", "right"), ("Outcome", "left")], S.sel_callbacks, _callback, "No provider callbacks."), test_id="drawer-callbacks"),
        _section(
            "Evidence packet",
            "",
            rx.hstack(
                rx.box(evidence_badge(I["evidence"]), data_testid="drawer-evidence"),
                mono("event stream: " + I["event_stream"].to(str), size="1", color_scheme="gray"),
                rx.spacer(),
                rx.cond(
                    S.can_view_audit,
                    rx.link(rx.hstack(rx.icon("shield-check", size=14), "Export and verify the packet", spacing="1", align="center"), href="/evidence?id=" + S.selected_id, size="2", color_scheme="teal", data_testid="evidence-link"),
                    rx.text("Packet export is for compliance and admin.", size="1", color_scheme="gray"),
                ),
                align="center",
                width="100%",
            ),
            mono("GET " + I["evidence_url"].to(str), size="1", color_scheme="gray"),
            test_id="drawer-evidence-section",
        ),
        spacing="3",
        width="100%",
    )


def _drawer() -> rx.Component:
    return rx.cond(
        S.drawer_open,
        rx.box(
            rx.vstack(
                rx.hstack(
                    rx.vstack(
                        label("Selected intent"),
                        id_chip(S.selected_id, size="3", weight="medium", test_id="drawer-intent-id"),
                        spacing="1",
                        align="start",
                    ),
                    rx.spacer(),
                    rx.link(rx.icon("link", size=14), href=S.deep_link, color_scheme="gray", title="Link to this intent"),
                    rx.icon_button(rx.icon("x", size=16), variant="ghost", color_scheme="gray", on_click=S.close_drawer, aria_label="Close", data_testid="drawer-close"),
                    width="100%",
                    align="start",
                    spacing="3",
                ),
                rx.cond(
                    S.drawer_error != "",
                    rx.callout(S.drawer_error, icon="search-x", color_scheme="tomato", size="1", width="100%", data_testid="drawer-error"),
                    rx.cond(S.drawer_loading, rx.center(rx.spinner(size="3"), width="100%", padding="60px 0"), _drawer_body()),
                ),
                spacing="4",
                width="100%",
            ),
            position="fixed",
            top="0",
            right="0",
            height="100vh",
            width=DRAWER_WIDTH,
            max_width="100vw",
            overflow_y="auto",
            z_index="40",
            padding="20px 22px 40px 22px",
            background="var(--zt-panel)",
            border_left="1px solid var(--zt-line-strong)",
            box_shadow="-24px 0 48px rgba(0, 0, 0, 0.45)",
            role="dialog",
            aria_label="Selected intent",
            data_testid="intent-drawer",
        ),
    )


def page() -> rx.Component:
    return shell(
        "Intents",
        paged_panel(S, data_table(HEADERS, rx.foreach(S.rows, _row)), S.empty_message, "intents", above=(_toolbar(), rx.box(height="12px"))),
        rx.cond(S.sealing, rx.moment(interval=SEALING_REFRESH_MS, on_change=S.tick, display="none")),
        _drawer(),
        intro="Every intent of this tenant and mode, newest first, on its way accepted → controlled → ledgered → routed → synchronized → evidenced. Click a row for its whole story.",
    )
