"""The policy room: the scope's current policy rendered readably, its version history, any older
version on request, and for admins an editor that publishes the next version.

Viewing needs `policy.view`; publishing is the `policy.manage` operator action, re-checked and
recorded on the server. The editor publishes "version N+1" only: if someone else published
since the page was read, the server refuses and the page shows their version, keeping the draft.
"""

from __future__ import annotations

import json

import reflex as rx

from backend.errors import ZentraError
from backend.money.currencies import format_minor
from backend.operators import actions
from backend.policy.versions import get_policy, list_versions
from state.display import PAGE_SIZE, UTC, page_label, stamp
from state.paging import next_offset, prev_offset
from state.session import SessionState, call, read

ANY = "*"


def minor(amount: int, currency: str) -> str:
    """An amount per its currency's exponent; a `*` amount is in whatever currency the intent is."""
    return f"{amount:,} minor units" if currency == ANY else format_minor(amount, currency)


def currency_label(code: str) -> str:
    return "any currency" if code == ANY else code


def limit_rows(rules: dict) -> list[dict[str, str]]:
    return [
        {"kind": "any kind" if lim["kind"] == ANY else lim["kind"], "currency": currency_label(lim["currency"]), "max": minor(lim["max_minor"], lim["currency"])}
        for lim in rules["amount_limits"]
    ]


def threshold_rows(rules: dict) -> list[dict[str, str]]:
    """One row per currency named by either threshold, specific currencies first."""
    review, dual = rules["review_threshold"], rules["dual_approval_threshold"]
    codes = sorted(set(review) | set(dual), key=lambda c: (c == ANY, c))
    return [{"currency": currency_label(c), "review": minor(review[c], c) if c in review else "—", "dual": minor(dual[c], c) if c in dual else "—"} for c in codes]


def velocity_facts(rules: dict) -> dict[str, str]:
    velocity = rules["velocity"]
    if velocity is None:
        return {}
    amounts = sorted(velocity["max_minor"].items(), key=lambda kv: (kv[0] == ANY, kv[0]))
    return {
        "window": f"{velocity['window_seconds']:,} s",
        "max_count": "no limit" if velocity["max_count"] is None else f"{velocity['max_count']:,} intents",
        "max_amount": ", ".join(minor(a, c) if c != ANY else f"{a:,} minor units in any currency" for c, a in amounts) or "no limit",
    }


def version_row(view: dict, zone: str = UTC) -> dict[str, str]:
    return {
        "version": str(view["version"]),
        "note": view["note"] or "",
        "created_by": view["created_by"],
        **stamp("created_at", view["created_at"], zone),
    }


def draft_of(rules: dict) -> str:
    return json.dumps(rules, indent=2, ensure_ascii=False)


def _no_constants(name: str) -> None:
    raise ValueError(f"{name} is not valid JSON for a policy")


def read_draft(text: str) -> dict:
    """The editor's text as a JSON value, or `validation_error` on `rules` saying where it broke."""
    try:
        return json.loads(text, parse_constant=_no_constants)
    except json.JSONDecodeError as err:
        raise ZentraError("validation_error", f"not valid JSON: {err.msg} at line {err.lineno}, column {err.colno}", "rules") from None
    except ValueError as err:  # NaN or Infinity
        raise ZentraError("validation_error", str(err), "rules") from None
    except RecursionError:
        raise ZentraError("validation_error", "the document is nested too deeply", "rules") from None


class PolicyState(SessionState):
    """`/policy`: the version shown (the current one unless an older one was picked), the history
    a server-side page at a time, and the editor."""

    current_version: int = 0
    shown: dict[str, str] = {}
    limits: list[dict[str, str]] = []
    thresholds: list[dict[str, str]] = []
    velocity: dict[str, str] = {}
    blocked: list[str] = []
    corridors: list[str] = []
    history: list[dict[str, str]] = []
    history_total: int = 0
    history_offset: int = 0
    loaded: bool = False
    draft: str = ""
    draft_note: str = ""
    error_param: str = ""
    error_message: str = ""
    notice: str = ""

    @rx.var(cache=True)
    def can_manage_policy(self) -> bool:
        return "policy.manage" in self.permissions

    @rx.var(cache=True)
    def showing_current(self) -> bool:
        return self.shown.get("version", "") == str(self.current_version)

    @rx.var(cache=True)
    def publish_label(self) -> str:
        return f"Publish version {self.current_version + 1}"

    @rx.var(cache=True)
    def history_range(self) -> str:
        return page_label(self.history_offset, len(self.history), self.history_total)

    def _display(self, view: dict) -> None:
        rules, row = view["rules"], version_row(view, self.time_zone)
        self.shown = {**row, "created_at": row["created_at"] or "built in"}
        self.limits, self.thresholds, self.velocity = limit_rows(rules), threshold_rows(rules), velocity_facts(rules)
        self.blocked, self.corridors = list(rules["blocked_counterparties"]), list(rules["corridors"])

    async def _fetch(self, version: int | None = None, *, fill_draft: bool = False):
        """Read the current version (and `version` to show, if another), and the history page."""
        operator, away = await self._allowed("policy.view")
        if operator is None:
            return away
        scope, offset = operator.scope, self.history_offset

        def unit(s):
            current = get_policy(s, scope)
            shown = current if version is None else get_policy(s, scope, version)
            return current, shown, list_versions(s, scope, PAGE_SIZE, offset)

        current, shown, history = await read(unit)
        self.current_version = current["version"]
        self._display(shown)
        self.history, self.history_total, self.loaded = [version_row(v, self.time_zone) for v in history["data"]], history["total"], True
        if fill_draft:
            self.draft = draft_of(current["rules"])

    @rx.event
    async def load(self):
        self.history_offset, self.draft_note, self.notice = 0, "", ""
        self.error_param = self.error_message = ""
        return await self._fetch(fill_draft=True)

    @rx.event
    async def show_version(self, version: str):
        """Show an older version's rules (the editor still publishes after the current one)."""
        if str(version).isdigit() and int(version) <= self.current_version:
            return await self._fetch(int(version))

    @rx.event
    async def show_current(self):
        return await self._fetch()

    @rx.event
    async def history_next(self):
        self.history_offset = next_offset(self.history_offset, len(self.history), self.history_total)
        return await self._fetch()

    @rx.event
    async def history_prev(self):
        self.history_offset = prev_offset(self.history_offset)
        return await self._fetch()

    @rx.event
    def set_draft(self, value: str):
        self.draft = value

    @rx.event
    def set_draft_note(self, value: str):
        self.draft_note = value

    @rx.event
    async def reset_draft(self):
        """Start the draft again from the current version's rules."""
        self.error_param = self.error_message = ""
        return await self._fetch(fill_draft=True)

    @rx.event
    async def publish(self):
        """Publish the draft as version N+1; a refusal is shown with the place it names."""
        self.notice, self.error_param, self.error_message = "", "", ""
        body = {"note": self.draft_note.strip() or None, "version": self.current_version + 1}
        try:
            body["rules"] = read_draft(self.draft)
            published = await call(actions.publish_policy, self._token, body)
        except ZentraError as err:
            if err.code == "unauthorized":
                return self._session_over()
            self.error_param, self.error_message = err.param or "", err.message
            if err.code == "invalid_state_transition":
                return await self._fetch()
            return
        self.notice, self.draft_note = f"Published version {published['version']}.", ""
        return await self._fetch(fill_draft=True)
