"""The operations room at `/`: the runtime strip (API, Policy, Ledger, Route, Webhook, Evidence
with their counts over the last hour and a health word each), the headline tiles, the eight
newest intents, the selected intent's money, policy, evidence and event handoff, and the 24 h /
Events / Audit tabs.

Every refresh verifies the session (`intents.view`; the audit lists also need `audit.view`) and
reads everything it shows in one read transaction through the backend's own services. Pushed
events refresh it at most once per `LIVE_GAP` seconds however fast they arrive: a push inside the
gap only marks the room `live_pending`, and the page's half-second clock catches up once the gap
has passed. Every list sent to the browser is bounded (8 intents, 10 events, 10 records, a
capped timeline).
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from datetime import datetime, timedelta

import reflex as rx
from sqlmodel import Session

from backend.audit.queries import AuditFilter, chain_status, records_page
from backend.errors import ZentraError
from backend.events.log import latest_events
from backend.evidence.contents import intent_contents
from backend.finance.deliveries import webhook_health
from backend.finance.volume import totals
from backend.intents.reviews import Filters, list_reviews
from backend.intents.states import STATES
from backend.intents.views import table_page
from backend.money.currencies import format_minor
from backend.operators.sessions import OperatorScope
from backend.providers.registry import get_provider
from backend.routing.routes import list_routes
from backend.runtime import current
from backend.tenancy.scope import Scope
from state.display import UTC, clock, money, when
from state.evidence import record_row
from state.intents import event_rows, intent_facts, intent_row
from state.session import SessionState, read

WINDOW = timedelta(hours=1)
DAY = timedelta(hours=24)
LIVE_GAP = 1.0  # seconds between two refreshes caused by pushed events
SEALING_EVERY = 4.0  # while a row shown waits for its audit records, read again this often
DAY_EVERY = 10.0  # the 24 h totals scan a day of transitions: read them at most this often
TABLE_SIZE = 8
LIST_SIZE = 10
MAX_TIMELINE = 24
MAX_PROVIDERS = 6
MAX_CURRENCIES = 4
MAX_DAY_ROWS = 44
TABS = ("24h", "events", "audit")

# The six stages of the runtime, in handoff order: (key, name, what the stage does).
STAGES = (
    ("api", "API", "request accepted"),
    ("policy", "Policy", "scope control passed"),
    ("ledger", "Ledger", "reserve posted"),
    ("route", "Route", "rail selected"),
    ("webhook", "Webhook", "attempt delivered"),
    ("evidence", "Evidence", "packet sealed"),
)
STATE_ORDER = {state: index for index, state in enumerate(STATES)}


# Which stage of the strip an event belongs to, by its type's prefix (`intent.accepted` is the API's).
STAGE_BY_PREFIX = {
    "policy": "Policy",
    "review": "Policy",
    "ledger": "Ledger",
    "hold": "Ledger",
    "account": "Ledger",
    "provider": "Route",
    "route": "Route",
    "intent": "Route",
    "webhook": "Webhook",
    "evidence": "Evidence",
}


def stage_of(event_type: str) -> str:
    if event_type == "intent.accepted":
        return "API"
    return STAGE_BY_PREFIX.get(event_type.split(".", 1)[0], "—")


def _clock() -> float:
    """Wall-clock seconds (not monotonic: with several workers the state moves between them)."""
    return time.time()


def _count(value: int) -> str:
    return f"{value:,}"


def _many(value: int, noun: str) -> str:
    """`1 provider`, `3 providers`."""
    return f"{value:,} {noun}{'' if value == 1 else 's'}"


def _rate(value: float | None) -> str:
    return "—" if value is None else f"{value * 100:.2f}%"


def _hms(iso: str | None, zone: str = UTC) -> str:
    """`14:12:09 UTC` (in the operator's `zone`) from an ISO time (the date is in the title where
    it matters)."""
    full = when(iso, zone)
    return full[11:] if len(full) > 11 else full


@dataclass
class Snapshot:
    """Everything one refresh read, in one read transaction."""

    hour: list[dict]
    reviews: int
    webhooks: dict
    providers: list[dict]
    chain: dict
    table: dict
    day: list[dict] | None = None
    events: list[dict] = field(default_factory=list)
    audit: list[dict] = field(default_factory=list)
    selected: dict | None = None
    selected_audit: list[dict] = field(default_factory=list)


def _providers(session: Session, scope: Scope) -> list[dict]:
    """The providers on the scope's routes, first choices first, with their breaker's health."""
    wanted: list[str] = []
    for route in list_routes(session, scope)["data"]:
        wanted += [p for p in route["providers"] if p not in wanted]
    found = []
    for provider_id in wanted[:MAX_PROVIDERS]:
        try:
            found.append(get_provider(session, scope, provider_id))
        except ZentraError as err:
            if err.code != "not_found":
                raise
    return found


def _selected(session: Session, scope: Scope, intent_id: str, now: datetime, chain: str, audit: bool) -> tuple[dict | None, list[dict]]:
    try:
        contents = intent_contents(session, scope, intent_id, now)
    except ZentraError as err:
        if err.code != "not_found":
            raise
        return None, []
    records = records_page(session, chain, scope.mode, AuditFilter(object_id=intent_id), limit=LIST_SIZE)["data"] if audit else []
    return contents, records


def provider_row(view: dict, now: datetime, zone: str = UTC) -> dict[str, str]:
    """A provider's breaker in words: tripped (tried last) until a time, failing, or healthy."""
    health = view["health"]
    failures = int(health.get("consecutive_failures") or 0)
    until = health.get("unhealthy_until")
    tripped = bool(until) and datetime.fromisoformat(until.replace("Z", "+00:00")) > now
    if tripped:
        word, tone, detail = "tripped", "bad", f"tried last until {_hms(until, zone)}"
    elif failures:
        word, tone, detail = "failing", "watch", f"{failures} failed in a row"
    else:
        word, tone, detail = "healthy", "ok", f"last success {_hms(health.get('last_success_at'), zone)}" if health.get("last_success_at") else "no attempts yet"
    return {"id": view["id"], "name": view["name"], "word": word, "tone": tone, "detail": detail, "failures": str(failures)}


