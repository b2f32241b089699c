"""`/`: the operations room. The runtime strip (API → Policy → Ledger → Route → Webhook →
Evidence, each with its count over the last hour and a health word), the headline tiles, the
eight newest intents beside the selected one's money, policy, evidence and event handoff (under
them below 1440 px, where beside them the table would lose columns), and the 24 h / Events /
Audit tabs. Live from the event stream; signed-out visitors go to sign in."""

from __future__ import annotations

import reflex as rx

from state.home import STAGES, HomeState
from zentra_ui.components import plain
from zentra_ui.components.plain import table_cell, table_row
from zentra_ui.components.shell import shell
from zentra_ui.components.ui import MONO, amount, data_table, empty, label, mono, panel
from zentra_ui.pages.intents import STATE_COLORS, _path, evidence_badge, intent_badge

ROUTE = "/"
ON_LOAD = HomeState.load
TITLE = "Operations room · Zentra"
CLOCK_MS = 500  # while a live refresh is owed (HomeState.tick reads at most once per LIVE_GAP)

S = HomeState
TABLE_HEADERS = [("ID", "left"), ("Status", "left"), ("Amount", "right"), ("Path", "left"), ("Evidence", "left"), ("State", "left")]

# A health word's tone: the word is always written; colour and icon only repeat it.
TONE_COLORS = (("ok", "grass"), ("watch", "amber"), ("bad", "tomato"))
TONE_LINES = (("ok", "rgba(70, 167, 88, 0.75)"), ("watch", "rgba(200, 162, 74, 0.85)"), ("bad", "rgba(229, 72, 77, 0.85)"))


def _tone_icon(tone) -> rx.Component:
    return rx.match(
        tone,
        ("ok", rx.icon("circle_check", size=12)),
        ("watch", rx.icon("triangle_alert", size=12)),
        ("bad", rx.icon("octagon_x", size=12)),
        rx.icon("circle_dashed", size=12),
    )


def health(word, tone, **props) -> rx.Component:
    return plain.badge(_tone_icon(tone), word, color_scheme=rx.match(tone, *TONE_COLORS, "gray"), radius="full", **props, class_name="zt-mono")


# The runtime strip ------------------------------------------------------------------------------


def _provider(p) -> rx.Component:
    return rx.hstack(
        mono(p["name"], size="1", class_name="zt-ellipsis", max_width="110px", title=p["id"]),
        rx.spacer(),
        rx.text(p["word"], size="1", color=rx.match(p["tone"], ("ok", "var(--grass-11)"), ("watch", "var(--amber-11)"), ("bad", "var(--tomato-11)"), "var(--gray-10)"), font_family=MONO, title=p["detail"]),
        width="100%",
        align="center",
        spacing="2",
        data_testid="route-provider",
    )


def _stage(index: int, key: str, name: str, what: str) -> rx.Component:
    tone = S.strip[f"{key}_tone"]
    extra: list[rx.Component] = []
    if key == "route":
        extra.append(rx.vstack(rx.foreach(S.providers, _provider), spacing="0", width="100%", padding_top="4px"))
    return rx.box(
        rx.vstack(
            rx.hstack(
                mono(f"{index:02d}", size="1", color_scheme="gray"),
                rx.text(name, size="2", weight="medium", style={"letter_spacing": "0.02em"}),
                width="100%",
                align="center",
                spacing="2",
            ),
            mono(S.strip[f"{key}_count"], size="7", weight="light", letter_spacing="-0.02em", line_height="1.1", data_testid="stage-count"),
            health(S.strip[f"{key}_word"], tone, data_testid="stage-word"),
            rx.text(S.strip[f"{key}_detail"], size="1", color_scheme="gray", data_testid="stage-detail"),
            rx.text(what, size="1", color=rx.color("gray", 8), font_family=MONO),
            *extra,
            spacing="1",
            align="start",
            width="100%",
        ),
        class_name="zt-panel",
        padding="14px 14px 12px 14px",
        min_width="0",
        border_top=rx.match(tone, *[(t, f"2px solid {c}") for t, c in TONE_LINES], "2px solid var(--gray-6)"),
        background="linear-gradient(180deg, rgba(63, 184, 175, 0.035), rgba(15, 19, 23, 0) 60%), var(--zt-panel)",
        custom_attrs={"data-tone": tone},
        data_testid=f"stage-{key}",
    )


