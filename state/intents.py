"""The intents room: the scope's intents a server-side page at a time (filters: status, kind;
search by intent id), and a drawer with one intent's whole story: its state path, the event
handoff, its ledger entries with their legs, the policy decision, routing attempts, webhook
attempts, provider callbacks and its evidence packet.

Every read verifies the session and `intents.view` first and goes through the intent services
(`backend.intents.views`, `backend.evidence.contents`); nothing here decides a rule. The table and
the open drawer refresh when the live feed pushes an event about an intent.
"""

from __future__ import annotations

import orjson
import reflex as rx

from backend.errors import ZentraError
from backend.evidence.contents import intent_contents
from backend.intents.requests import KINDS
from backend.intents.states import HAPPY_PATH, STATES, TERMINAL
from backend.intents.views import table_page
from backend.runtime import current
from state.display import PAGE_SIZE, UTC, clock, money, stamp, when
from state.paging import OffsetPages
from state.saved_filters import SavedFilters
from state.session import SessionState, read

ANY = "any"
STATUS_CHOICES = (ANY, *STATES)
KIND_CHOICES = (ANY, *KINDS)
MAX_DATA_CHARS = 140


def _short(value: object) -> str:
    text = value if isinstance(value, str) else orjson.dumps(value).decode()
    return text if len(text) <= MAX_DATA_CHARS else text[: MAX_DATA_CHARS - 1] + "…"


def lifecycle(status: str) -> str:
    """The State column: `terminal` once nothing more can happen to it, `held` while a person
    decides, `retry` while its deliveries are behind, else `live`."""
    if status in TERMINAL:
        return "terminal"
    return {"review": "held", "retrying": "retry"}.get(status, "live")


def path_cells(status: str, states: list[dict]) -> dict[str, str]:
    """`p_<step>` for each happy-path step: `current`, `done` (reached before), or empty; and
    `side` when the intent stands in a side state (review, rejected, failed, retrying, reversed)."""
    reached = {s["state"] for s in states} | {status}
    cells = {f"p_{step}": ("current" if step == status else "done" if step in reached else "") for step in HAPPY_PATH}
    count = sum(1 for step in HAPPY_PATH if step in reached)
    cells["side"] = "" if status in HAPPY_PATH else status
    cells["path_label"] = f"{count}/{len(HAPPY_PATH)}"
    return cells


def intent_row(view: dict, zone: str = UTC) -> dict[str, str]:
    """One row of the intent table, from a `table_page` row or `get_intent`'s answer; its times
    in the operator's `zone`."""
    return {
        "intent_id": view["intent_id"],
        "kind": view["kind"],
        "status": view["status"],
        "amount": money(view["amount_minor"], view["currency"]),
        "amount_minor": str(view["amount_minor"]),
        "currency": view["currency"],
        "evidence": view["audit_packet"],
        "event_stream": view["event_stream"],
        "state": lifecycle(view["status"]),
        "counterparty": view.get("counterparty") or "",
        "failure": (view.get("failure") or {}).get("code") or "",
        **stamp("created_at", view["created_at"], zone),
        **stamp("updated_at", view["updated_at"], zone),
        **path_cells(view["status"], view["states"]),
    }


def intent_facts(view: dict, zone: str = UTC) -> dict[str, str]:
    """The drawer's header: the intent's facts, its policy decision and its review."""
    policy = view.get("policy") or {}
    review = view.get("review") or {}
    failure = view.get("failure") or {}
    return {
        **intent_row(view, zone),
        "source": view["source"],
        "destination": view["destination"],
        "corridor": view["corridor"],
        "provider_id": view.get("provider_id") or "",
        "hold_id": view.get("hold_id") or "",
        "ledger_state": view.get("ledger_state") or "",
        "failure_message": failure.get("message") or "",
        "created_by": view["created_by"],
        "scope": view.get("scope") or "",
        "revision": str(view.get("revision", "")),
        "evidence_url": view.get("evidence_url") or "",
        "policy_outcome": policy.get("outcome") or "",
        "policy_reason": policy.get("reason") or "",
        "policy_version": str(policy.get("policy_version", "")),
        "required_approvals": str(policy.get("required_approvals", "")),
        "review_id": review.get("id") or "",
        "review_status": review.get("status") or "",
        "review_reason": review.get("reason") or "",
        "review_assignee": review.get("assignee") or "",
        "review_due": when(review.get("due_at"), zone),
    }