def strip_of(snapshot: Snapshot, now: datetime, zone: str = UTC) -> tuple[dict[str, str], list[dict[str, str]], dict[str, str]]:
    """The runtime strip (flat: `<stage>_<field>`), the route's providers, and webhook health;
    times in the operator's `zone`."""
    counts: dict[str, int] = {}
    for row in snapshot.hour:
        counts[row["state"]] = counts.get(row["state"], 0) + int(row["count"])
    strip: dict[str, str] = {}

    def stage(key: str, count: str, detail: str, word: str, tone: str) -> None:
        strip.update({f"{key}_count": count, f"{key}_detail": detail, f"{key}_word": word, f"{key}_tone": tone})

    accepted = counts.get("accepted", 0)
    stage("api", _count(accepted), "intents accepted, last hour", "flowing" if accepted else "idle", "ok" if accepted else "idle")

    controlled, review, rejected = counts.get("controlled", 0), counts.get("review", 0), counts.get("rejected", 0)
    decided = controlled + review + rejected
    policy_word, policy_tone = ("idle", "idle") if not decided else ("holding", "watch") if review else ("passing", "ok")
    strip.update({"policy_controlled": _count(controlled), "policy_review": _count(review), "policy_rejected": _count(rejected)})
    stage("policy", _count(controlled), f"controlled · {review:,} review · {rejected:,} rejected", policy_word, policy_tone)

    ledgered = counts.get("ledgered", 0)
    stage("ledger", _count(ledgered), "reserves posted, last hour", "posting" if ledgered else "idle", "ok" if ledgered else "idle")

    providers = [provider_row(p, now, zone) for p in snapshot.providers]
    routed, failed = counts.get("routed", 0), counts.get("failed", 0)
    tripped = sum(1 for p in providers if p["tone"] == "bad")
    failing = sum(1 for p in providers if p["tone"] == "watch")
    if not providers:
        route_word, route_tone = "no route", "idle"
    elif tripped == len(providers):
        route_word, route_tone = "down", "bad"
    elif tripped or failing:
        route_word, route_tone = "degraded", "watch"
    else:
        route_word, route_tone = "healthy", "ok"
    stage("route", _count(routed), f"routed · {failed:,} failed · {_many(len(providers), 'provider')}", route_word, route_tone)

    attempts = succeeded = 0
    disabled = 0
    for endpoint in snapshot.webhooks["endpoints"]:
        disabled += endpoint["status"] != "active"
        for bucket in endpoint["series"]:
            attempts += int(bucket["attempts"])
            succeeded += int(bucket["succeeded"])
    rate = succeeded / attempts if attempts else None
    endpoints = len(snapshot.webhooks["endpoints"])
    if not endpoints:
        hook_word, hook_tone = "no endpoints", "idle"
    elif rate is None:
        hook_word, hook_tone = "quiet", "idle"
    elif rate >= 0.99 and not disabled:
        hook_word, hook_tone = "healthy", "ok"
    elif rate >= 0.95:
        hook_word, hook_tone = "degraded", "watch"
    else:
        hook_word, hook_tone = "failing", "bad"
    stage("webhook", _rate(rate), f"{succeeded:,} of {attempts:,} attempts · {_many(endpoints, 'endpoint')}", hook_word, hook_tone)
    webhook = {"rate": _rate(rate), "attempts": _count(attempts), "succeeded": _count(succeeded), "endpoints": _many(endpoints, "endpoint"), "disabled": str(disabled), "word": hook_word, "tone": hook_tone}

    chain = snapshot.chain
    evidenced = counts.get("evidenced", 0)
    status = chain["status"]
    if status == "verified":
        chain_detail, chain_tone = f"chain verified to #{chain['verified_seq']:,} at {_hms(chain['verified_at'], zone)}", "ok"
    elif status == "broken":
        chain_detail, chain_tone = f"chain broken at #{chain['broken_seq']}: {chain['broken_reason'] or 'see the evidence room'}", "bad"
    elif status == "unverified":
        chain_detail, chain_tone = f"sealed to #{chain['sealed_seq']:,}, not verified yet", "watch"
    else:
        chain_detail, chain_tone = "no sealed records yet", "idle"
    stage("evidence", _count(evidenced), f"evidenced · {chain_detail}", status, chain_tone)
    strip.update({"chain_status": status, "chain_verified_seq": str(chain["verified_seq"]), "chain_sealed_seq": str(chain["sealed_seq"]), "chain_verified_at": when(chain["verified_at"], zone)})
    return strip, providers, webhook