def runtime_strip() -> rx.Component:
    return rx.vstack(
        rx.hstack(
            label("Runtime operations"),
            rx.text("live product state · last hour", size="1", color_scheme="gray", font_family=MONO),
            rx.spacer(),
            rx.cond(S.refreshed_at != "", mono("as of " + S.refreshed_at, size="1", color_scheme="gray", data_testid="home-refreshed")),
            rx.icon_button(rx.icon("refresh-cw", size=14), size="1", variant="soft", color_scheme="gray", on_click=S.refresh, title="Read again", data_testid="home-refresh"),
            width="100%",
            align="center",
            spacing="3",
        ),
        rx.box(*[_stage(i + 1, *stage) for i, stage in enumerate(STAGES)], class_name="zt-strip"),
        spacing="2",
        width="100%",
        data_testid="runtime-strip",
    )


# Headline tiles ---------------------------------------------------------------------------------


def _tile(title: str, *body: rx.Component, test_id: str) -> rx.Component:
    return panel(rx.vstack(label(title), *body, spacing="1", align="start", width="100%"), padding="14px 16px", data_testid=test_id)


def _volume(v) -> rx.Component:
    """One currency: the amount, and under it its minor units and intents (so a narrow tile never
    wraps a count under the next currency's amount)."""
    return rx.vstack(
        amount(v["amount"], size="5", weight="medium"),
        rx.hstack(
            mono(v["amount_minor"] + " mu", size="1", color_scheme="gray", title="integer minor units"),
            mono(v["count"] + " intents", size="1", color_scheme="gray"),
            spacing="3",
            wrap="wrap",
        ),
        spacing="0",
        padding_bottom="6px",
        data_testid="volume-line",
    )


def headline_tiles() -> rx.Component:
    return rx.grid(
        _tile(
            "State volume",
            rx.cond(S.volume.length() > 0, rx.vstack(rx.foreach(S.volume, _volume), spacing="0"), mono("0 mu", size="5", color_scheme="gray")),
            rx.text("money that reached ledgered, last hour, per currency", size="1", color_scheme="gray"),
            test_id="tile-volume",
        ),
        _tile(
            "Open reviews",
            rx.hstack(
                mono(S.open_reviews.to_string(), size="6", weight="medium", data_testid="tile-reviews-count"),
                health(rx.cond(S.open_reviews > 0, "waiting", "clear"), rx.cond(S.open_reviews > 0, "watch", "ok")),
                align="center",
                spacing="3",
            ),
            rx.cond(S.can_decide_reviews, rx.link("Open the review queue", href="/reviews", size="1", color_scheme="teal"), rx.text("intents a policy sent to a person", size="1", color_scheme="gray")),
            test_id="tile-reviews",
        ),
        _tile(
            "Webhook health",
            rx.hstack(mono(S.webhook["rate"], size="6", weight="medium", data_testid="tile-webhook-rate"), health(S.webhook["word"], S.webhook["tone"]), align="center", spacing="3"),
            rx.text(S.webhook["succeeded"].to(str) + " of " + S.webhook["attempts"].to(str) + " attempts succeeded · " + S.webhook["endpoints"].to(str), size="1", color_scheme="gray", font_family=MONO),
            test_id="tile-webhooks",
        ),
        columns="repeat(auto-fit, minmax(200px, 1fr))",
        spacing="3",
        width="100%",
    )


# The live intent table and the selected intent ------------------------------------------------


def _row(row) -> rx.Component:
    chosen = S.selected_id == row["intent_id"]
    return table_row(
        table_cell(mono(row["intent_id"], size="1", color=rx.cond(chosen, "var(--zt-accent)", "inherit"), class_name="zt-ellipsis zt-intent-id", title=row["intent_id"], data_testid="home-intent-id")),
        table_cell(intent_badge(row["status"], data_testid="intent-status")),
        table_cell(rx.vstack(amount(row["amount"], size="1"), mono(row["amount_minor"] + " mu", size="1", color_scheme="gray"), spacing="0", align="end"), text_align="right"),
        table_cell(_path(row)),
        table_cell(evidence_badge(row["evidence"])),
        table_cell(plain.badge(row["state"], color_scheme=rx.match(row["state"], *STATE_COLORS, "gray"), variant="outline", class_name="zt-mono")),
        class_name="zt-row",
        background=rx.cond(chosen, "rgba(63, 184, 175, 0.07)", "transparent"),
        cursor="pointer",
        on_click=S.select(row["intent_id"]),
        custom_attrs={"data-intent": row["intent_id"]},
        data_testid="home-intent-row",
    )


