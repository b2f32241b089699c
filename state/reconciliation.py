"""The reconciliation room: runs with their match rates, the open exceptions with their reasons,
a provider report's upload (or, for a sandbox provider, its report of the day fetched and
reconciled in one step), and resolving an exception.

Reading needs `reconciliation.view`; importing and resolving are `reconciliation.manage` operator
actions through `backend.operators.reconciliation_actions`, where the session and the role are
checked again in the transaction that acts (the buttons are only shown to roles that may).
Both lists are paged on the server: the browser holds one page of each.
"""

from __future__ import annotations

import reflex as rx

from backend.errors import ZentraError
from backend.operators import reconciliation_actions
from backend.reconciliation.exceptions import (
    ACTIONS,
    NOTE_REQUIRED,
    Filters,
    counts_by_reason,
    list_exceptions,
)
from backend.reconciliation.matching import REASONS
from backend.reconciliation.report_mappings import list_mappings
from backend.reconciliation.runs import (
    DEFAULT_TOLERANCE_DAYS,
    MAX_TOLERANCE_DAYS,
    list_runs,
)
from backend.runtime import current
from state.display import PAGE_SIZE, UTC, clock, money, page_label, stamp
from state.paging import OffsetPages, next_offset, prev_offset
from state.session import SessionState, call, read

ANY = "any"
REASON_CHOICES = (ANY, *REASONS)
STATUS_CHOICES = ("open", "resolved", "all")
UPLOAD_ID = "reconciliation_report"
MAX_UPLOAD_BYTES = 64_000_000


def words(code: str) -> str:
    """`missing_in_ledger` -> `missing in ledger`: reasons and actions as the room says them."""
    return code.replace("_", " ")


def run_row(view: dict, zone: str = UTC) -> dict[str, str]:
    period = view["period_start"] or ""
    if view["period_end"] and view["period_end"] != period:
        period = f"{period} → {view['period_end']}"
    return {
        "id": view["id"],
        "source": view["source"],
        "provider_id": view["provider_id"],
        "file_name": view["file_name"] or "",
        "period": period,
        "lines": f"{view['line_count']:,}",
        "matched": f"{view['matched_count']:,}",
        "rate": view["match_rate"],
        "low": "yes" if view["match_rate_bp"] < 10_000 else "",
        "open": str(view["open_exceptions"]),
        "created_by": view["created_by"],
        **stamp("created_at", view["created_at"], zone),
    }


def exception_row(view: dict, zone: str = UTC) -> dict[str, str]:
    line, settlement = view["line"], view["settlement"]
    return {
        "id": view["id"],
        "run_id": view["run_id"],
        "reason": view["reason"],
        "reason_words": words(view["reason"]),
        "reference": view["reference"],
        "report_amount": "—" if view["report_amount_minor"] is None else money(view["report_amount_minor"], view["currency"]),
        "ledger_amount": "—" if view["ledger_amount_minor"] is None else money(view["ledger_amount_minor"], view["currency"]),
        "line": "" if line is None else f"line {line['line_no']}: {line['raw']}",
        "intent_id": "" if settlement is None else settlement["intent_id"],
        "linkable": "yes" if line is not None and settlement is None else "",
        "detail": view["detail"],
        "status": view["status"],
        "resolution": words(view["resolution"] or ""),
        "resolved_by": view["resolved_by"] or "",
        "note": view["note"] or "",
        **stamp("created_at", view["created_at"], zone),
    }


def tile(reason: str, count: int) -> dict[str, str]:
    return {"reason": reason, "words": words(reason), "count": str(count)}


def decode_report(data: bytes) -> str:
    """An uploaded report's text (UTF-8, a byte-order mark allowed), or ValueError saying why not."""
    if len(data) > MAX_UPLOAD_BYTES:
        raise ValueError(f"The report is larger than {MAX_UPLOAD_BYTES // 1_000_000} MB.")
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError:
        raise ValueError("The report is not UTF-8 text: export it from the provider as CSV (UTF-8).") from None


def tolerance_days(raw: str) -> int:
    """The tolerance field as days, or ValueError saying what is allowed."""
    raw = raw.strip()
    if not (raw.isascii() and raw.isdigit()) or not 0 <= int(raw) <= MAX_TOLERANCE_DAYS:
        raise ValueError(f"Tolerance is a whole number of days from 0 to {MAX_TOLERANCE_DAYS}.")
    return int(raw)


