"""A room's operator actions, the one way: run the action with the session's token, then say what
went through (`notice`) or why it was refused (`action_error`), and read the room again."""

from __future__ import annotations

from collections.abc import Awaitable, Callable

import reflex as rx

from backend.errors import ZentraError


class Acting(rx.State, mixin=True):
    """Mixed into a room state that is also a `SessionState` and defines `_fetch`."""

    notice: str = ""
    action_error: str = ""

    async def _act(self, run: Callable[[str], Awaitable[object]], notice: str):
        """`run(token)`; a session that ended sends the operator to sign in, any other refusal is
        shown as it came (nothing was changed), success shows `notice` over a fresh read."""
        self.notice, self.action_error = "", ""
        try:
            await run(self._token)
        except ZentraError as err:
            if err.code == "unauthorized":
                return self._session_over()
            self.action_error = err.message
            return
        self.notice = notice
        return await self._fetch()
