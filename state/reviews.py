"""The review queue: intents policy sent to a person, with their SLA, claimed, approved or rejected
one at a time or in bulk; and the scope's active holds with their capture, release and extend.

Reading the queue needs `intents.view` (a viewer sees it read-only); claiming and deciding are
`reviews.decide` operator actions through `backend.operators.intent_actions`, where the session,
the role, maker-checker and the review hash are checked again inside the transaction that acts.
An approval quotes the `review_hash` of the row the operator was shown when they chose to approve
(taken from the row on screen, never read again behind their back), so an intent that changed in
the meantime is refused and the refusal is shown.

The queue also works by keyboard (`shortcut`): j / k move the selection, c claims the selected
review, a and r open its approve or reject dialog with the first reason code chosen (the dialog
shows it and Enter confirms it), the same actions and checks as the buttons.

Each review shows its intent's screening matches (list, entry, matched name, score, method,
compliance's decision); roles with `screening.decide` clear or confirm a pending one with a note
through `backend.operators.screening_actions`, the same service as the HTTP API.
"""

from __future__ import annotations

import json
from datetime import datetime, timedelta, timezone

import reflex as rx

from backend.errors import ZentraError
from backend.intents.reviews import APPROVE_CODES, REJECT_CODES, Filters, list_reviews
from backend.ledger.holds import list_holds
from backend.operators.intent_actions import bulk_review_action, review_action
from backend.operators.screening_actions import decide as decide_match
from backend.policy.rules import REASON_CODES
from backend.runtime import current
from state.display import PAGE_SIZE, UTC, clock, hold_row, money, stamp
from state.holds import HoldDialog
from state.paging import OffsetPages
from state.pushed import any_of_type
from state.saved_filters import SavedFilters
from state.session import SessionState, call, read

ANY = "any"
REASON_CHOICES = (ANY, *REASON_CODES)
MATCH_ACTIONS = ("clear", "confirm")
ASSIGNEE_CHOICES = ("anyone", "me", "unassigned")
# Age filter: label -> seconds (older than).
AGES = {"any": None, "15m": 15 * 60, "1h": 3600, "4h": 4 * 3600, "24h": 86400}
DECISIONS = {"approve": APPROVE_CODES, "reject": REJECT_CODES}
EXPIRY_SOON_SECONDS = 3600
EXPIRY_HORIZON_SECONDS = 24 * 3600
# The queue's keyboard: what moves the selection, and what acts on the selected review.
NEXT_KEYS = ("j", "ArrowDown")
PREV_KEYS = ("k", "ArrowUp")
ACTION_KEYS = {"c": "claim", "a": "approve", "r": "reject"}
SHORTCUT_KEYS = (*NEXT_KEYS, *PREV_KEYS, *ACTION_KEYS, "Escape")


def _moment(iso: str | None) -> datetime | None:
    if not iso:
        return None
    return datetime.fromisoformat(iso.replace("Z", "+00:00"))


def span(seconds: float) -> str:
    """`3h 58m`, `12m`, `40s`, `2d 4h`: a short human duration."""
    seconds = int(abs(seconds))
    days, rest = divmod(seconds, 86400)
    hours, rest = divmod(rest, 3600)
    minutes, secs = divmod(rest, 60)
    if days:
        return f"{days}d {hours}h"
    if hours:
        return f"{hours}h {minutes:02d}m"
    if minutes:
        return f"{minutes}m"
    return f"{secs}s"


def sla(due_at: str | None, now: datetime) -> tuple[str, str]:
    """The SLA column's text and whether the review is overdue (`yes` or empty)."""
    due = _moment(due_at)
    if due is None:
        return "no SLA", ""
    left = (due - now).total_seconds()
    return (f"overdue by {span(left)}", "yes") if left < 0 else (f"due in {span(left)}", "")


def who(actor: str | None, me: str) -> str:
    if not actor:
        return "unassigned"
    return "you" if actor == me else actor