def volume_rows(hour: list[dict]) -> list[dict[str, str]]:
    """The headline state volume: per currency, the money that reached `ledgered` in the window."""
    rows = [r for r in hour if r["state"] == "ledgered"]
    rows.sort(key=lambda r: -int(r["amount_minor"]))
    return [{"currency": r["currency"], "amount": money(r["amount_minor"], r["currency"]), "amount_minor": f"{int(r['amount_minor']):,}", "count": _count(int(r["count"]))} for r in rows[:MAX_CURRENCIES]]


def day_row(row: dict) -> dict[str, str]:
    return {"state": row["state"], "currency": row["currency"], "count": _count(int(row["count"])), "amount": format_minor(int(row["amount_minor"]), row["currency"]), "amount_minor": f"{int(row['amount_minor']):,}"}


def latest_row(event: dict, zone: str = UTC) -> dict[str, str]:
    return {"id": event["id"], "type": event["type"], "object": event.get("object") or "", "stage": stage_of(event["type"]), "occurred_at": when(event["occurred_at"], zone), "clock": _hms(event["occurred_at"], zone)}


def packet_row(record: dict, zone: str = UTC) -> dict[str, str]:
    """A compact audit record: what, to which scope, by whom, where in the chain."""
    row = record_row(record, zone)
    return {key: row[key] for key in ("seq", "action", "scope", "actor", "role", "object", "decision", "hash", "occurred_at", "denied")} | {"clock": _hms(record["occurred_at"], zone)}