def state_row(state: dict, zone: str = UTC) -> dict[str, str]:
    return {"state": state["state"], "from": state.get("from") or "", "event": state["event"], "actor": state.get("actor") or "", "reason": state.get("reason") or "", **stamp("at", state["at"], zone)}


def event_rows(events: list[dict], states: list[dict], zone: str = UTC) -> list[dict[str, str]]:
    """The event handoff: each event with the actor who caused it (the transition that emitted
    it, or the operator a review event names)."""
    pending = [dict(s) for s in states]
    rows = []
    for event in events:
        data = event.get("data") or {}
        actor = data.get("by") if isinstance(data, dict) else None
        match = next((s for s in pending if s["event"] == event["type"]), None)
        if match is not None:
            pending.remove(match)
            actor = actor or match.get("actor")
        rows.append({"id": event["id"], "type": event["type"], "actor": actor or "", **stamp("occurred_at", event["occurred_at"], zone), "data": _short(data)})
    return rows


def leg_rows(postings: list[dict]) -> list[dict[str, str]]:
    """Every leg of every posting, the posting's facts on its first leg."""
    rows = []
    for posting in postings:
        for index, entry in enumerate(posting["entries"]):
            rows.append(
                {
                    "posting_id": posting["posting_id"] if index == 0 else "",
                    "kind": posting["kind"] if index == 0 else "",
                    "status": posting["status"] if index == 0 else "",
                    "description": (posting.get("description") or "") if index == 0 else "",
                    "account": entry["account"],
                    "direction": entry["direction"],
                    "bucket": entry["bucket"],
                    "amount": money(entry["amount_minor"], posting["currency"]),
                }
            )
    return rows


def check_row(check: dict) -> dict[str, str]:
    return {"rule": check.get("rule", ""), "rule_id": check.get("rule_id", ""), "result": check.get("result", ""), "detail": check.get("detail", ""), "label": check.get("label", "")}


def routing_row(attempt: dict) -> dict[str, str]:
    duration = attempt.get("duration_ms")
    return {
        "provider_id": str(attempt.get("provider_id") or ""),
        "result": str(attempt.get("result") or ""),
        "status_code": "" if attempt.get("status_code") is None else str(attempt["status_code"]),
        "duration": "" if duration is None else f"{duration} ms",
        "provider_reference": str(attempt.get("provider_reference") or ""),
        "error": str(attempt.get("error") or ""),
    }


def webhook_row(attempt: dict, zone: str = UTC) -> dict[str, str]:
    duration = attempt.get("duration_ms")
    return {
        "endpoint_id": attempt["endpoint_id"],
        "event_type": attempt["event_type"],
        "attempt": str(attempt["attempt"]),
        "status": attempt["status"],
        "response_code": "" if attempt.get("response_code") is None else str(attempt["response_code"]),
        "duration": "" if duration is None else f"{duration} ms",
        "error_kind": attempt.get("error_kind") or "",
        **stamp("attempted_at", attempt["attempted_at"], zone),
    }


def callback_row(callback: dict, zone: str = UTC) -> dict[str, str]:
    return {
        "provider": callback["provider"],
        "type": callback["type"],
        "sequence": "" if callback.get("sequence") is None else str(callback["sequence"]),
        "outcome": callback["outcome"],
        "reason": callback.get("reason") or "",
        "webhook_id": callback.get("webhook_id") or "",
        **stamp("received_at", callback["received_at"], zone),
    }


def _shown(capped: dict) -> str:
    """`12` or `100 of 340` for a capped list of the packet contents."""
    return f"{len(capped['data'])} of {capped['total']}" if capped.get("truncated") else str(capped["total"])