def intent_table() -> rx.Component:
    return panel(
        rx.hstack(
            label("Live intents"),
            mono(S.table_label, size="1", color_scheme="gray", data_testid="home-intents-total"),
            rx.spacer(),
            rx.link(rx.hstack(rx.text("All intents", size="1"), rx.icon("arrow_up_right", size=12), spacing="1", align="center"), href="/intents", color_scheme="teal"),
            width="100%",
            align="center",
            spacing="3",
            padding_bottom="8px",
        ),
        rx.cond(
            S.rows.length() > 0,
            data_table(TABLE_HEADERS, rx.foreach(S.rows, _row)),
            rx.cond(S.loaded, empty("No intents in this tenant and mode yet. Create one with POST /v1/runtime/intents."), empty("Loading…", icon="loader")),
        ),
        min_width="0",
        data_testid="home-intents",
    )


def _handoff(e) -> rx.Component:
    return rx.hstack(
        mono(e["stage"], size="1", color_scheme="gray", min_width="62px"),
        rx.box(width="7px", height="7px", border_radius="50%", background="var(--zt-accent)", flex_shrink="0", box_shadow="0 0 6px rgba(63, 184, 175, 0.6)"),
        rx.vstack(
            rx.hstack(plain.badge(e["type"], color_scheme="teal", class_name="zt-mono"), mono(e["actor"], size="1", color_scheme="gray", class_name="zt-ellipsis", max_width="120px", title=e["actor"]), spacing="2", align="center", wrap="wrap"),
            mono(e["clock"], size="1", color_scheme="gray", title=e["occurred_at"] + " · " + e["id"]),
            spacing="0",
            align="start",
            min_width="0",
        ),
        spacing="2",
        align="center",
        width="100%",
        padding="3px 0",
        data_testid="home-handoff-event",
    )


def _packet(r) -> rx.Component:
    return rx.vstack(
        rx.hstack(
            mono(r["action"], size="1"),
            rx.cond(r["denied"] != "", plain.badge("denied", color_scheme="tomato", class_name="zt-mono")),
            rx.spacer(),
            mono("#" + r["seq"], size="1", color_scheme="gray", title="hash " + r["hash"] + "…"),
            width="100%",
            align="center",
            spacing="2",
        ),
        mono("scope: " + r["scope"] + " · " + r["actor"], size="1", color_scheme="gray", class_name="zt-ellipsis", max_width="100%", title=r["scope"] + " · " + r["actor"] + " (" + r["role"] + ")"),
        spacing="0",
        width="100%",
        padding="4px 0",
        border_bottom="1px solid var(--zt-line)",
        data_testid="home-packet-record",
    )


def _block(title: str, *body: rx.Component, count=None, test_id: str) -> rx.Component:
    heading = [label(title)] + ([mono(count, size="1", color_scheme="gray")] if count is not None else [])
    return rx.vstack(rx.hstack(*heading, spacing="2", align="center"), *body, spacing="2", width="100%", padding_top="12px", border_top="1px solid var(--zt-line)", data_testid=test_id)


