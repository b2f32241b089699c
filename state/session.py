"""The operator's session: which API key it acts with, re-checked on every event.

Until operator accounts exist, an operator signs in by pasting an API key. The raw key is used once,
to find its id, and is then forgotten: the session keeps only the key id, in a backend-only var the
browser never receives. Every handler of every page asks `_scope()` first, which re-resolves the key
id; a key revoked in the meantime signs the session out on its next event.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from typing import TypeVar

import reflex as rx

from backend.db import transactions
from backend.errors import ZentraError
from backend.runtime import current
from backend.tenancy.api_keys import key_id_for, scope_for_key_id
from backend.tenancy.scope import Scope
from backend.tenancy import tenants

T = TypeVar("T")

SIGNIN_ROUTE = "/signin"
HOME_ROUTE = "/accounts"


async def read(unit: Callable[..., T]) -> T:
    """Run a read unit off the event loop (the backend is synchronous SQLAlchemy)."""
    runtime = current()
    return await asyncio.to_thread(transactions.read, runtime.db, unit)


class SessionState(rx.State):
    """Root of every page state: the signed-in scope, for display, and the key id behind it."""

    # Backend-only: never sent to the browser.
    _key_id: str = ""
    _next_route: str = ""

    tenant_id: str = ""
    tenant_name: str = ""
    mode: str = ""
    signin_error: str = ""

    @rx.var(cache=True)
    def signed_in(self) -> bool:
        return bool(self.tenant_id)

    @rx.var(cache=True)
    def is_sandbox(self) -> bool:
        return self.mode == "sandbox"

    def _forget(self) -> None:
        self._key_id = ""
        self.tenant_id = ""
        self.tenant_name = ""
        self.mode = ""

    async def _scope(self) -> Scope | None:
        """The session's scope re-resolved from its key id now, or None (and signed out)."""
        key_id = self._key_id
        if not key_id:
            if self.tenant_id:
                self._forget()
            return None
        try:
            scope = await read(lambda s: scope_for_key_id(s, key_id))
        except ZentraError:
            self._forget()
            self.signin_error = "This API key was revoked. Sign in again."
            return None
        if (scope.tenant_id, scope.mode) != (self.tenant_id, self.mode):
            self.tenant_id, self.mode = scope.tenant_id, scope.mode
        return scope

    def _to_signin(self):
        """Remember where the operator was going, and send them to sign in."""
        path = str(self.router.url.path or "")
        self._next_route = path if path.startswith("/accounts") else ""
        return rx.redirect(SIGNIN_ROUTE)

    @rx.event
    async def sign_in(self, form_data: dict):
        """Trade a pasted API key for its id; the key itself is not kept anywhere."""
        raw_key = str(form_data.pop("api_key", "") or "").strip()
        self.signin_error = ""
        if not raw_key:
            self.signin_error = "Paste an API key."
            return

        def resolve(s):
            key_id = key_id_for(s, raw_key)
            scope = scope_for_key_id(s, key_id)
            return key_id, scope, tenants.tenant_name(s, scope.tenant_id)

        try:
            key_id, scope, name = await read(resolve)
        except ZentraError:
            self.signin_error = "That key is not valid, or it was revoked."
            return
        self._key_id = key_id
        self.tenant_id, self.mode, self.tenant_name = scope.tenant_id, scope.mode, name
        target, self._next_route = self._next_route or HOME_ROUTE, ""
        return rx.redirect(target)

    @rx.event
    def sign_out(self):
        self._forget()
        self._next_route = ""
        self.signin_error = ""
        return rx.redirect(SIGNIN_ROUTE)

    @rx.event
    async def route_index(self):
        """`/`: the accounts room when signed in, else sign in."""
        scope = await self._scope()
        return rx.redirect(HOME_ROUTE if scope is not None else SIGNIN_ROUTE)

    @rx.event
    async def check_signin_page(self):
        """`/signin` while already signed in goes straight in."""
        if await self._scope() is not None:
            return rx.redirect(HOME_ROUTE)
