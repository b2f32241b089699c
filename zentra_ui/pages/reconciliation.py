"""`/reconciliation`: provider reports reconciled against the ledger's settlements: the open
exceptions per reason, the exceptions queue with its resolve action (finance and admin), the runs
with their match rates, and the upload of a report."""

from __future__ import annotations

import reflex as rx

from backend.reconciliation.exceptions import ACTIONS
from state.reconciliation import (
    REASON_CHOICES,
    STATUS_CHOICES,
    UPLOAD_ID,
    ReconciliationState,
    words,
)
from zentra_ui.components import plain
from zentra_ui.components.plain import table_cell, table_row
from zentra_ui.components.shell import shell
from zentra_ui.components.ui import (
    MONO,
    amount,
    as_of,
    choice_select,
    data_table,
    dialog_actions,
    error_callout,
    id_chip,
    label,
    mono,
    notice_callout,
    paged_panel,
    pager,
    refresh_icon,
    status_badge,
    table_or_note,
    titled_panel,
    when_text,
)

ROUTE = "/reconciliation"
ON_LOAD = ReconciliationState.load
TITLE = "Reconciliation · Zentra"
R = ReconciliationState
REASON_COLORS = (("missing_in_ledger", "tomato"), ("missing_in_report", "amber"), ("amount_differs", "orange"), ("duplicate", "purple"))
EXCEPTION_HEADERS = [("Reason", "left"), ("Reference", "left"), ("Report", "right"), ("Ledger", "right"), ("Line / intent", "left"), ("Raised", "left"), ("", "right")]
RUN_HEADERS = [("Run", "left"), ("Source", "left"), ("Provider", "left"), ("Period", "left"), ("Lines", "right"), ("Matched", "right"), ("Match rate", "right"), ("Open", "right"), ("Created", "left")]


def _reason_badge(reason, text) -> rx.Component:
    return plain.badge(text, color_scheme=rx.match(reason, *REASON_COLORS, "gray"), class_name="zt-mono")


def _tile(t) -> rx.Component:
    return rx.box(
        rx.vstack(label(t["words"]), mono(t["count"], size="6", weight="bold", data_testid="recon-tile-count"), spacing="1"),
        class_name="zt-panel",
        padding="12px 16px",
        min_width="180px",
        cursor="pointer",
        on_click=R.set_reason_filter(t["reason"]),
        title="Show these exceptions",
        custom_attrs={"data-reason": t["reason"]},
        data_testid="recon-tile",
    )


def _tiles() -> rx.Component:
    return rx.vstack(
        label("Open exceptions by reason"),
        rx.hstack(rx.foreach(R.tiles, _tile), spacing="3", wrap="wrap"),
        spacing="2",
        width="100%",
    )


def _resolve_button(row) -> rx.Component:
    return rx.cond(
        R.can_manage & (row["status"] == "open"),
        rx.button("Resolve", size="1", variant="soft", on_click=R.open_resolve(row["id"]), data_testid="recon-resolve"),
        rx.cond(row["status"] == "open", mono("read only", size="1", color_scheme="gray")),
    )


def _exception_row(row: rx.Var[dict[str, str]]) -> rx.Component:
    return table_row(
        table_cell(rx.vstack(_reason_badge(row["reason"], row["reason_words"]), rx.text(row["detail"], size="1", color_scheme="gray", class_name="zt-ellipsis", max_width="260px", title=row["detail"]), spacing="1")),
        table_cell(id_chip(row["reference"], class_name="zt-ellipsis", max_width="200px", title=row["reference"])),
        table_cell(amount(row["report_amount"], size="1"), text_align="right"),
        table_cell(amount(row["ledger_amount"], size="1"), text_align="right"),
        table_cell(
            rx.vstack(
                rx.cond(row["line"] != "", mono(row["line"], size="1", color_scheme="gray", class_name="zt-ellipsis", max_width="280px", title=row["line"])),
                rx.cond(row["intent_id"] != "", id_chip(row["intent_id"], href="/intents?id=" + row["intent_id"])),
                rx.cond(row["status"] != "open", rx.text(row["resolution"] + " by " + row["resolved_by"] + rx.cond(row["note"] != "", ": " + row["note"], ""), size="1", color_scheme="grass")),
                spacing="1",
            )
        ),
        table_cell(when_text(row["created_at"], row["created_at_iso"])),
        table_cell(_resolve_button(row), text_align="right"),
        class_name="zt-row",
        data_testid="recon-exception-row",
        custom_attrs={"data-exception": row["id"], "data-reason": row["reason"]},
    )


def _exceptions() -> rx.Component:
    toolbar = rx.hstack(
        label("Exceptions"),
        rx.spacer(),
        choice_select(R.reason_filter, REASON_CHOICES, R.set_reason_filter, "recon-reason-filter", "Filter by reason", words=words, width="190px"),
        choice_select(R.status_filter, STATUS_CHOICES, R.set_status_filter, "recon-status-filter", "Filter by status", width="120px"),
        as_of(R.refreshed_at),
        refresh_icon(R.refresh, test_id="recon-refresh"),
        align="center",
        spacing="3",
        width="100%",
        wrap="wrap",
    )
    notice = notice_callout(R.notice, "recon-notice")
    return paged_panel(R, data_table(EXCEPTION_HEADERS, rx.foreach(R.rows, _exception_row)), R.empty_message, "recon-exceptions", above=(toolbar, notice), icon="check-check")


