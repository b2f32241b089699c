"""The webhooks room: the scope's endpoints with their health, and one endpoint's attempts log,
signature inspector, resend, and recover with its dry-run count shown before it runs.

Viewing needs `webhooks.view`; resend and recover are `webhooks.manage` operator actions,
re-checked and recorded on the server.
"""

from __future__ import annotations

from datetime import timedelta

import reflex as rx

from backend.clock import to_iso
from backend.errors import ZentraError
from backend.inputs import timestamp
from backend.operators import actions
from backend.runtime import current
from backend.webhooks.endpoints import get_endpoint, list_endpoints
from backend.webhooks.health import summaries
from backend.webhooks.history import list_attempts
from backend.webhooks.inspection import inspect_attempt
from state.acting import Acting
from state.display import PAGE_SIZE, UTC, page_label, stamp
from state.paging import OffsetPages, next_offset, prev_offset
from state.session import SessionState, call, read


def _rate(value: float | None) -> str:
    return "—" if value is None else f"{value * 100:.1f}%"


def _ms(value: int | None) -> str:
    return "—" if value is None else f"{value} ms"


def endpoint_row(view: dict, zone: str = UTC, summary: dict | None = None) -> dict[str, str]:
    summary = summary or {}
    return {
        "health": summary.get("state", ""),
        "backlog": str(summary.get("backlog", "")),
        "id": view["id"],
        "url": view["url"],
        "event_types": ", ".join(view["event_types"]),
        "signing": view["signing"],
        "status": view["status"],
        "disabled_reason": view.get("disabled_reason") or "",
        **stamp("created_at", view["created_at"], zone),
    }


def attempt_row(view: dict, zone: str = UTC) -> dict[str, str]:
    return {
        "id": view["id"],
        "message_id": view["message_id"],
        "event_type": view["event_type"],
        "attempt": str(view["attempt"]),
        **stamp("attempted_at", view["attempted_at"], zone),
        "status": view["status"],
        "duration": _ms(view["duration_ms"]),
        "response_code": str(view["response_code"] or ""),
        "error_kind": view["error_kind"] or "",
        "error": view["error"] or "",
        **stamp("next_attempt_at", view["next_attempt_at"], zone),
    }


class WebhooksState(OffsetPages, SessionState):
    """`/webhooks`: every endpoint of the scope with its health and backlog, a page at a time."""

    async def _fetch(self):
        operator, away = await self._allowed("webhooks.view")
        if operator is None:
            return away
        scope, offset, now = operator.scope, self.offset, current().now()

        def unit(s):
            page = list_endpoints(s, scope, now, limit=PAGE_SIZE, offset=offset)
            return page, summaries(s, [v["id"] for v in page["data"]], now)

        page, health = await read(unit)
        self._show_page(page, [endpoint_row(v, self.time_zone, health.get(v["id"])) for v in page["data"]])

    @rx.event
    async def load(self):
        return await self._fetch()


class EndpointState(Acting, SessionState):
    """`/webhooks/[endpoint_id]`: one endpoint's health and attempts, and its operator actions."""

    endpoint: dict[str, str] = {}
    health: dict[str, str] = {}
    attempts: list[dict[str, str]] = []
    attempts_total: int = 0
    attempts_offset: int = 0
    not_found: bool = False
    inspected: dict[str, str] = {}
    recover_since: str = ""
    recover_preview: str = ""
    recover_ready: bool = False

    @rx.var(cache=True)
    def attempts_range(self) -> str:
        return page_label(self.attempts_offset, len(self.attempts), self.attempts_total)

    def _endpoint_id(self) -> str:
        return str(getattr(self, "endpoint_id", "") or "")

    async def _fetch(self):
        operator, away = await self._allowed("webhooks.view")
        if operator is None:
            return away
        scope, endpoint_id, offset, now = operator.scope, self._endpoint_id(), self.attempts_offset, current().now()

        def unit(s):
            return get_endpoint(s, scope, endpoint_id, now), list_attempts(s, scope, endpoint_id, limit=PAGE_SIZE, offset=offset)

        try:
            view, page = await read(unit)
        except ZentraError as err:
            if err.code != "not_found":
                raise
            self.not_found, self.endpoint, self.attempts = True, {}, []
            return
        health = view["health"]
        self.not_found = False
        self.endpoint = endpoint_row(view, self.time_zone)
        self.health = {
            "state": health["state"],
            "success_rate": _rate(health["success_rate"]),
            "p50": _ms(health["p50_ms"]),
            "p99": _ms(health["p99_ms"]),
            "backlog": str(health["backlog"]),
            "attempts": str(health["attempts"]),
            "window": f"last {health['window_hours']} h",
        }
        self.attempts = [attempt_row(a, self.time_zone) for a in page["data"]]
        self.attempts_total = page["total"]

    @rx.event
    async def load(self):
        self.attempts_offset, self.inspected, self.notice, self.action_error = 0, {}, "", ""
        self.recover_preview, self.recover_ready = "", False
        self.recover_since = to_iso(current().now() - timedelta(hours=24)) or ""
        return await self._fetch()

    @rx.event
    async def refresh(self):
        return await self._fetch()

    @rx.event
    async def attempts_next(self):
        self.attempts_offset = next_offset(self.attempts_offset, len(self.attempts), self.attempts_total)
        return await self._fetch()

    @rx.event
    async def attempts_prev(self):
        self.attempts_offset = prev_offset(self.attempts_offset)
        return await self._fetch()

    @rx.event
    async def inspect(self, attempt_id: str):
        operator = await self._operator()
        if operator is None:
            return self._to_signin()
        scope, endpoint_id = operator.scope, self._endpoint_id()
        view = await read(lambda s: inspect_attempt(s, scope, endpoint_id, attempt_id))
        self.inspected = {**{k: str(v) for k, v in view.items() if k != "key_ids"}, "key_ids": ", ".join(view["key_ids"]), "attempt_id": attempt_id}

    @rx.event
    async def resend(self, message_id: str):
        return await self._act(lambda token: call(actions.resend_webhook, token, self._endpoint_id(), message_id), f"Message {message_id} queued for delivery now.")

    @rx.event
    def set_recover_since(self, value: str):
        self.recover_since, self.recover_preview, self.recover_ready = value.strip()[:40], "", False

    @rx.event
    async def preview_recover(self):
        """The dry run: how many messages recover would send, and how many were acknowledged."""
        try:
            timestamp(self.recover_since, "since")
        except ZentraError:
            self.action_error = "since: use an ISO 8601 time such as 2026-11-21T09:00:00Z"
            return
        body = {"since": self.recover_since, "dry_run": True}
        result: dict = {}

        async def dry(token: str):
            result.update(await call(actions.recover_webhooks, token, self._endpoint_id(), body))

        outcome = await self._act(dry, "")
        if result:
            self.recover_preview = f"{result['would_send']} would be sent; {result.get('already_acknowledged', 0)} already acknowledged by the receiver."
            self.recover_ready = result["would_send"] > 0
        return outcome

    @rx.event
    async def run_recover(self):
        if not self.recover_ready:
            return
        body = {"since": self.recover_since, "dry_run": False}
        self.recover_ready = False
        return await self._act(lambda token: call(actions.recover_webhooks, token, self._endpoint_id(), body), "Recovery queued: " + self.recover_preview)