def _selected_blocks(I) -> tuple[rx.Component, ...]:  # noqa: E741 - the selected intent's facts
    """Its money, policy, evidence, event handoff and audit packet."""
    return (
        _block(
            "Money",
            rx.hstack(amount(I["amount"], size="6", weight="medium", data_testid="home-selected-amount"), mono(I["amount_minor"] + " mu", size="1", color_scheme="gray"), align="baseline", spacing="3"),
            rx.hstack(mono(I["source"], size="1", class_name="zt-ellipsis", max_width="140px", title=I["source"]), rx.text("→", size="1", color_scheme="gray"), mono(I["destination"], size="1", class_name="zt-ellipsis", max_width="140px", title=I["destination"]), spacing="2", align="center"),
            rx.hstack(mono("corridor " + I["corridor"].to(str), size="1", color_scheme="gray"), rx.cond(I["provider_id"] != "", mono("via " + I["provider_id"].to(str), size="1", color_scheme="gray", class_name="zt-ellipsis", max_width="100%", title=I["provider_id"])), spacing="3", wrap="wrap", min_width="0", max_width="100%"),
            test_id="home-selected-money",
        ),
        _block(
            "Policy",
            rx.hstack(
                plain.badge(I["policy_outcome"], color_scheme=rx.match(I["policy_outcome"], ("accept", "grass"), ("review", "amber"), ("reject", "tomato"), "gray"), class_name="zt-mono"),
                rx.text(I["policy_reason"], size="1", color_scheme="gray"),
                rx.cond(I["policy_version"] != "", mono("v" + I["policy_version"].to(str), size="1", color_scheme="gray")),
                spacing="2",
                align="center",
                wrap="wrap",
            ),
            rx.cond(S.sel_labels.length() > 0, rx.hstack(rx.foreach(S.sel_labels, lambda lbl: plain.badge(lbl, variant="outline", color_scheme="gray", class_name="zt-mono")), spacing="1", wrap="wrap", data_testid="home-selected-labels")),
            test_id="home-selected-policy",
        ),
        _block(
            "Evidence",
            rx.hstack(rx.box(evidence_badge(I["evidence"]), data_testid="home-selected-evidence"), mono("event stream: " + I["event_stream"].to(str), size="1", color_scheme="gray"), spacing="3", align="center"),
            test_id="home-selected-evidence-block",
        ),
        _block(
            "Event handoff",
            rx.cond(S.sel_events.length() > 0, rx.vstack(rx.foreach(S.sel_events, _handoff), spacing="0", width="100%", padding_left="2px"), rx.text("No events yet.", size="1", color_scheme="gray")),
            count=S.sel_events_label,
            test_id="home-handoff",
        ),
        _block(
            "Audit packet",
            rx.cond(
                S.can_view_audit,
                rx.cond(S.sel_audit.length() > 0, rx.vstack(rx.foreach(S.sel_audit, _packet), spacing="0", width="100%"), rx.text("No sealed records yet: the sealer closes them in a moment.", size="1", color_scheme="gray")),
                rx.text("Audit records are shown to compliance and admin.", size="1", color_scheme="gray"),
            ),
            test_id="home-packet",
        ),
    )


def _selected_body() -> rx.Component:
    """The selected intent: its blocks in one column beside the table, in columns under it."""
    I = S.selected  # noqa: E741 - the selected intent's facts
    return rx.vstack(
        rx.hstack(intent_badge(I["status"], data_testid="home-selected-status"), rx.badge(I["state"], variant="outline", size="1", font_family=MONO), rx.text(I["kind"], size="1", color_scheme="gray"), spacing="2", align="center"),
        rx.cond(I["failure"] != "", rx.callout(I["failure"].to(str) + ": " + I["failure_message"].to(str), icon="triangle_alert", color_scheme="tomato", size="1", width="100%", data_testid="home-selected-failure")),
        rx.box(*_selected_blocks(I), class_name="zt-selected-blocks"),
        rx.hstack(
            rx.link(rx.hstack(rx.icon("route", size=14), "Open in the intents room", spacing="1", align="center"), href="/intents?id=" + S.selected_id, size="1", color_scheme="teal", data_testid="home-intent-link"),
            rx.cond(S.can_view_audit, rx.link(rx.hstack(rx.icon("shield_check", size=14), "Export the evidence packet", spacing="1", align="center"), href="/evidence?id=" + S.selected_id, size="1", color_scheme="teal", data_testid="home-evidence-link")),
            spacing="4",
            wrap="wrap",
            padding_top="12px",
            border_top="1px solid var(--zt-line)",
            width="100%",
        ),
        spacing="3",
        width="100%",
    )


def selected_panel() -> rx.Component:
    return panel(
        rx.cond(
            S.has_selection,
            rx.vstack(
                rx.hstack(
                    rx.vstack(label("Selected intent"), mono(S.selected_id, size="2", weight="medium", data_testid="home-selected-id"), spacing="1", align="start", min_width="0"),
                    rx.spacer(),
                    rx.icon_button(rx.icon("x", size=14), variant="ghost", color_scheme="gray", size="1", on_click=S.clear_selection, aria_label="Clear the selection", data_testid="home-selected-close"),
                    width="100%",
                    align="start",
                ),
                rx.cond(
                    S.selected_missing,
                    rx.callout("No such intent in this tenant and mode.", icon="search_x", color_scheme="tomato", size="1", width="100%"),
                    rx.cond(S.selected.contains("intent_id"), _selected_body(), rx.center(rx.spinner(size="2"), width="100%", padding="40px 0")),
                ),
                spacing="3",
                width="100%",
            ),
            rx.vstack(
                label("Selected intent"),
                rx.text("Click an intent for its money, policy labels, evidence and the handoff of its events from API to evidence.", size="2", color_scheme="gray"),
                spacing="2",
                width="100%",
            ),
        ),
        min_width="0",
        data_testid="home-selected",
    )


# The tabs ---------------------------------------------------------------------------------------


