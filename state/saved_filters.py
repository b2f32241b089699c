"""Saved filters of a room: an operator names the filter they set and applies it again later.

The filters belong to the operator, tenant and mode, and every read and change goes through
`backend.operators.room_actions` with the session's token (saving and deleting are recorded
operator actions). A saved query is only the room's filter fields as short strings: applying it
goes through the room's own checks, exactly like a filter chosen by hand, so a stale or edited
saved filter cannot show anything the room would not.

A room's state mixes in `SavedFilters` (next to `OffsetPages` and `SessionState`) and defines
`_filter_room` (its name in `backend.operators.saved_filters.ROOMS`), `_filter_fields` (its
current filter) and `_apply_fields` (set the fields from a saved query, back to the first page).
"""

from __future__ import annotations

import reflex as rx

from backend.errors import ZentraError
from backend.operators import room_actions
from state.session import call

MAX_NAME = 60


class SavedFilters(rx.State, mixin=True):
    """The operator's saved filters of one room, the one chosen, and its save / apply / delete."""

    saved_names: list[str] = []
    saved_choice: str = ""
    saved_notice: str = ""
    saved_error: str = ""
    save_open: bool = False

    def _filter_room(self) -> str:
        raise NotImplementedError

    def _filter_fields(self) -> dict[str, str]:
        raise NotImplementedError

    def _apply_fields(self, query: dict[str, str]) -> None:
        raise NotImplementedError

    async def _filters_call(self, fn, *args):
        """One saved-filter action with the session's token: (its answer, None), or (None, where
        to go) when the session is over, or (None, None) with the refusal in `saved_error`."""
        try:
            return await call(fn, self._token, self._filter_room(), *args), None
        except ZentraError as err:
            if err.code == "unauthorized":
                return None, self._session_over()
            self.saved_error = err.message
            return None, None

    async def _load_saved(self):
        found, away = await self._filters_call(room_actions.saved)
        if found is None:
            return away
        self.saved_names = [str(f["name"]) for f in found]
        if self.saved_choice not in self.saved_names:
            self.saved_choice = ""

    def _filters_changed(self) -> None:
        """A filter field was set by hand: the fields no longer are the chosen saved filter."""
        self.saved_choice = self.saved_notice = self.saved_error = ""

    @rx.event
    def set_save_open(self, value: bool):
        self.save_open, self.saved_error = bool(value), ""

    @rx.event
    async def save_filter(self, form_data: dict):
        """Save the room's filter fields as they are now under a name (the same name replaces it)."""
        name = str(form_data.get("name", "") or "").strip()[:MAX_NAME]
        self.saved_notice = self.saved_error = ""
        if not name:
            self.saved_error = "Name the filter to save it."
            return
        saved, away = await self._filters_call(room_actions.save_filter, name, self._filter_fields())
        if saved is None:
            return away
        self.save_open, self.saved_choice = False, name
        self.saved_notice = f"Saved filter “{name}”."
        return await self._load_saved()

    @rx.event
    async def apply_saved(self, name: str):
        """Set the fields from the saved filter `name`, as stored now, and read the page again."""
        self.saved_notice = self.saved_error = ""
        found, away = await self._filters_call(room_actions.saved)
        if found is None:
            return away
        self.saved_names = [str(f["name"]) for f in found]
        match = next((f for f in found if f["name"] == name), None)
        if match is None:
            self.saved_choice = ""
            self.saved_error = f"There is no saved filter “{str(name)[:MAX_NAME]}” any more."
            return
        self._apply_fields({str(k): str(v) for k, v in (match["query"] or {}).items()})
        self.saved_choice = str(name)
        return await self._fetch()

    @rx.event
    async def delete_saved(self):
        name = self.saved_choice
        self.saved_notice = self.saved_error = ""
        if not name:
            self.saved_error = "Choose the saved filter to delete first."
            return
        done, away = await self._filters_call(room_actions.delete_filter, name)
        if done is None:
            return away
        self.saved_choice = ""
        self.saved_notice = f"Deleted saved filter “{name}”."
        return await self._load_saved()