class HomeState(SessionState):
    """`/`: the operations room, live."""

    tab: str = "24h"
    loaded: bool = False
    refreshed_at: str = ""
    live_pending: bool = False

    strip: dict[str, str] = {}
    providers: list[dict[str, str]] = []
    webhook: dict[str, str] = {}
    volume: list[dict[str, str]] = []
    open_reviews: int = 0
    rows: list[dict[str, str]] = []
    intents_total: int = 0
    intents_total_exact: bool = True
    day_rows: list[dict[str, str]] = []
    day_more: int = 0
    latest: list[dict[str, str]] = []
    audit: list[dict[str, str]] = []

    selected_id: str = ""
    selected_missing: bool = False
    selected: dict[str, str] = {}
    sel_events: list[dict[str, str]] = []
    sel_events_label: str = ""
    sel_labels: list[str] = []
    sel_audit: list[dict[str, str]] = []

    # Backend-only: when the room was last read (wall clock, so several workers agree).
    _read_at: float = 0.0
    _day_at: float = 0.0

    @rx.var(cache=True)
    def has_selection(self) -> bool:
        return self.selected_id != ""

    @rx.var(cache=True)
    def sealing(self) -> bool:
        return any(r["evidence"] == "sealing" for r in self.rows) or self.selected.get("evidence") == "sealing"

    @rx.var(cache=True)
    def table_label(self) -> str:
        if not self.intents_total_exact:
            return f"{len(self.rows)} newest of {self.intents_total:,}+"
        if self.intents_total > len(self.rows):
            return f"{len(self.rows)} newest of {self.intents_total:,}"
        return _many(self.intents_total, "intent")

    @rx.var(cache=True)
    def clock_on(self) -> bool:
        """Whether the page's one-second clock runs: a pushed refresh is owed, or a row is sealing."""
        return self.live_pending or self.sealing

    async def _fetch(self):
        """Read the whole room (and the selected intent) in one read transaction."""
        operator, away = await self._allowed("intents.view")
        if operator is None:
            return away
        started, now = _clock(), current().now()
        read_day = self.tab == "24h" and started - self._day_at >= DAY_EVERY
        snapshot = await read(self._unit(operator, now, read_day))
        self._read_at, self.live_pending = started, False
        if read_day:
            self._day_at = started
        self._present(snapshot, now)

    def _unit(self, operator: OperatorScope, now: datetime, read_day: bool):
        scope, tab, intent_id = operator.scope, self.tab, self.selected_id
        audit_ok = operator.can("audit.view")
        chain = operator.tenant_id

        def unit(s: Session) -> Snapshot:
            snapshot = Snapshot(
                hour=totals(s, scope, now - WINDOW, now),
                reviews=list_reviews(s, scope, Filters(), now, 1, 0)["total"],
                webhooks=webhook_health(s, scope, now - WINDOW, now, int(WINDOW.total_seconds())),
                providers=_providers(s, scope),
                chain=chain_status(s, chain),
                table=table_page(s, scope, limit=TABLE_SIZE),
            )
            if read_day:
                snapshot.day = totals(s, scope, now - DAY, now)
            if tab == "events":
                snapshot.events = latest_events(s, scope, limit=LIST_SIZE)["data"]
            elif tab == "audit" and audit_ok:
                snapshot.audit = records_page(s, chain, scope.mode, AuditFilter(), limit=LIST_SIZE)["data"]
            if intent_id:
                snapshot.selected, snapshot.selected_audit = _selected(s, scope, intent_id, now, chain, audit_ok)
            return snapshot

        return unit

    def _present(self, snapshot: Snapshot, now: datetime) -> None:
        zone = self.time_zone
        self.strip, self.providers, self.webhook = strip_of(snapshot, now, zone)
        self.volume = volume_rows(snapshot.hour)
        self.open_reviews = int(snapshot.reviews)
        self.rows = [intent_row(v, zone) for v in snapshot.table["data"]]
        self.intents_total = int(snapshot.table["total"])
        self.intents_total_exact = snapshot.table.get("total_exact", True)
        if snapshot.day is not None:
            ordered = sorted(snapshot.day, key=lambda r: (r["currency"], STATE_ORDER.get(r["state"], len(STATE_ORDER))))
            self.day_rows = [day_row(r) for r in ordered[:MAX_DAY_ROWS]]
            self.day_more = max(0, len(ordered) - MAX_DAY_ROWS)
        if self.tab == "events":
            self.latest = [latest_row(e, zone) for e in snapshot.events]
        elif self.tab == "audit":
            self.audit = [packet_row(r, zone) for r in snapshot.audit]
        if self.selected_id:
            self._show_selected(snapshot.selected, snapshot.selected_audit)
        self.refreshed_at = clock(now, zone)
        self.loaded = True

    def _show_selected(self, contents: dict | None, records: list[dict]) -> None:
        if contents is None:
            self._clear_selected()
            self.selected_missing = True
            return
        view = contents["intent"]
        events = contents["events"]
        zone = self.time_zone
        rows = event_rows(events["data"], view["states"], zone)
        shown = rows[-MAX_TIMELINE:]
        policy = view.get("policy") or {}
        self.selected = intent_facts(view, zone)
        self.sel_events = [{**r, "stage": stage_of(r["type"]), "clock": r["occurred_at"][11:]} for r in shown]
        self.sel_events_label = f"{len(shown)} of {events['total']}" if len(shown) < events["total"] else str(events["total"])
        self.sel_labels = [str(label) for label in policy.get("labels", [])][:LIST_SIZE]
        self.sel_audit = [packet_row(r, zone) for r in records]
        self.selected_missing = False

    def _clear_selected(self) -> None:
        self.selected, self.sel_events, self.sel_labels, self.sel_audit = {}, [], [], []
        self.sel_events_label = ""

    @rx.event
    async def load(self):
        """Open the room (signed-out visitors go to sign in, as before)."""
        self._day_at = 0.0
        return await self._fetch()

    @rx.event
    async def refresh(self):
        return await self._fetch()

    async def refresh_live(self, events: list[dict]) -> None:
        """Events pushed from the stream (already this session's scope): read the room again,
        unless it was read less than `LIVE_GAP` ago; then the page clock catches up."""
        if not events:
            return
        if _clock() - self._read_at < LIVE_GAP:
            self.live_pending = True
            return
        await self._fetch()

    @rx.event
    async def tick(self, _moment: str = ""):
        """The page clock (twice a second while `clock_on`): a pushed refresh is owed and the gap
        has passed, or a row shown still waits for its audit records."""
        if not self.tenant_id:
            return
        elapsed = _clock() - self._read_at
        if (self.live_pending and elapsed >= LIVE_GAP) or (self.sealing and elapsed >= SEALING_EVERY):
            return await self._fetch()

    @rx.event
    async def select(self, intent_id: str):
        """Show one intent's money, policy, evidence and event handoff (one read transaction)."""
        self.selected_id, self.selected_missing = str(intent_id)[:80], False
        self._clear_selected()
        operator, away = await self._allowed("intents.view")
        if operator is None:
            return away
        scope, wanted, now, chain, audit_ok = operator.scope, self.selected_id, current().now(), operator.tenant_id, operator.can("audit.view")
        contents, records = await read(lambda s: _selected(s, scope, wanted, now, chain, audit_ok))
        self._show_selected(contents, records)

    @rx.event
    def clear_selection(self):
        self.selected_id, self.selected_missing = "", False
        self._clear_selected()

    @rx.event
    async def set_tab(self, value: str | list[str]):
        chosen = value[0] if isinstance(value, list) and value else value
        tab = str(chosen) if chosen in TABS else "24h"
        if tab == "audit" and "audit.view" not in self.permissions:
            tab = "24h"
        self.tab, self._day_at = tab, 0.0
        return await self._fetch()