def review_row(view: dict, me: str, now: datetime, zone: str = UTC) -> dict[str, str]:
    """One queue row; `review_hash` is exactly what an approval of this row quotes."""
    due_label, overdue = sla(view["due_at"], now)
    created = _moment(view["created_at"])
    approvals = view["approvals"]
    return {
        "id": view["id"],
        "intent_id": view["intent_id"],
        "intent_status": view["intent_status"],
        "kind": view["kind"],
        "reason": view["reason"],
        "amount": money(view["amount_minor"], view["currency"]),
        "counterparty": view.get("counterparty") or "",
        "created_by": who(view["created_by"], me),
        "mine_created": "yes" if view["created_by"] == me else "",
        "approvals": f"{len(approvals)}/{view['required_approvals']}",
        "approvers": ", ".join(who(a["approver"], me) for a in approvals),
        "status": view["status"],
        "assignee": who(view["assignee"], me),
        "claimed": "yes" if view["assignee"] else "",
        "mine": "yes" if view["assignee"] == me else "",
        **stamp("due_at", view["due_at"], zone),
        "sla": due_label,
        "overdue": overdue,
        "age": span((now - created).total_seconds()) if created else "",
        **stamp("created_at", view["created_at"], zone),
        "revision": str(view["revision"]),
        "review_hash": view["review_hash"],
        "hash_short": view["review_hash"][:12],
    }


def match_row(match: dict, me: str) -> dict[str, str]:
    """One screening match of a review, as the reviewer and compliance see it."""
    entry = match["entry"]
    where = " · ".join(part for part in (entry["country"], entry["reference"]) if part)
    return {
        "id": match["id"],
        "list": f"{match['list']['name']} v{match['list']['version']}",
        "screened_name": match["screened_name"],
        "matched_name": match["matched_name"],
        "entry_name": entry["name"],
        "entry_where": where,
        "score": str(match["score"]),
        "method": match["method"],
        "decision": match["decision"],
        "decided_by": who(match["decided_by"], me) if match["decided_by"] else "",
        "note": match["note"] or "",
    }


def expiring_hold_row(view: dict, now: datetime, zone: str = UTC) -> dict[str, str]:
    row = hold_row(view, zone)
    expires = _moment(view.get("expires_at"))
    left = (expires - now).total_seconds() if expires else None
    row["soon"] = "yes" if left is not None and left <= EXPIRY_SOON_SECONDS else ""
    row["account"] = view["account"]
    row["left"] = "" if left is None else ("expiring" if left <= 0 else f"in {span(left)}")
    return row


def _amount_filter(raw: str) -> int | None | str:
    """The minimum amount in minor units, None for no minimum, or what is wrong with it."""
    raw = raw.strip().replace(",", "").replace("_", "")
    if not raw:
        return None
    if not (raw.isascii() and raw.isdigit()) or len(raw) > 19:
        return "Minimum amount is a whole number of minor units (e.g. 100000 for 1,000.00 USD)."
    return int(raw)