def _filter(value: str, allowed: tuple[str, ...]) -> str:
    return value if value in allowed else ANY


class IntentsState(OffsetPages, SavedFilters, SessionState):
    """`/intents`: the table, its filters (and the operator's saved ones), and the drawer of the
    selected intent."""

    status_filter: str = ANY
    kind_filter: str = ANY
    query: str = ""
    refreshed_at: str = ""

    selected_id: str = ""
    drawer_loading: bool = False
    drawer_error: str = ""
    selected: dict[str, str] = {}
    sel_states: list[dict[str, str]] = []
    sel_events: list[dict[str, str]] = []
    sel_legs: list[dict[str, str]] = []
    sel_checks: list[dict[str, str]] = []
    sel_labels: list[str] = []
    sel_routing: list[dict[str, str]] = []
    sel_webhooks: list[dict[str, str]] = []
    sel_callbacks: list[dict[str, str]] = []
    sel_counts: dict[str, str] = {}

    @rx.var(cache=True)
    def drawer_open(self) -> bool:
        return self.selected_id != ""

    @rx.var(cache=True)
    def sealing(self) -> bool:
        """Whether a row shown (or the drawer) still waits for its audit records to be sealed."""
        return any(r["evidence"] == "sealing" for r in self.rows) or self.selected.get("evidence") == "sealing"

    @rx.var(cache=True)
    def selected_path(self) -> list[dict[str, str]]:
        """The drawer's state path: each happy-path step with whether it was reached."""
        status = self.selected.get("status", "")
        return [{"step": step, "mark": self.selected.get(f"p_{step}", ""), "current": "yes" if step == status else ""} for step in HAPPY_PATH]

    @rx.var(cache=True)
    def deep_link(self) -> str:
        return f"/intents?id={self.selected_id}" if self.selected_id else ""

    @rx.var(cache=True)
    def empty_message(self) -> str:
        if self.query.strip():
            return f"No intent with id “{self.query.strip()}” in this tenant and mode."
        if self.status_filter != ANY or self.kind_filter != ANY:
            return "No intent matches these filters."
        return "No intents in this tenant and mode yet. Create one with POST /v1/runtime/intents."

    async def _fetch(self):
        operator, away = await self._allowed("intents.view")
        if operator is None:
            return away
        scope, offset = operator.scope, self.offset
        status = None if self.status_filter == ANY else self.status_filter
        kind = None if self.kind_filter == ANY else self.kind_filter
        search = self.query.strip() or None

        found = await read(lambda s: table_page(s, scope, status=status, kind=kind, search=search, limit=PAGE_SIZE, offset=offset))
        if self._moved_back(found, offset):
            return await self._fetch()
        self._show_page(found, [intent_row(v, self.time_zone) for v in found["data"]])
        self.refreshed_at = clock(current().now(), self.time_zone)

    async def _fetch_selected(self):
        """Read the drawer's intent and its packet contents (events, postings, webhook attempts,
        provider callbacks) in one read transaction."""
        operator, away = await self._allowed("intents.view")
        if operator is None:
            return away
        intent_id = self.selected_id
        if not intent_id:
            return
        scope, now = operator.scope, current().now()
        try:
            contents = await read(lambda s: intent_contents(s, scope, intent_id, now))
        except ZentraError as err:
            if err.code != "not_found":
                raise
            self._clear_selected()
            self.drawer_error = f"No intent {intent_id} in this tenant and mode."
            self.drawer_loading = False
            return
        view = contents["intent"]
        policy = view.get("policy") or {}
        zone = self.time_zone
        self.selected = intent_facts(view, zone)
        self.sel_states = [state_row(s, zone) for s in view["states"]]
        self.sel_events = event_rows(contents["events"]["data"], view["states"], zone)
        self.sel_legs = leg_rows(contents["postings"]["data"])
        self.sel_checks = [check_row(c) for c in policy.get("checks", [])]
        self.sel_labels = [str(label) for label in policy.get("labels", [])]
        self.sel_routing = [routing_row(a) for a in view.get("routing") or []]
        self.sel_webhooks = [webhook_row(a, zone) for a in contents["webhook_attempts"]["data"]]
        self.sel_callbacks = [callback_row(c, zone) for c in contents["callbacks"]["data"]]
        self.sel_counts = {
            "events": _shown(contents["events"]),
            "postings": _shown(contents["postings"]),
            "webhooks": _shown(contents["webhook_attempts"]),
            "callbacks": _shown(contents["callbacks"]),
            "routing": str(len(self.sel_routing)),
            "states": str(len(self.sel_states)),
        }
        self.drawer_error, self.drawer_loading = "", False

    def _clear_selected(self) -> None:
        self.selected = {}
        self.sel_states, self.sel_events, self.sel_legs, self.sel_checks = [], [], [], []
        self.sel_labels, self.sel_routing, self.sel_webhooks, self.sel_callbacks = [], [], [], []
        self.sel_counts = {}

    def _filter_room(self) -> str:
        return "intents"

    def _filter_fields(self) -> dict[str, str]:
        return {"status": self.status_filter, "kind": self.kind_filter, "id": self.query.strip()}

    def _apply_fields(self, query: dict[str, str]) -> None:
        self.status_filter = _filter(query.get("status", ANY), STATUS_CHOICES)
        self.kind_filter = _filter(query.get("kind", ANY), KIND_CHOICES)
        self.query, self.offset = query.get("id", "")[:80], 0

    def _query_id(self) -> str:
        return str(self.router.url.query_parameters.get("id", "") or "").strip()[:80]

    @rx.event
    async def load(self):
        """Open the page; `?id=intent_…` opens that intent's drawer."""
        self.drawer_error = ""
        wanted = self._query_id()
        outcome = await self._fetch() or await self._load_saved()
        if outcome is not None:
            return outcome
        if wanted:
            self.selected_id, self.drawer_loading = wanted, True
            self._clear_selected()
            return await self._fetch_selected()
        if self.selected_id:
            return await self._fetch_selected()

    @rx.event
    async def refresh(self):
        outcome = await self._fetch()
        if outcome is None and self.selected_id:
            return await self._fetch_selected()
        return outcome

    @rx.event
    async def tick(self, _moment: str = ""):
        """While something shown is still sealing, its evidence state is read again now and then."""
        if self.sealing and self.tenant_id:
            return await self.refresh()

    async def refresh_live(self, events: list[dict]) -> None:
        """Events pushed from the stream (already checked to be this session's scope): the table
        and the open drawer are read again when one of them is about an intent."""
        objects = {str(e.get("object") or "") for e in events} | {str(e.get("correlation_id") or "") for e in events}
        if not any(o.startswith("intent_") for o in objects):
            return
        await self._fetch()
        if self.selected_id and self.selected_id in objects:
            await self._fetch_selected()

    @rx.event
    async def select(self, intent_id: str):
        self.selected_id, self.drawer_error, self.drawer_loading = str(intent_id)[:80], "", True
        self._clear_selected()
        return await self._fetch_selected()

    @rx.event
    def close_drawer(self):
        self.selected_id, self.drawer_error, self.drawer_loading = "", "", False
        self._clear_selected()

    @rx.event
    async def set_status_filter(self, value: str):
        self._filters_changed()
        self.status_filter, self.offset = _filter(str(value), STATUS_CHOICES), 0
        return await self._fetch()

    @rx.event
    async def set_kind_filter(self, value: str):
        self._filters_changed()
        self.kind_filter, self.offset = _filter(str(value), KIND_CHOICES), 0
        return await self._fetch()

    @rx.event
    async def search(self, value: str):
        self._filters_changed()
        self.query, self.offset = str(value)[:80], 0
        return await self._fetch()

    @rx.event
    async def clear_filters(self):
        self._filters_changed()
        self.status_filter = self.kind_filter = ANY
        self.query, self.offset = "", 0
        return await self._fetch()
