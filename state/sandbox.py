"""The sandbox room: the tenant's traffic dial (start, pause, rate), the failure scenarios with a
Run button each, and the runs with their verdicts, check by check, and the evidence they kept.

Every role may look (`sandbox.view`); admin and support turn the dial and run scenarios
(`sandbox.operate`), through the same operator actions the server re-checks and records. A run
is queued here and played by a serving process (`backend.sandbox.scenario_worker`); the room
follows it live from the stream's `sandbox.*` events.
"""

from __future__ import annotations

import time

import reflex as rx

from backend.errors import ZentraError
from backend.operators import sandbox_actions
from backend.sandbox.traffic_dial import MAX_RATE, MIN_RATE
from state.acting import Acting
from state.display import PAGE_SIZE, UTC, stamp
from state.paging import OffsetPages
from state.pushed import any_of_type
from state.session import SessionState, call

COUNT_EVERY = 2.0  # seconds between reads for traffic alone
# Where an id a verdict kept opens in the operations room.
EVIDENCE_LINKS = {"intent_id": "/intents?id=", "intent_ids": "/intents?id=", "endpoint_id": "/webhooks/"}


def dial_view(view: dict, zone: str = UTC) -> dict[str, str]:
    return {
        "state": "running" if view["running"] else "paused",
        "rate": str(view["rate_per_minute"]),
        "sent": f"{view['sent']:,}",
        "seed": str(view["seed"]),
        "updated_by": view["updated_by"] or "",
        **stamp("updated_at", view["updated_at"], zone),
    }


def _seconds(run: dict) -> str:
    verdict = run.get("verdict") or {}
    return f"{verdict['seconds']:.1f} s" if "seconds" in verdict else ""


def run_row(run: dict, zone: str = UTC) -> dict[str, str]:
    checks = (run.get("verdict") or {}).get("checks", [])
    return {
        "id": run["id"],
        "scenario": run["scenario"],
        "status": run["status"],
        "requested_by": run["requested_by"],
        "checks": f"{sum(c['passed'] for c in checks)}/{len(checks)}" if checks else "",
        "took": _seconds(run),
        **stamp("created_at", run["created_at"], zone),
    }


def scenario_row(entry: dict) -> dict[str, str]:
    last = entry["last_run"] or {}
    return {"name": entry["name"], "summary": entry["summary"], "last_status": last.get("status", ""), "last_run_id": last.get("id", "")}


def evidence_rows(evidence: dict) -> list[dict[str, str]]:
    """One row per id the verdict kept (a list of ids becomes a row each), with its room's link."""
    rows = []
    for name, value in evidence.items():
        for one in value if isinstance(value, list) else [value]:
            prefix = EVIDENCE_LINKS.get(name)
            rows.append({"name": name, "value": str(one), "href": f"{prefix}{one}" if prefix else ""})
    return rows


def _rate(text: str) -> int:
    """The rate box's text as a whole number of intents per minute (the server re-checks it)."""
    try:
        rate = int(text.strip())
    except ValueError:
        raise ZentraError("validation_error", f"rate: a whole number of intents per minute, {MIN_RATE} to {MAX_RATE}", "rate_per_minute") from None
    return rate


class SandboxState(Acting, OffsetPages, SessionState):
    """`/sandbox`: the dial, the scenario catalogue and a server-side page of runs."""

    _read_at: float = 0.0
    live_mode: bool = False
    dial: dict[str, str] = {}
    rate_input: str = ""
    scenarios: list[dict[str, str]] = []
    selected_id: str = ""
    selected: dict[str, str] = {}
    checks: list[dict[str, str]] = []
    evidence: list[dict[str, str]] = []

    @rx.var(cache=True)
    def can_operate(self) -> bool:
        return "sandbox.operate" in self.permissions

    @rx.var(cache=True)
    def dial_running(self) -> bool:
        return self.dial.get("state") == "running"

    async def _fetch(self):
        operator, away = await self._allowed("sandbox.view")
        if operator is None:
            return away
        if operator.mode != "sandbox":
            self.live_mode, self.loaded = True, True
            return
        self.live_mode = False
        dial = await call(sandbox_actions.traffic, operator)
        catalogue, page = await call(sandbox_actions.scenarios, operator, PAGE_SIZE, self.offset)
        if self._moved_back(page, self.offset):
            return await self._fetch()
        self.dial = dial_view(dial, self.time_zone)
        self.scenarios = [scenario_row(entry) for entry in catalogue["data"]]
        self._show_page(page, [run_row(run, self.time_zone) for run in page["data"]])
        self._show_selected(page["data"])

    def _show_selected(self, runs: list[dict]) -> None:
        """Keep the selected run's verdict in step with the page (the newest run when none is)."""
        chosen = next((r for r in runs if r["id"] == self.selected_id), None) or (runs[0] if runs and not self.selected_id else None)
        if chosen is None:
            return
        self.selected_id, self.selected = chosen["id"], run_row(chosen, self.time_zone)
        verdict = chosen.get("verdict") or {}
        self.checks = [{"name": c["name"], "passed": "yes" if c["passed"] else "no", "detail": c["detail"]} for c in verdict.get("checks", [])]
        self.evidence = evidence_rows(verdict.get("evidence", {}))

    @rx.event
    async def load(self):
        self.offset, self.selected_id, self.selected, self.checks, self.evidence = 0, "", {}, [], []
        self.notice, self.action_error, self.rate_input = "", "", ""
        return await self._fetch()

    async def refresh_live(self, events: list[dict]) -> None:
        """Read the room again on a sandbox event (dial turned, run queued, started or finished)
        at once, and for the traffic's own events (the dial's count) at most every
        `COUNT_EVERY` seconds: a fast dial must not turn every push into a full read."""
        now = time.monotonic()
        if any_of_type(events, "sandbox.") or now - self._read_at >= COUNT_EVERY:
            self._read_at = now
            await self._fetch()

    @rx.event
    async def select_run(self, run_id: str):
        self.selected_id = run_id
        return await self._fetch()

    @rx.event
    def set_rate_input(self, value: str):
        self.rate_input = value[:6]

    @rx.event
    async def start_traffic(self):
        return await self._dial({"running": True}, "Traffic started.")

    @rx.event
    async def pause_traffic(self):
        return await self._dial({"running": False}, "Traffic paused.")

    @rx.event
    async def apply_rate(self):
        try:
            rate = _rate(self.rate_input)
        except ZentraError as err:
            self.notice, self.action_error = "", err.message
            return
        return await self._dial({"rate_per_minute": rate}, f"Rate set to {rate} intents a minute.")

    async def _dial(self, body: dict, notice: str):
        return await self._act(lambda token: call(sandbox_actions.set_traffic, token, body), notice)

    @rx.event
    async def run_scenario(self, name: str):
        queued: dict = {}

        async def queue(token: str):
            queued.update(await call(sandbox_actions.run_scenario, token, name))

        outcome = await self._act(queue, f"{name} queued: the verdict appears below when it ends.")
        if queued:
            self.selected_id, self.offset = queued["id"], 0
            return await self._fetch()
        return outcome