def _day(r) -> rx.Component:
    return table_row(
        table_cell(intent_badge(r["state"])),
        table_cell(mono(r["currency"], size="1")),
        table_cell(mono(r["count"], size="1"), text_align="right"),
        table_cell(amount(r["amount"], size="1"), text_align="right"),
        table_cell(mono(r["amount_minor"], size="1", color_scheme="gray"), text_align="right"),
        data_testid="day-row",
    )


def _event(e) -> rx.Component:
    return table_row(
        table_cell(mono(e["clock"], size="1", color_scheme="gray", title=e["occurred_at"])),
        table_cell(mono(e["stage"], size="1", color_scheme="gray")),
        table_cell(plain.badge(e["type"], color_scheme="teal", class_name="zt-mono")),
        table_cell(mono(e["object"], size="1")),
        table_cell(mono(e["id"], size="1", color_scheme="gray")),
        data_testid="home-event-row",
    )


def _record(r) -> rx.Component:
    return table_row(
        table_cell(mono("#" + r["seq"], size="1")),
        table_cell(mono(r["clock"], size="1", color_scheme="gray", title=r["occurred_at"])),
        table_cell(rx.hstack(mono(r["actor"], size="1"), mono(r["role"], size="1", color_scheme="gray"), spacing="1")),
        table_cell(rx.hstack(mono(r["action"], size="1"), rx.cond(r["denied"] != "", plain.badge("denied", color_scheme="tomato", class_name="zt-mono")), spacing="1")),
        table_cell(mono(r["object"], size="1", color_scheme="gray")),
        table_cell(mono(r["hash"] + "…", size="1", color_scheme="gray")),
        data_testid="home-audit-row",
    )


def _list(rows, headers, render, nothing: str) -> rx.Component:
    return rx.cond(rows.length() > 0, data_table(headers, rx.foreach(rows, render)), empty(nothing))


def tabs() -> rx.Component:
    return panel(
        rx.tabs.root(
            rx.tabs.list(
                rx.tabs.trigger("24h", value="24h", data_testid="home-tab-24h"),
                rx.tabs.trigger("Events", value="events", data_testid="home-tab-events"),
                rx.cond(S.can_view_audit, rx.tabs.trigger("Audit", value="audit", data_testid="home-tab-audit")),
                size="1",
            ),
            rx.tabs.content(
                rx.box(
                    _list(S.day_rows, [("State", "left"), ("Currency", "left"), ("Intents", "right"), ("Amount", "right"), ("Minor units", "right")], _day, "No intent changed state in the last 24 hours."),
                    rx.cond(S.day_more > 0, mono("and " + S.day_more.to_string() + " more rows", size="1", color_scheme="gray")),
                    padding_top="10px",
                ),
                value="24h",
            ),
            rx.tabs.content(
                rx.box(_list(S.latest, [("Time", "left"), ("Stage", "left"), ("Type", "left"), ("Object", "left"), ("Event", "left")], _event, "No events yet."), rx.link("The whole timeline", href="/events", size="1", color_scheme="teal"), padding_top="10px"),
                value="events",
            ),
            rx.tabs.content(
                rx.box(
                    rx.hstack(
                        mono("chain " + S.strip["chain_status"].to(str) + " · verified to #" + S.strip["chain_verified_seq"].to(str) + " · sealed to #" + S.strip["chain_sealed_seq"].to(str), size="1", color_scheme="gray"),
                        rx.cond(S.strip["chain_verified_at"] != "", mono("at " + S.strip["chain_verified_at"].to(str), size="1", color_scheme="gray")),
                        spacing="2",
                        padding_bottom="6px",
                    ),
                    _list(S.audit, [("Seq", "left"), ("Time", "left"), ("Actor", "left"), ("Action", "left"), ("Object", "left"), ("Hash", "left")], _record, "No sealed audit records yet."),
                    rx.link("The audit rail", href="/evidence", size="1", color_scheme="teal"),
                    padding_top="10px",
                ),
                value="audit",
            ),
            value=S.tab,
            on_change=S.set_tab,
        ),
        data_testid="home-tabs",
    )


def page() -> rx.Component:
    return shell(
        "Operations room",
        runtime_strip(),
        headline_tiles(),
        rx.box(intent_table(), selected_panel(), class_name="zt-split"),
        tabs(),
        rx.cond(S.clock_on, rx.moment(interval=CLOCK_MS, on_change=S.tick, display="none")),
        intro="Runtime states, event health, ledger state and audit evidence of this tenant and mode in one inspectable view, live from the event stream.",
    )
