"""Capture, release and extend on one hold: the row's buttons and the dialog they open, the same on
the account page and on the review queue's holds section (`state.holds.HoldDialog`)."""

from __future__ import annotations

import reflex as rx

from state.holds import HoldDialog
from zentra_ui.components.ui import MONO, dialog_actions, error_callout, mono

BUTTONS = (("capture", "teal"), ("release", "gray"), ("extend", "amber"))


def hold_buttons(state: type[HoldDialog], hold_id: rx.Var) -> rx.Component:
    """Shown only to roles that may act on holds; the server checks the role again."""
    return rx.hstack(
        *[
            rx.button(name.capitalize(), size="1", variant="soft", color_scheme=color, on_click=state.open_hold_action(hold_id, name), data_testid=f"hold-{name}")
            for name, color in BUTTONS
        ],
        spacing="1",
        justify="end",
    )


def hold_dialog(state: type[HoldDialog]) -> rx.Component:
    """The reason (and the amount to capture, or the minutes to extend by) for the chosen action."""
    return rx.dialog.root(
        rx.dialog.content(
            rx.dialog.title(rx.text(state.hold_action.to(str).capitalize() + " hold")),
            rx.dialog.description(mono(state.hold_action_id, size="1", color_scheme="gray")),
            rx.form(
                rx.vstack(
                    rx.input(name="reason", placeholder="Reason (kept with the hold and in the audit chain)", required=True, width="100%", data_testid="hold-reason"),
                    rx.cond(state.hold_action == "capture", rx.input(name="amount_minor", placeholder="Amount in minor units (empty: the whole hold)", width="100%", font_family=MONO, data_testid="hold-amount")),
                    rx.cond(state.hold_action == "extend", rx.input(name="ttl_minutes", placeholder="Extend by minutes", default_value="60", width="100%", font_family=MONO, data_testid="hold-ttl")),
                    error_callout(state.hold_action_error, "hold-error", width="100%"),
                    dialog_actions(rx.button("Confirm", type="submit", data_testid="hold-confirm")),
                    spacing="3",
                ),
                on_submit=state.submit_hold_action,
                reset_on_submit=False,
            ),
            max_width="460px",
        ),
        open=state.hold_dialog_open,
        on_open_change=state.close_hold_action,
    )
