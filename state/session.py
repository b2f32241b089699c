"""The operator's session: a signed, expiring token, re-checked on every event.

The token lives in a backend-only var (the browser never receives it). Every handler of every
page asks `_operator()` (or `_scope()`) first, which verifies the token against the database: a
session that was signed out, expired, or whose role or membership changed ends on its next event,
and a role's pages and buttons follow `backend.operators.roles`, the same table the server
enforces.

Live pushes (state/live.py) reach a session up to ten times a second, so they verify through
`_operator_for_push()`, which trusts this worker's previous push verification of the same token
for at most `watchers.PUSH_RECHECK_SECONDS` (1 s): a session signed out elsewhere, expired, or
whose role or membership changed receives pushed data for at most that long after the change.
A push verifies once: the page refresh it triggers reuses that operator (`_pushed`).
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from typing import TypeVar

import reflex as rx
from reflex.event import EventSpec

from backend.db import transactions
from backend.errors import ZentraError
from backend.operators import directory, roles, sessions
from backend.operators.sessions import OperatorScope, SignedIn
from backend.runtime import current
from backend.tenancy.scope import Scope
from state import watchers
from state.display import UTC, known_zone

T = TypeVar("T")

SIGNIN_ROUTE = "/signin"
HOME_ROUTE = "/"  # the operations room (zentra_ui/pages/home.py)
# The browser's IANA time zone (`Europe/Berlin`), answered to `SessionState.set_time_zone`.
ZONE_SCRIPT = "Intl.DateTimeFormat().resolvedOptions().timeZone"
# (session token, operator) verified by the live push being applied in this task, if any.
_pushing: ContextVar[tuple[str, OperatorScope] | None] = ContextVar("zentra_pushing", default=None)


async def read(unit: Callable[..., T]) -> T:
    """Run a read unit off the event loop (the backend is synchronous SQLAlchemy)."""
    runtime = current()
    return await asyncio.to_thread(transactions.read, runtime.db, unit)


async def call(fn: Callable[..., T], *args, **kwargs) -> T:
    """Run a backend service function (which opens its own transactions) off the event loop."""
    return await asyncio.to_thread(fn, current(), *args, **kwargs)


class SessionState(rx.State):
    """Root of every page state: who is signed in, where, with which role, and what it may do."""

    # Backend-only: never sent to the browser.
    _token: str = ""
    _next_route: str = ""

    operator_name: str = ""
    operator_email: str = ""
    role: str = ""
    tenant_id: str = ""
    tenant_name: str = ""
    mode: str = ""
    permissions: list[str] = []
    memberships: list[dict[str, str]] = []
    signin_error: str = ""
    switch_error: str = ""
    # The browser's time zone (a fact of this browser, kept across sign-outs); times render in it.
    time_zone: str = UTC

    @rx.var(cache=True)
    def signed_in(self) -> bool:
        return bool(self.tenant_id)

    @rx.var(cache=True)
    def is_sandbox(self) -> bool:
        return self.mode == "sandbox"

    @rx.var(cache=True)
    def can_view_audit(self) -> bool:
        return "audit.view" in self.permissions

    @rx.var(cache=True)
    def can_export_evidence(self) -> bool:
        return "evidence.export" in self.permissions

    @rx.var(cache=True)
    def can_manage_holds(self) -> bool:
        return "holds.capture" in self.permissions

    @rx.var(cache=True)
    def can_view_webhooks(self) -> bool:
        return "webhooks.view" in self.permissions

    @rx.var(cache=True)
    def can_manage_webhooks(self) -> bool:
        return "webhooks.manage" in self.permissions

    @rx.var(cache=True)
    def can_view_intents(self) -> bool:
        return "intents.view" in self.permissions

    @rx.var(cache=True)
    def can_decide_reviews(self) -> bool:
        return "reviews.decide" in self.permissions

    def _client_token(self) -> str:
        return str(self.router.session.client_token or "")

    def _forget(self) -> None:
        watchers.forget(self._client_token())
        self._token = ""
        self.operator_name = self.operator_email = self.role = ""
        self.tenant_id = self.tenant_name = self.mode = ""
        self.permissions = []
        self.memberships = []

    def _show(self, operator: OperatorScope) -> None:
        """Mirror a verified session into the vars the page renders (only when they changed)."""
        if (operator.tenant_id, operator.mode, operator.role) != (self.tenant_id, self.mode, self.role):
            self.tenant_id, self.tenant_name, self.mode, self.role = operator.tenant_id, operator.tenant_name, operator.mode, operator.role
            self.permissions = sorted(roles.actions_for(operator.role))
        if operator.name != self.operator_name:
            self.operator_name, self.operator_email = operator.name, operator.email
        watchers.watch(self._client_token(), operator.tenant_id, operator.mode)

    async def _operator(self) -> OperatorScope | None:
        """The session verified now, or None (and the page signed out); inside a live push's page
        refresh, the operator that push has just verified."""
        token = self._token
        if not token:
            if self.tenant_id:
                self._forget()
            return None
        pushed = _pushing.get()
        if pushed is not None and pushed[0] == token:
            return pushed[1]
        try:
            operator = await call(sessions.current, token)
        except ZentraError:
            self._forget()
            self.signin_error = "Your session ended (signed out, expired, or your access changed). Sign in again."
            return None
        self._show(operator)
        return operator

    async def _operator_for_push(self) -> OperatorScope | None:
        """The session as a live push may show it data: verified by this worker's pushes less than
        `watchers.PUSH_RECHECK_SECONDS` ago and unexpired, else verified now (one database read)."""
        client, token = self._client_token(), self._token
        operator = watchers.verified_recently(client, token) if token else None
        if operator is not None and operator.expires_at > current().now().timestamp():
            return operator
        operator = await self._operator()
        if operator is not None:
            watchers.note_verified(client, token, operator)
        return operator

    @contextmanager
    def _pushed(self, operator: OperatorScope) -> Iterator[None]:
        """Within the block (one push's page refresh, in this task only), `_operator()` answers
        `operator`, which the push verified, instead of reading the database again."""
        mark = _pushing.set((self._token, operator))
        try:
            yield
        finally:
            _pushing.reset(mark)

    async def _scope(self) -> Scope | None:
        """The scope the session acts in, verified now, or None."""
        operator = await self._operator()
        return operator.scope if operator is not None else None

    async def _allowed(self, action: str) -> tuple[OperatorScope, None] | tuple[None, EventSpec]:
        """The verified operator if their role may `action`, else None and where to send them
        instead: to sign in when the session ended, to the home room when the role may not."""
        operator = await self._operator()
        if operator is None:
            return None, self._to_signin()
        if not operator.can(action):
            return None, rx.redirect(HOME_ROUTE)
        return operator, None

    def _session_over(self):
        """A service refused because the session is over (signed out, expired, access changed):
        forget it here too, and send the operator to sign in."""
        self._forget()
        return self._to_signin()

    def _to_signin(self):
        """Remember where the operator was going, and send them to sign in."""
        path = str(self.router.url.path or "")
        self._next_route = path if path not in ("", "/", SIGNIN_ROUTE) else ""
        return rx.redirect(SIGNIN_ROUTE)

    async def _start(self, signed: SignedIn) -> None:
        self._token = signed.token
        self._show(signed.operator)
        operator_id = signed.operator.operator_id
        rows = await read(lambda s: directory.memberships_of(s, operator_id))
        self.memberships = [{"tenant_id": m.tenant_id, "tenant_name": m.tenant_name, "role": m.role} for m in rows]

    @rx.event
    async def sign_in(self, form_data: dict):
        """Email and password for a session; the password is not kept anywhere."""
        email = str(form_data.get("email", "") or "").strip()
        password = str(form_data.get("password", "") or "")
        self.signin_error = ""
        if not email or not password:
            self.signin_error = "Enter your email and password."
            return
        try:
            signed = await call(sessions.sign_in, email, password)
        except ZentraError as err:
            self.signin_error = "Wrong email or password." if err.code == "unauthorized" else "This operator has no tenant to sign in to."
            return
        await self._start(signed)
        target, self._next_route = self._next_route or HOME_ROUTE, ""
        return rx.redirect(target)

    @rx.event
    async def sign_out(self):
        token = self._token
        self._forget()
        self._next_route = ""
        self.signin_error = ""
        if token:
            try:
                await call(sessions.sign_out, token)
            except ZentraError:
                pass  # the session was already over: there is nothing left to revoke
        return rx.redirect(SIGNIN_ROUTE)

    @rx.event
    async def switch_tenant(self, tenant_id: str):
        return await self._switch(tenant_id, self.mode or "sandbox")

    @rx.event
    async def switch_mode(self, mode: str | list[str]):
        """From the segmented control, which may send its value as a one-item list."""
        chosen = mode[0] if isinstance(mode, list) and mode else mode
        return await self._switch(self.tenant_id, str(chosen))

    async def _switch(self, tenant_id: str, mode: str):
        """A new session in another tenant or mode; the old token is revoked by the server."""
        self.switch_error = ""
        if (tenant_id, mode) == (self.tenant_id, self.mode):
            return
        try:
            signed = await call(sessions.switch, self._token, tenant_id, mode)
        except ZentraError as err:
            if err.code == "unauthorized":
                return self._session_over()
            self.switch_error = err.message
            return
        await self._start(signed)
        return rx.redirect(HOME_ROUTE)

    @rx.event
    def set_time_zone(self, name: str):
        """The zone the browser reported; one this server does not know leaves times in UTC."""
        self.time_zone = known_zone(name)

    @rx.event
    async def check_signin_page(self):
        """`/signin` reads the browser's time zone, and while already signed in goes straight in."""
        read_zone = rx.call_script(ZONE_SCRIPT, callback=SessionState.set_time_zone)
        if await self._operator() is not None:
            return [read_zone, rx.redirect(HOME_ROUTE)]
        return read_zone
