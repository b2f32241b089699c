"""Global search from the header of every signed-in page: the operator pastes any id (an account,
posting, hold, event, webhook message or endpoint, review or intent id) or an idempotency key and
lands on what it names.

The lookup is `backend.operators.room_actions.search` with the session's token (the session and
role are checked there, and only the operator's tenant and mode are searched). One hit navigates
to its page; an idempotency key used on several endpoints shows its hits as a short list of links;
nothing found says so.
"""

from __future__ import annotations

import reflex as rx

from backend.errors import ZentraError
from backend.operators import room_actions
from state.session import SessionState, call

MAX_TEXT = 255
NOTHING = "Nothing in this tenant and mode has that id"


def hit_row(hit: dict) -> dict[str, str]:
    return {"kind": str(hit["kind"]), "id": str(hit["id"]), "link": str(hit["link"]), "via": str(hit.get("via") or "")}


class SearchState(SessionState):
    """The header's search: its hits when there are several, or why there are none."""

    hits: list[dict[str, str]] = []
    search_message: str = ""
    searched: str = ""

    @rx.var(cache=True)
    def search_open(self) -> bool:
        return bool(self.hits) or self.search_message != ""

    @rx.event
    async def run_search(self, form_data: dict):
        """Enter in the search box."""
        text = str(form_data.get("q", "") or "").strip()[:MAX_TEXT]
        self.hits, self.search_message, self.searched = [], "", text
        if not text:
            return
        try:
            found = await call(room_actions.search, self._token, text)
        except ZentraError as err:
            if err.code == "unauthorized":
                return self._session_over()
            self.search_message = err.message
            return
        if len(found) == 1:
            return rx.redirect(str(found[0]["link"]))
        if not found:
            self.search_message = NOTHING
            return
        self.hits = [hit_row(h) for h in found]

    @rx.event
    def close_search(self):
        self.hits, self.search_message, self.searched = [], "", ""
