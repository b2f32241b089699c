"""Capture, release or extend one hold from a dialog, with a reason: the same dialog on the account
page and on the review queue's holds section.

The buttons are shown only to roles that may act on holds; the server re-checks the session and
the role inside the transaction that acts (`backend.operators.actions`), so a hidden button is not
the only guard.
"""

from __future__ import annotations

import reflex as rx

from backend.errors import ZentraError
from backend.ids import new_id
from backend.operators import actions
from state.session import call

HOLD_ACTIONS = {"capture": actions.capture_hold, "release": actions.release_hold, "extend": actions.extend_hold}


def hold_body(action: str, form: dict) -> dict | str:
    """The service body for `action` from the dialog's fields, or what is missing."""
    reason = str(form.get("reason", "") or "").strip()
    if not reason:
        return "Give a reason: it is kept with the hold and in the audit chain."
    body: dict = {"reason": reason[:500], "source_request": new_id("req")}
    if action == "capture" and str(form.get("amount_minor", "") or "").strip():
        raw = str(form["amount_minor"]).strip()
        if not raw.isdigit():
            return "Amount is a whole number of minor units (e.g. 1250 for 12.50 USD)."
        body["amount_minor"] = int(raw)
    if action == "extend":
        raw = str(form.get("ttl_minutes", "") or "").strip()
        if not raw.isdigit() or int(raw) <= 0:
            return "Extend by a whole number of minutes."
        body["ttl_seconds"] = int(raw) * 60
    return body


class HoldDialog(rx.State, mixin=True):
    """The open hold dialog (which action on which hold, and its refusal). The state using it is a
    `SessionState` whose `_fetch` reads its holds again after an action."""

    hold_action: str = ""
    hold_action_id: str = ""
    hold_action_error: str = ""

    @rx.var(cache=True)
    def hold_dialog_open(self) -> bool:
        return self.hold_action != ""

    @rx.event
    def open_hold_action(self, hold_id: str, action: str):
        if action in HOLD_ACTIONS:
            self.hold_action, self.hold_action_id, self.hold_action_error = action, hold_id, ""

    @rx.event
    def close_hold_action(self, _open: bool = False):
        self.hold_action = self.hold_action_id = self.hold_action_error = ""

    def _hold_done(self, hold_id: str, action: str) -> None:
        """What the page says once an action went through (nothing but the fresh rows by default)."""

    @rx.event
    async def submit_hold_action(self, form_data: dict):
        action, hold_id = self.hold_action, self.hold_action_id
        if action not in HOLD_ACTIONS:
            return
        body = hold_body(action, form_data)
        if isinstance(body, str):
            self.hold_action_error = body
            return
        try:
            await call(HOLD_ACTIONS[action], self._token, hold_id, body)
        except ZentraError as err:
            if err.code == "unauthorized":
                return self._session_over()
            self.hold_action_error = err.message
            return
        self.close_hold_action()
        self._hold_done(hold_id, action)
        return await self._fetch()
