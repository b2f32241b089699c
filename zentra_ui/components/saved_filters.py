"""A room's saved filters (`state.saved_filters.SavedFilters`): a select that applies one, a
button that deletes the chosen one, and "Save filter", which names the room's current filter."""

from __future__ import annotations

import reflex as rx

from state.saved_filters import MAX_NAME
from state.session import SessionState
from zentra_ui.components.ui import MONO, error_callout, notice_callout


def _save_popover(state) -> rx.Component:
    return rx.popover.root(
        rx.popover.trigger(rx.button(rx.icon("bookmark-plus", size=14), "Save filter", size="1", variant="soft", color_scheme="gray", data_testid="saved-filter-save")),
        rx.popover.content(
            rx.form(
                rx.vstack(
                    rx.text("Name this room's current filter; saving under a name you used replaces it.", size="1", color_scheme="gray"),
                    rx.input(name="name", placeholder="e.g. large card payments", max_length=MAX_NAME, size="2", width="100%", auto_focus=True, data_testid="saved-filter-name"),
                    error_callout(state.saved_error, width="100%"),
                    rx.hstack(
                        rx.popover.close(rx.button("Cancel", type="button", size="1", variant="soft", color_scheme="gray")),
                        rx.button("Save", type="submit", size="1", data_testid="saved-filter-confirm"),
                        justify="end",
                        spacing="2",
                        width="100%",
                    ),
                    spacing="2",
                    width="100%",
                ),
                on_submit=state.save_filter,
                reset_on_submit=True,
            ),
            width="300px",
        ),
        open=state.save_open,
        on_open_change=state.set_save_open,
    )


def saved_filters_bar(state) -> rx.Component:
    """Apply, save and delete the operator's saved filters of `state`'s room (each operator sees
    only their own; the server keeps them per operator, tenant and mode)."""
    chooser = rx.select.root(
        rx.select.trigger(placeholder="Saved filters", min_width="170px", font_family=MONO, aria_label="Saved filters", data_testid="saved-filter-select"),
        rx.select.content(rx.foreach(state.saved_names, lambda name: rx.select.item(name, value=name))),
        value=state.saved_choice,
        on_change=state.apply_saved,
        disabled=state.saved_names.length() == 0,
        size="2",
    )
    return rx.cond(
        SessionState.permissions.contains("filters.save"),
        rx.hstack(
            rx.icon("bookmark", size=14, color=rx.color("gray", 9)),
            chooser,
            rx.icon_button(
                rx.icon("trash-2", size=14),
                size="1",
                variant="ghost",
                color_scheme="gray",
                on_click=state.delete_saved,
                disabled=state.saved_choice == "",
                aria_label="Delete the chosen saved filter",
                title="Delete the chosen saved filter",
                data_testid="saved-filter-delete",
            ),
            _save_popover(state),
            notice_callout(state.saved_notice, "saved-filter-notice"),
            rx.cond(~state.save_open, error_callout(state.saved_error, "saved-filter-error")),
            spacing="2",
            align="center",
            wrap="wrap",
        ),
    )