def outcome_notice(run: dict) -> str:
    counts = run["counts"]
    found = ", ".join(f"{counts[r]} {words(r)}" for r in REASONS if counts.get(r))
    return f"Run {run['id']}: {run['matched_count']:,} of {run['line_count']:,} lines matched ({run['match_rate']})" + (f"; exceptions: {found}." if found else "; no exceptions.")


class ReconciliationState(OffsetPages, SessionState):
    """`/reconciliation`: the exceptions queue (the paged `rows`), the runs (paged beside it), the
    open exceptions per reason, the upload and the resolve dialog."""

    reason_filter: str = ANY
    status_filter: str = "open"
    refreshed_at: str = ""

    runs: list[dict[str, str]] = []
    runs_total: int = 0
    runs_offset: int = 0
    tiles: list[dict[str, str]] = []

    providers: list[dict[str, str]] = []
    provider_id: str = ""
    tolerance: str = str(DEFAULT_TOLERANCE_DAYS)
    import_notice: str = ""
    import_error: str = ""

    resolve_id: str = ""
    resolve_reason: str = ""
    resolve_reference: str = ""
    resolve_linkable: bool = False
    resolve_action: str = ACTIONS[0]
    resolve_note: str = ""
    resolve_settlement: str = ""
    resolve_error: str = ""
    notice: str = ""

    @rx.var(cache=True)
    def can_manage(self) -> bool:
        return "reconciliation.manage" in self.permissions

    @rx.var(cache=True)
    def runs_range(self) -> str:
        return page_label(self.runs_offset, len(self.runs), self.runs_total)

    @rx.var(cache=True)
    def runs_has_prev(self) -> bool:
        return self.runs_offset > 0

    @rx.var(cache=True)
    def runs_has_next(self) -> bool:
        return self.runs_offset + len(self.runs) < self.runs_total

    @rx.var(cache=True)
    def provider_is_sandbox(self) -> bool:
        return any(p["id"] == self.provider_id and p["kind"] == "sandbox" for p in self.providers)

    @rx.var(cache=True)
    def provider_columns(self) -> str:
        return next((p["columns"] for p in self.providers if p["id"] == self.provider_id), "")

    @rx.var(cache=True)
    def resolve_open(self) -> bool:
        return self.resolve_id != ""

    @rx.var(cache=True)
    def note_required(self) -> bool:
        return self.resolve_action in NOTE_REQUIRED

    @rx.var(cache=True)
    def empty_message(self) -> str:
        if self.reason_filter != ANY or self.status_filter != "open":
            return "No exception matches these filters."
        return "No open exceptions: every imported line and every settlement in a report's period is matched or resolved."

    async def _fetch(self):
        operator, away = await self._allowed("reconciliation.view")
        if operator is None:
            return away
        scope, offset, runs_offset = operator.scope, self.offset, self.runs_offset
        filters = Filters(status=None if self.status_filter == "all" else self.status_filter, reason=None if self.reason_filter == ANY else self.reason_filter)

        def unit(s):
            return list_exceptions(s, scope, filters, PAGE_SIZE, offset), list_runs(s, scope, None, None, PAGE_SIZE, runs_offset), counts_by_reason(s, scope), list_mappings(s, scope)

        page, runs, counts, mappings = await read(unit)
        if self._moved_back(page, offset):
            return await self._fetch()
        zone = self.time_zone
        self._show_page(page, [exception_row(v, zone) for v in page["data"]])
        self.runs, self.runs_total = [run_row(v, zone) for v in runs["data"]], runs["total"]
        self.tiles = [tile(reason, count) for reason, count in counts.items()]
        self.providers = [{"id": m["provider_id"], "name": m["name"], "kind": m["kind"], "columns": mapping_columns(m)} for m in mappings]
        if self.provider_id not in {p["id"] for p in self.providers}:
            self.provider_id = self.providers[0]["id"] if self.providers else ""
        self.refreshed_at = clock(current().now(), zone)

    @rx.event
    async def load(self):
        self.offset, self.runs_offset, self.notice, self.import_notice, self.import_error = 0, 0, "", "", ""
        self.resolve_id = ""
        return await self._fetch()

    @rx.event
    async def refresh(self):
        return await self._fetch()

    @rx.event
    async def set_reason_filter(self, value: str):
        self.reason_filter, self.offset = (value if value in REASON_CHOICES else ANY), 0
        return await self._fetch()

    @rx.event
    async def set_status_filter(self, value: str):
        self.status_filter, self.offset = (value if value in STATUS_CHOICES else "open"), 0
        return await self._fetch()

    @rx.event
    async def runs_next(self):
        self.runs_offset = next_offset(self.runs_offset, len(self.runs), self.runs_total)
        return await self._fetch()

    @rx.event
    async def runs_prev(self):
        self.runs_offset = prev_offset(self.runs_offset)
        return await self._fetch()

    @rx.event
    def set_provider(self, value: str):
        self.provider_id, self.import_error = value, ""

    @rx.event
    def set_tolerance(self, value: str):
        self.tolerance = value[:3]

    @rx.event
    async def upload_report(self, files: list[rx.UploadFile]):
        """Reconcile the uploaded CSV against the chosen provider's settlements."""
        self.import_notice, self.import_error = "", ""
        if not files:
            self.import_error = "Choose a CSV report first."
            return
        try:
            text = decode_report(await files[0].read())
            body = {"provider_id": self.provider_id, "report": text, "file_name": (files[0].name or "report.csv")[:200], "tolerance_days": tolerance_days(self.tolerance)}
        except ValueError as err:
            self.import_error = str(err)
            return
        return await self._import(lambda token: call(reconciliation_actions.import_report, token, body))

    @rx.event
    async def reconcile_sandbox_today(self):
        """Fetch the chosen sandbox provider's report of today (UTC) and reconcile it."""
        self.import_notice, self.import_error = "", ""
        provider_id, day = self.provider_id, current().now().date()
        return await self._import(lambda token: call(reconciliation_actions.reconcile_sandbox_day, token, provider_id, day))

    async def _import(self, run):
        try:
            result = await run(self._token)
        except ZentraError as err:
            if err.code == "unauthorized":
                return self._session_over()
            self.import_error = err.message
            return
        self.import_notice = outcome_notice(result)
        self.offset = self.runs_offset = 0
        away = await self._fetch()
        return away if away is not None else rx.clear_selected_files(UPLOAD_ID)

    @rx.event
    def open_resolve(self, exception_id: str):
        row = next((r for r in self.rows if r["id"] == exception_id), None)
        if row is None:
            return
        self.resolve_id, self.resolve_reason, self.resolve_reference = row["id"], row["reason_words"], row["reference"]
        self.resolve_linkable = row["linkable"] == "yes"
        self.resolve_action, self.resolve_note, self.resolve_settlement, self.resolve_error = ACTIONS[0], "", "", ""

    @rx.event
    def close_resolve(self, _open: bool = False):
        self.resolve_id, self.resolve_error = "", ""

    @rx.event
    def set_resolve_action(self, value: str):
        self.resolve_action = value if value in ACTIONS else ACTIONS[0]

    @rx.event
    def set_resolve_note(self, value: str):
        self.resolve_note = value[:500]

    @rx.event
    def set_resolve_settlement(self, value: str):
        self.resolve_settlement = value.strip()[:40]

    @rx.event
    async def confirm_resolve(self):
        body = resolve_body(self.resolve_action, self.resolve_note, self.resolve_settlement)
        exception_id = self.resolve_id
        try:
            await call(reconciliation_actions.resolve_exception, self._token, exception_id, body)
        except ZentraError as err:
            if err.code == "unauthorized":
                return self._session_over()
            self.resolve_error = err.message
            return
        self.resolve_id, self.notice = "", f"Exception {exception_id} resolved: {words(body['action'])}."
        return await self._fetch()


def resolve_body(action: str, note: str, settlement_id: str) -> dict:
    """The resolve request as the API takes it (empty fields left out, so the service names
    what is missing)."""
    body = {"action": action}
    if note.strip():
        body["note"] = note.strip()
    if settlement_id.strip():
        body["settlement_id"] = settlement_id.strip()
    return body


def mapping_columns(mapping_view: dict) -> str:
    """The provider's report columns as the room documents them next to the upload."""
    m = mapping_view["mapping"]
    columns = [m["reference"], m["amount"], m["currency"], m["value_date"]] + ([m["counterparty"]] if m["counterparty"] else [])
    source = "default mapping" if mapping_view["default"] else "provider's mapping"
    separator = " ⇥ " if m["delimiter"] == "\t" else m["delimiter"]
    return f"{source}: {separator.join(columns)} · amounts {m['amount_format']} · dates {m['date_format']}"