class ReviewsState(OffsetPages, SavedFilters, SessionState):
    """`/reviews`: the open queue, filtered on the server (and by the operator's saved filters), a
    page at a time, worked with the mouse or the keyboard."""

    reason_filter: str = ANY
    assignee_filter: str = "anyone"
    age_filter: str = "any"
    min_amount: str = ""
    filter_error: str = ""
    refreshed_at: str = ""

    notice: str = ""
    action_error: str = ""
    row_errors: dict[str, str] = {}

    # Bulk selection: the review ids ticked, and (server side) the hash each row showed when ticked.
    picked: list[str] = []
    _picked_hashes: dict[str, str] = {}
    bulk_approve_code: str = ""
    bulk_reject_code: str = ""

    # The approve / reject dialog of one row.
    decide_action: str = ""
    decide_id: str = ""
    decide_intent: str = ""
    decide_amount: str = ""
    decide_hash: str = ""
    decide_code: str = ""
    decide_note: str = ""
    decide_error: str = ""

    # The review selected with the keyboard (j / k); c, a and r act on it.
    cursor: str = ""

    # Each shown review's screening matches, by review id; and the clear / confirm dialog.
    matches: dict[str, list[dict[str, str]]] = {}
    match_action: str = ""
    match_id: str = ""
    match_name: str = ""
    match_note: str = ""
    match_error: str = ""

    @rx.var(cache=True)
    def overdue_count(self) -> int:
        return sum(1 for r in self.rows if r["overdue"])

    @rx.var(cache=True)
    def picked_count(self) -> int:
        return len(self.picked)

    @rx.var(cache=True)
    def all_picked(self) -> bool:
        return bool(self.rows) and all(r["id"] in self.picked for r in self.rows)

    @rx.var(cache=True)
    def decide_open(self) -> bool:
        return self.decide_action != ""

    @rx.var(cache=True)
    def decide_codes(self) -> list[str]:
        return list(DECISIONS.get(self.decide_action, ()))

    @rx.var(cache=True)
    def empty_message(self) -> str:
        if self.reason_filter != ANY or self.assignee_filter != "anyone" or self.age_filter != "any" or self.min_amount.strip():
            return "No open review matches these filters."
        return "The queue is empty: no intent waits for a person in this tenant and mode."

    def _filters(self, me: str) -> Filters | None:
        minimum = _amount_filter(self.min_amount)
        if isinstance(minimum, str):
            self.filter_error = minimum
            return None
        self.filter_error = ""
        assignee = {"me": me, "unassigned": "unassigned"}.get(self.assignee_filter)
        reason = None if self.reason_filter == ANY else self.reason_filter
        return Filters(status="open", reason=reason, assignee=assignee, min_amount=minimum, older_than_seconds=AGES.get(self.age_filter))

    async def _fetch(self):
        operator, away = await self._allowed("intents.view")
        if operator is None:
            return away
        me = operator.scope.actor
        filters = self._filters(me)
        if filters is None:
            return
        scope, offset, now = operator.scope, self.offset, current().now()
        page = await read(lambda s: list_reviews(s, scope, filters, now, PAGE_SIZE, offset))
        if self._moved_back(page, offset):
            return await self._fetch()
        before = [r["id"] for r in self.rows]
        self._show_page(page, [review_row(v, me, now, self.time_zone) for v in page["data"]])
        self.matches = {v["id"]: [match_row(m, me) for m in v["screening"]] for v in page["data"] if v["screening"]}
        self._keep_cursor(before)
        shown = {r["id"] for r in self.rows}
        self.picked = [i for i in self.picked if i in shown]
        self._picked_hashes = {i: h for i, h in self._picked_hashes.items() if i in shown}
        self.row_errors = {i: m for i, m in self.row_errors.items() if i in shown}
        self.refreshed_at = clock(now, self.time_zone)

    def _keep_cursor(self, before: list[str]) -> None:
        """After a read: a selected review that left the page (decided, filtered out) hands the
        selection to the row now in its place, so the keyboard carries on down the queue."""
        ids = [r["id"] for r in self.rows]
        if not self.cursor or self.cursor in ids:
            return
        index = before.index(self.cursor) if self.cursor in before else 0
        self.cursor = ids[min(index, len(ids) - 1)] if ids else ""

    @rx.event
    async def load(self):
        self.notice = self.action_error = ""
        self.row_errors, self.picked, self._picked_hashes = {}, [], {}
        self.cursor = ""
        self.close_decide()
        self.close_match()
        return await self._fetch() or await self._load_saved()

    # Saved filters ----------------------------------------------------------------------------

    def _filter_room(self) -> str:
        return "reviews"

    def _filter_fields(self) -> dict[str, str]:
        return {"reason": self.reason_filter, "assignee": self.assignee_filter, "age": self.age_filter, "min_amount": self.min_amount.strip()}

    def _apply_fields(self, query: dict[str, str]) -> None:
        reason, assignee, age = query.get("reason", ANY), query.get("assignee", "anyone"), query.get("age", "any")
        self.reason_filter = reason if reason in REASON_CHOICES else ANY
        self.assignee_filter = assignee if assignee in ASSIGNEE_CHOICES else "anyone"
        self.age_filter = age if age in AGES else "any"
        self.min_amount, self.offset = query.get("min_amount", "")[:24], 0

    @rx.event
    async def refresh(self):
        return await self._fetch()

    @rx.event
    async def tick(self, _moment: str = ""):
        """The SLA clock: the queue is read again every half minute."""
        if self.tenant_id:
            return await self._fetch()

    async def refresh_live(self, events: list[dict]) -> None:
        """Events pushed from the stream: read the queue again when one is about an intent (every
        review event is filed under its intent)."""
        if any(str(e.get("object") or "").startswith("intent_") for e in events):
            await self._fetch()

    # Filters --------------------------------------------------------------------------------

    @rx.event
    async def set_reason_filter(self, value: str):
        self._filters_changed()
        self.reason_filter, self.offset = value if value in REASON_CHOICES else ANY, 0
        return await self._fetch()

    @rx.event
    async def set_assignee_filter(self, value: str | list[str]):
        chosen = value[0] if isinstance(value, list) and value else value
        self._filters_changed()
        self.assignee_filter, self.offset = chosen if chosen in ASSIGNEE_CHOICES else "anyone", 0
        return await self._fetch()

    @rx.event
    async def set_age_filter(self, value: str):
        self._filters_changed()
        self.age_filter, self.offset = value if value in AGES else "any", 0
        return await self._fetch()

    @rx.event
    async def set_min_amount(self, value: str):
        self._filters_changed()
        self.min_amount, self.offset = str(value)[:24], 0
        return await self._fetch()

    @rx.event
    async def clear_filters(self):
        self._filters_changed()
        self.reason_filter, self.assignee_filter, self.age_filter, self.min_amount, self.offset = ANY, "anyone", "any", "", 0
        return await self._fetch()

    # One row --------------------------------------------------------------------------------

    async def _run(self, work):
        """Run one service call with the session's token; answers True, or False with the
        refusal shown (a session that ended goes to sign in)."""
        try:
            await work(self._token)
        except ZentraError as err:
            if err.code == "unauthorized":
                return False, self._session_over()
            return False, f"{err.code}: {err.message}"
        return True, None

    @rx.event
    async def claim(self, review_id: str):
        return await self._simple("claim", review_id, "Claimed: the review is yours to decide.")

    @rx.event
    async def release(self, review_id: str):
        return await self._simple("release", review_id, "Released back to the queue.")

    async def _simple(self, action: str, review_id: str, notice: str):
        self.notice = self.action_error = ""
        self.row_errors = {k: v for k, v in self.row_errors.items() if k != review_id}
        ok, outcome = await self._run(lambda token: call(review_action, token, action, review_id, {}))
        if not ok:
            if not isinstance(outcome, str):
                return outcome
            self.action_error = outcome
            self.row_errors = {**self.row_errors, review_id: outcome}
        else:
            self.notice = notice
        return await self._fetch()

    @rx.event
    def open_decide(self, action: str, review_id: str, review_hash: str, intent_id: str, amount: str):
        """Open the approve or reject dialog for the row as shown: its hash is the one approved."""
        self._open_decide(action, review_id, review_hash, intent_id, amount)

    def _open_decide(self, action: str, review_id: str, review_hash: str, intent_id: str, amount: str) -> None:
        if action not in DECISIONS:
            return
        self.decide_action, self.decide_id, self.decide_hash = action, str(review_id), str(review_hash)
        self.decide_intent, self.decide_amount = str(intent_id), str(amount)
        self.decide_code = self.decide_note = self.decide_error = ""

    @rx.event
    def close_decide(self, _open: bool = False):
        self.decide_action = self.decide_id = self.decide_hash = self.decide_intent = self.decide_amount = ""
        self.decide_code = self.decide_note = self.decide_error = ""

    @rx.event
    def set_decide_code(self, value: str):
        self.decide_code = value if value in DECISIONS.get(self.decide_action, ()) else ""

    @rx.event
    def set_decide_note(self, value: str):
        self.decide_note = str(value)[:500]

    @rx.event
    async def submit_decide(self):
        action, review_id = self.decide_action, self.decide_id
        if action not in DECISIONS or not review_id:
            return
        if self.decide_code not in DECISIONS[action]:
            self.decide_error = "Choose a reason code: it is kept with the decision and in the audit chain."
            return
        body: dict = {"reason_code": self.decide_code}
        if action == "approve":
            body["reviewed_hash"] = self.decide_hash
        if self.decide_note.strip():
            body["note"] = self.decide_note.strip()
        self.notice = self.action_error = ""
        ok, outcome = await self._run(lambda token: call(review_action, token, action, review_id, body))
        if not ok:
            if not isinstance(outcome, str):
                return outcome
            self.decide_error = outcome
            self.row_errors = {**self.row_errors, review_id: outcome}
            return await self._fetch()
        intent = self.decide_intent
        self.close_decide()
        self.row_errors = {k: v for k, v in self.row_errors.items() if k != review_id}
        self.notice = f"{'Approved' if action == 'approve' else 'Rejected'}: {intent}."
        return await self._fetch()

    # Screening matches ----------------------------------------------------------------------

    @rx.var(cache=True)
    def match_open(self) -> bool:
        return self.match_action != ""

    @rx.event
    def open_match(self, action: str, match_id: str, matched_name: str):
        if action in MATCH_ACTIONS:
            self.match_action, self.match_id, self.match_name = action, str(match_id), str(matched_name)
            self.match_note = self.match_error = ""

    @rx.event
    def close_match(self, _open: bool = False):
        self.match_action = self.match_id = self.match_name = self.match_note = self.match_error = ""

    @rx.event
    def set_match_note(self, value: str):
        self.match_note = str(value)[:500]

    @rx.event
    async def submit_match(self):
        """Clear or confirm the match in the dialog; the note is kept with the decision."""
        action, match_id = self.match_action, self.match_id
        if action not in MATCH_ACTIONS or not match_id:
            return
        if not self.match_note.strip():
            self.match_error = "Say why: the note is kept with the decision and in the audit chain."
            return
        body = {"decision": action, "note": self.match_note.strip()}
        self.notice = self.action_error = ""
        ok, outcome = await self._run(lambda token: call(decide_match, token, match_id, body))
        if not ok:
            if not isinstance(outcome, str):
                return outcome
            self.match_error = outcome
            return
        name = self.match_name
        self.close_match()
        self.notice = f"Match with {name} {'cleared' if action == 'clear' else 'confirmed: the intent is rejected'}."
        return await self._fetch()

    # Keyboard -------------------------------------------------------------------------------

    @rx.event
    async def shortcut(self, key: str):
        """One key of the queue's shortcuts. The page sends only `SHORTCUT_KEYS`, and none while
        the operator types in a field or a dialog is open (the dialog's own keys apply there:
        Enter confirms, Escape closes)."""
        if self.decide_open or self.match_open or key not in SHORTCUT_KEYS:
            return
        ids = [r["id"] for r in self.rows]
        if key in NEXT_KEYS or key in PREV_KEYS:
            if not ids:
                return
            step = 1 if key in NEXT_KEYS else -1
            index = ids.index(self.cursor) + step if self.cursor in ids else (0 if step > 0 else len(ids) - 1)
            self.cursor = ids[min(max(index, 0), len(ids) - 1)]
            return rx.call_script(f"document.getElementById({json.dumps('review-' + self.cursor)})?.scrollIntoView({{block: 'nearest'}})")
        if key == "Escape":
            self.cursor = ""
            return
        if not self.can_decide_reviews:
            return
        row = next((r for r in self.rows if r["id"] == self.cursor), None)
        if row is None:
            self.notice, self.action_error = "", "Select a review first: j / k (or ↓ / ↑) move through the queue."
            return
        action = ACTION_KEYS[key]
        if action == "claim":
            return await self._simple("claim", row["id"], "Claimed: the review is yours to decide.")
        if row["mine"] != "yes":
            self.notice, self.action_error = "", "Claim it first (c): the person a review is assigned to decides it."
            return
        self._open_decide(action, row["id"], row["review_hash"], row["intent_id"], row["amount"])
        # The keyboard's reason code is the first of the list, shown in the dialog and changeable
        # there before Enter; like any code it is kept with the decision and in the audit chain.
        self.decide_code = DECISIONS[action][0]

    # Bulk -----------------------------------------------------------------------------------

    @rx.event
    def toggle_pick(self, review_id: str, review_hash: str, checked: bool):
        review_id = str(review_id)
        if checked and review_id not in self.picked:
            self.picked = [*self.picked, review_id]
            self._picked_hashes = {**self._picked_hashes, review_id: str(review_hash)}
        elif not checked:
            self.picked = [i for i in self.picked if i != review_id]
            self._picked_hashes = {k: v for k, v in self._picked_hashes.items() if k != review_id}

    @rx.event
    def toggle_all(self, checked: bool):
        if checked:
            self.picked = [r["id"] for r in self.rows]
            # Ticking the header picks the rows as they are on screen right now.
            self._picked_hashes = {r["id"]: r["review_hash"] for r in self.rows}
        else:
            self.picked, self._picked_hashes = [], {}

    @rx.event
    def set_bulk_approve_code(self, value: str):
        self.bulk_approve_code = value if value in APPROVE_CODES else ""

    @rx.event
    def set_bulk_reject_code(self, value: str):
        self.bulk_reject_code = value if value in REJECT_CODES else ""

    @rx.event
    async def bulk(self, action: str):
        """Claim, approve or reject every ticked review, each on its own; refusals are shown on
        their rows and do not undo the others."""
        self.notice = self.action_error = ""
        picked = list(self.picked)
        if not picked:
            self.action_error = "Tick the reviews to act on first."
            return
        if action == "claim":
            items = [(i, {}) for i in picked]
        elif action == "approve":
            if not self.bulk_approve_code:
                self.action_error = "Choose the approval reason code for the ticked reviews."
                return
            items = [(i, {"reviewed_hash": self._picked_hashes.get(i, ""), "reason_code": self.bulk_approve_code}) for i in picked]
        elif action == "reject":
            if not self.bulk_reject_code:
                self.action_error = "Choose the rejection reason code for the ticked reviews."
                return
            items = [(i, {"reason_code": self.bulk_reject_code}) for i in picked]
        else:
            return
        try:
            results = await call(bulk_review_action, self._token, action, items)
        except ZentraError as err:
            if err.code == "unauthorized":
                return self._session_over()
            self.action_error = f"{err.code}: {err.message}"
            return
        failed = {r["review_id"]: f"{r['code']}: {r['message']}" for r in results if not r["ok"]}
        if any(m.startswith("unauthorized:") for m in failed.values()):
            return self._session_over()
        done = len(results) - len(failed)
        self.row_errors = {**{k: v for k, v in self.row_errors.items() if k not in picked}, **failed}
        verb = {"claim": "claimed", "approve": "approved", "reject": "rejected"}[action]
        self.notice = f"{done} of {len(results)} {verb}." if done else ""
        if failed:
            self.action_error = f"{len(failed)} of {len(results)} refused; the reason is on each row."
        self.picked = list(failed)
        self._picked_hashes = {k: v for k, v in self._picked_hashes.items() if k in failed}
        return await self._fetch()


class ExpiringHoldsState(OffsetPages, HoldDialog, SessionState):
    """The queue page's second section: active holds that expire within a day, soonest first (a
    page at a time; those expiring within the hour are flagged), with capture, release and extend."""

    hold_notice: str = ""

    async def _fetch(self):
        scope = await self._scope()
        if scope is None:
            return self._to_signin()
        offset, now = self.offset, current().now()
        horizon = now + timedelta(seconds=EXPIRY_HORIZON_SECONDS)
        page = await read(lambda s: list_holds(s, scope, expiring_before=horizon, limit=PAGE_SIZE, offset=offset))
        if self._moved_back(page, offset):
            return await self._fetch()
        self._show_page(page, [expiring_hold_row(h, now.astimezone(timezone.utc), self.time_zone) for h in page["data"]])

    @rx.event
    async def load(self):
        self.hold_notice = ""
        self.close_hold_action()
        return await self._fetch()

    @rx.event
    async def refresh(self):
        return await self._fetch()

    async def refresh_live(self, events: list[dict]) -> None:
        if any_of_type(events, "hold."):
            await self._fetch()

    def _hold_done(self, hold_id: str, action: str) -> None:
        self.hold_notice = f"Hold {hold_id}: {action} done."