def _run_row(row: rx.Var[dict[str, str]]) -> rx.Component:
    return table_row(
        table_cell(rx.vstack(id_chip(row["id"]), rx.cond(row["file_name"] != "", mono(row["file_name"], size="1", color_scheme="gray")), spacing="1")),
        table_cell(status_badge(row["source"])),
        table_cell(mono(row["provider_id"], size="1")),
        table_cell(mono(row["period"], size="1")),
        table_cell(amount(row["lines"], size="1"), text_align="right"),
        table_cell(amount(row["matched"], size="1"), text_align="right"),
        table_cell(mono(row["rate"], size="2", weight="bold", color_scheme=rx.cond(row["low"] == "yes", "amber", "grass"), align="right", data_testid="recon-run-rate"), text_align="right"),
        table_cell(amount(row["open"], size="1"), text_align="right"),
        table_cell(rx.vstack(when_text(row["created_at"], row["created_at_iso"]), mono(row["created_by"], size="1", color_scheme="gray", class_name="zt-ellipsis", max_width="180px", title=row["created_by"]), spacing="1")),
        class_name="zt-row",
        data_testid="recon-run-row",
    )


def _runs() -> rx.Component:
    return titled_panel(
        "Runs",
        table_or_note(RUN_HEADERS, R.runs, _run_row, "No reconciliation run yet: import a provider's report."),
        pager(R.runs_range, R.runs_has_prev, R.runs_has_next, R.runs_prev, R.runs_next, "recon-runs"),
        hint="Imported reports, and one continuous run per provider and day: its settlements as callbacks recorded them, and how many a report has matched so far.",
    )


def _upload() -> rx.Component:
    provider_select = rx.select.root(
        rx.select.trigger(placeholder="Provider", min_width="260px", font_family=MONO, data_testid="recon-provider"),
        rx.select.content(rx.foreach(R.providers, lambda p: rx.select.item(p["name"] + " · " + p["id"], value=p["id"]))),
        value=R.provider_id,
        on_change=R.set_provider,
        size="2",
    )
    drop = rx.upload(
        rx.vstack(
            rx.icon("file-up", size=18),
            rx.text("Drop the report's CSV here, or click to choose it", size="2"),
            rx.foreach(rx.selected_files(UPLOAD_ID), lambda name: mono(name, size="1", color_scheme="teal")),
            align="center",
            spacing="1",
        ),
        id=UPLOAD_ID,
        accept={"text/csv": [".csv"], "text/plain": [".txt"]},
        max_files=1,
        multiple=False,
        border="1px dashed var(--gray-7)",
        border_radius="8px",
        padding="16px",
        width="100%",
        data_testid="recon-upload",
    )
    controls = rx.hstack(
        provider_select,
        rx.input(value=R.tolerance, on_change=R.set_tolerance, width="70px", font_family=MONO, aria_label="Date tolerance in days", data_testid="recon-tolerance"),
        rx.text("days tolerance", size="1", color_scheme="gray"),
        rx.button(rx.icon("scale", size=14), "Reconcile upload", on_click=R.upload_report(rx.upload_files(upload_id=UPLOAD_ID)), disabled=R.provider_id == "", data_testid="recon-import"),
        rx.cond(R.provider_is_sandbox, rx.button(rx.icon("flask-conical", size=14), "Reconcile today's sandbox report", variant="soft", on_click=R.reconcile_sandbox_today, data_testid="recon-sandbox")),
        align="center",
        spacing="3",
        wrap="wrap",
    )
    return rx.cond(
        R.can_manage,
        titled_panel(
            "Import a provider report",
            controls,
            rx.text(R.provider_columns, size="1", color_scheme="gray", font_family=MONO, overflow_wrap="anywhere", data_testid="recon-columns"),
            drop,
            notice_callout(R.import_notice, "recon-import-notice"),
            error_callout(R.import_error, "recon-import-error"),
            hint="Lines are matched by reference first, then by amount and date within the tolerance, then one line to several settlements of a counterparty and day (or the reverse); whatever is left becomes an exception.",
        ),
    )


def _resolve_dialog() -> rx.Component:
    return rx.dialog.root(
        rx.dialog.content(
            rx.dialog.title("Resolve exception"),
            rx.dialog.description(rx.hstack(rx.text(R.resolve_reason, size="2", weight="medium"), mono(R.resolve_reference, size="2"), spacing="3")),
            rx.vstack(
                choice_select(R.resolve_action, ACTIONS, R.set_resolve_action, "recon-resolve-action", "Resolution", words=words, width="100%"),
                rx.text("Resolving records the decision; a ledger correction is a posting of its own (name it in the note).", size="1", color_scheme="gray"),
                rx.text_area(value=R.resolve_note, on_change=R.set_resolve_note, placeholder=rx.cond(R.note_required, "Why (required for this action)", "Note (optional)"), width="100%", data_testid="recon-resolve-note"),
                rx.cond(
                    R.resolve_linkable & (R.resolve_action == "linked_manually"),
                    rx.input(value=R.resolve_settlement, on_change=R.set_resolve_settlement, placeholder="Settlement id (rcs_…) this line belongs to, optional", font_family=MONO, width="100%", data_testid="recon-resolve-settlement"),
                ),
                error_callout(R.resolve_error, "recon-resolve-error", width="100%"),
                dialog_actions(rx.button("Resolve", on_click=R.confirm_resolve, data_testid="recon-resolve-confirm")),
                spacing="3",
                width="100%",
            ),
            max_width="520px",
        ),
        open=R.resolve_open,
        on_open_change=R.close_resolve,
    )


def page() -> rx.Component:
    return shell(
        "Reconciliation",
        _tiles(),
        _exceptions(),
        _runs(),
        _upload(),
        _resolve_dialog(),
        intro="Provider settlement reports matched against the settlements the ledger recorded from their callbacks; every mismatch waits here until finance resolves it.",
    )
