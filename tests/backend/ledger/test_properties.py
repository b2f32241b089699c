"""Property-based tests of the ledger over the real HTTP API (in process, `TestClient`).

A Hypothesis state machine sends random sequences of what integrators do to a ledger: two-leg and
multi-leg postings (some overdrawing), pending postings posted in full, in part or voided (and
resolved a second time), holds captured in part, released and extended, reversals (some twice),
cross-currency postings, and replays of earlier requests under their idempotency keys.

The test keeps its own model of every account's four running totals (debits/credits, posted/pending)
and predicts each answer before sending the request: status, error code, and the balances after. After
every step it checks that

1. per currency and per bucket the tenant's journal (`entries`) balances: debits == credits;
2. no account that does not `allow_negative` shows a negative `available`;
3. a replay answers with the first response's status and exact bytes, marked `Idempotent-Replayed`;
4. balances as of every instant T recorded after a step so far equal the model as it stood then: the
   journal's entries effective by T, read from the database, at every T after every step; and
   `GET /v1/accounts/{id}?as_of=T` (which must equal both) at the newest T and one earlier T after
   every step (a request per account and instant), and at every T when the example ends;

and that the current balances (`GET /v1/accounts/{id}`) equal the model exactly. Holds and pending
postings get TTLs of days, so nothing expires by time here: expiry has its own tests, and this one
must be deterministic. A "different body" replay changes a field but stays well-formed.
"""

from __future__ import annotations

import random
import secrets
import warnings
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta

from hypothesis import HealthCheck, note, settings
from hypothesis import strategies as st
from hypothesis.stateful import (
    RuleBasedStateMachine,
    initialize,
    invariant,
    precondition,
    rule,
    run_state_machine_as_test,
)
from sqlalchemy import select

with warnings.catch_warnings():  # Starlette nudges towards `httpx2`; the httpx-based client is what is installed
    warnings.simplefilter("ignore", UserWarning)
    from starlette.testclient import TestClient

from backend.api.app import create_api
from backend.db import transactions
from backend.db.tables import Entry
from tests.conftest import make_tenant

# Refusals the API does not keep under the idempotency key (the client may fix the payload and retry).
MALFORMED = {"invalid_request", "validation_error", "amount_not_integer", "amount_out_of_range", "unknown_currency"}
TOTALS = ("debits_posted", "credits_posted", "debits_pending", "credits_pending")
DAY = 86400

Leg = tuple[str, str, int]  # (account id, "debit" | "credit", amount_minor)

amounts = st.integers(min_value=1, max_value=20_000)
pick = st.integers(min_value=0, max_value=1_000)  # an index into one of the machine's lists, modulo its length
# Lifecycle rules mostly act on objects still open to them; one time in three on one already
# resolved, which must be refused (double resolution, second reversal, capture after release, ...).
again = st.sampled_from([False, False, True])


def choose(items: list, which: int, again: bool, is_open) -> object:
    """items[which], among the still-open ones (or, `again`, the closed ones) when there are any."""
    preferred = [x for x in items if bool(is_open(x)) != again] or items
    return preferred[which % len(preferred)]


def changed(body: dict) -> dict:
    """The same request with one field changed, still well-formed."""
    for name, change in (("amount_minor", lambda v: v + 1), ("reason", lambda v: v + " (again)"), ("customer", lambda v: v + "-2")):
        if name in body:
            return {**body, name: change(body[name])}
    if "lines" in body:
        return {**body, "description": "the same lines, described"}
    return {**body, "amount_minor": 1}


def iso(t: datetime) -> str:
    return t.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def parse_iso(value: str) -> datetime:
    return datetime.fromisoformat(value)


# --- the model -------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Account:
    id: str
    name: str
    currency: str
    normal_balance: str = "credit"
    allow_negative: bool = False
    holdable: bool = False  # a credit-normal customer account, which POST /v1/holds accepts


def balances(totals: dict[str, int], normal_balance: str) -> dict[str, int]:
    """posted/pending on the normal side; available = posted minus pending *outflows* (contract)."""
    sign = 1 if normal_balance == "credit" else -1
    posted = sign * (totals["credits_posted"] - totals["debits_posted"])
    pending = sign * (totals["credits_pending"] - totals["debits_pending"])
    outflow = totals["debits_pending"] if normal_balance == "credit" else totals["credits_pending"]
    return {"posted": posted, "pending": pending, "available": posted - outflow}


def movements(legs: tuple[Leg, ...], bucket: str, sign: int = 1) -> list[tuple[str, str, int]]:
    """Each leg as a signed change of `bucket` totals: (account, "debits_posted", +100), ..."""
    return [(account, f"{direction}s_{bucket}", sign * amount) for account, direction, amount in legs]


def swapped(legs: tuple[Leg, ...]) -> tuple[Leg, ...]:
    flip = {"debit": "credit", "credit": "debit"}
    return tuple((a, flip[d], m) for a, d, m in legs)


@dataclass
class PostingModel:
    id: str
    kind: str  # standard | pending | reversal | resolution
    legs: tuple[Leg, ...]
    status: str = "posted"  # for kind pending: pending | posted | voided
    posted_legs: tuple[Leg, ...] = ()  # the legs a reversal swaps back
    reversed: bool = False
    hold_id: str | None = None

    @property
    def total(self) -> int:
        return sum(m for _, d, m in self.legs if d == "debit")


@dataclass
class HoldModel:
    id: str
    account: str
    posting: PostingModel
    amount: int
    ttl_seconds: int  # the TTL that set the current expires_at
    status: str = "active"  # active | captured | released


@dataclass
class Sent:
    """A request whose answer the API keeps under its idempotency key, for replays."""

    path: str
    body: dict
    status: int
    content: bytes


@dataclass
class Ledger:
    """Expected totals per account, changed only through `apply` (which refuses like the ledger)."""

    accounts: dict[str, Account] = field(default_factory=dict)
    totals: dict[str, dict[str, int]] = field(default_factory=dict)

    def open(self, account: Account) -> None:
        self.accounts[account.id] = account
        self.totals[account.id] = dict.fromkeys(TOTALS, 0)

    def view(self, account_id: str) -> dict[str, int]:
        return balances(self.totals[account_id], self.accounts[account_id].normal_balance)

    def refusal(self, moves: list[tuple[str, str, int]]) -> str | None:
        """`insufficient_funds` when `moves` would leave an account that may not go negative with a
        negative `available` lower than before (a posting that only adds to such an account passes)."""
        after = {a: dict(self.totals[a]) for a, _, _ in moves}
        for account_id, name, amount in moves:
            after[account_id][name] += amount
        for account_id, totals in after.items():
            account = self.accounts[account_id]
            now = balances(totals, account.normal_balance)["available"]
            if not account.allow_negative and now < 0 and now < self.view(account_id)["available"]:
                return "insufficient_funds"
        return None

    def apply(self, moves: list[tuple[str, str, int]]) -> None:
        assert self.refusal(moves) is None
        for account_id, name, amount in moves:
            self.totals[account_id][name] += amount

    def snapshot(self) -> dict[str, dict[str, int]]:
        return {a: dict(t) for a, t in self.totals.items()}


# --- the machine -----------------------------------------------------------------------------------


class LedgerMachine(RuleBasedStateMachine):
    """One fresh tenant per example; every rule predicts its answer from the model, then checks it."""

    runtime = None  # set by the test function (session fixtures cannot reach a state machine)
    client: TestClient | None = None

    def __init__(self):
        super().__init__()
        self.model = Ledger()
        self.postings: list[PostingModel] = []
        self.resolutions: list[PostingModel] = []
        self.holds: list[HoldModel] = []
        self.sent: list[Sent] = []
        self.instants: list[tuple[datetime, dict[str, dict[str, int]]]] = []
        self.reserved: dict[str, str] = {}  # currency -> the tenant's `holds` system account
        self.headers: dict[str, str] = {}
        self.tenant_id = ""

    # -- plumbing --

    def post(self, path: str, body: dict, status: int, code: str | None = None) -> dict:
        """POST `body` under a new idempotency key and check the predicted status and error code."""
        body = {**body, "idempotency_key": "idem_" + secrets.token_hex(8)}
        r = self.client.post("/v1" + path, json=body, headers=self.headers)
        note(f"POST {path} {body} -> {r.status_code} {r.text[:120]}")
        assert "idempotent-replayed" not in r.headers, "a first request must not be marked as a replay"
        assert r.status_code == status, f"expected {status} {code or ''} from POST {path} {body}, got {r.status_code} {r.text}"
        payload = r.json()
        if code is not None:
            assert payload["error"]["code"] == code, payload
        if code not in MALFORMED:
            self.sent.append(Sent(path, body, r.status_code, r.content))
        return payload

    def get(self, path: str, **params) -> dict:
        r = self.client.get("/v1" + path, params=params, headers=self.headers)
        assert r.status_code == 200, r.text
        return r.json()

    def step_done(self) -> None:
        """Record an instant after the step's last response, with the model as it stands then."""
        self.instants.append((self.runtime.now(), self.model.snapshot()))

    def accounts_in(self, currency: str) -> list[Account]:
        """The accounts of `currency` a posting may name (not the tenant's `holds` system account)."""
        return [a for a in self.model.accounts.values() if a.currency == currency and a.id not in self.reserved.values()]

    def open_account(self, name: str, currency: str, **fields) -> None:
        body = {"customer": name, "currency": currency, "account_type": fields.pop("account_type", "customer"), **fields}
        created = self.post("/accounts", body, 201)
        assert created["status"] == "active" and created["balances"] == {"posted": 0, "pending": 0, "available": 0}
        normal = fields.get("normal_balance", "credit")
        holdable = normal == "credit" and not fields.get("allow_negative", False)
        self.model.open(Account(created["id"], name, currency, normal, fields.get("allow_negative", False), holdable))

    def create_posting(self, legs: tuple[Leg, ...], pending: bool, body: dict, expires: bool = False) -> None:
        """Send a posting whose outcome the model predicts: created, or refused for insufficient funds.
        A pending one never expires, or (`expires`) a week from now: never within this test."""
        bucket = "pending" if pending else "posted"
        if pending:
            body = {**body, "pending": True, **({"expires_at": iso(self.runtime.now() + timedelta(days=7))} if expires else {})}
        refusal = self.model.refusal(movements(legs, bucket))
        if refusal:
            self.post("/ledger-entries", body, 422, refusal)
            return
        created = self.post("/ledger-entries", body, 201)
        assert created["status"] == bucket and created["kind"] == ("pending" if pending else "standard")
        assert [(e["account"], e["direction"], e["amount_minor"], e["bucket"]) for e in created["entries"]] == [(*leg, bucket) for leg in legs]
        self.model.apply(movements(legs, bucket))
        self.postings.append(
            PostingModel(created["posting_id"], "pending" if pending else "standard", legs, "pending" if pending else "posted", () if pending else legs)
        )

    # -- setup --

    @initialize(opening=st.lists(st.integers(min_value=0, max_value=50_000), min_size=6, max_size=6))
    def open_tenant_and_accounts(self, opening):
        """A fresh tenant per example, with a funding account (allow_negative) per currency, credit-
        normal customer accounts, and a debit-normal USD account that may not go negative either;
        each of those starts with an opening balance from the funding account (0: none)."""
        keys = make_tenant(self.runtime, "Property")
        self.tenant_id = keys.tenant_id
        self.headers = {"Authorization": f"Bearer {keys.sandbox_key}"}
        for currency in ("USD", "JPY"):
            self.open_account(f"funding-{currency}", currency, account_type="funding", allow_negative=True)
        for name in ("alice", "bob", "carol"):
            self.open_account(f"{name}-USD", "USD")
        self.open_account("clearing-USD", "USD", account_type="clearing", normal_balance="debit")
        for name in ("dai", "eri"):
            self.open_account(f"{name}-JPY", "JPY")
        for who, amount in enumerate(opening):
            if amount:
                self.fund(who, amount)
        self.step_done()

    # -- postings --

    @rule(who=pick, amount=st.integers(min_value=1, max_value=50_000))
    def fund_an_account(self, who, amount):
        """Money in from the currency's funding account raises the target's posted balance."""
        self.fund(who, amount)
        self.step_done()

    def fund(self, who: int, amount: int) -> None:
        customers = [a for a in self.model.accounts.values() if not a.allow_negative and a.id not in self.reserved.values()]
        account = customers[who % len(customers)]
        funding = next(a for a in self.accounts_in(account.currency) if a.allow_negative)
        # A debit-normal account grows on its debit side.
        legs = ((funding.id, "debit", amount), (account.id, "credit", amount))
        if account.normal_balance == "debit":
            legs = ((account.id, "debit", amount), (funding.id, "credit", amount))
        self.create_posting(legs, False, {"debit": legs[0][0], "credit": legs[1][0], "amount_minor": amount})

    @rule(currency=st.sampled_from(["USD", "JPY"]), pair=st.tuples(pick, pick), amount=amounts, pending=st.booleans(), expires=st.booleans())
    def two_leg_posting(self, currency, pair, amount, pending, expires):
        """A transfer between two accounts of one currency: posted (or pending) if the debited side
        can afford it, otherwise refused with insufficient_funds and nothing moves."""
        accounts = self.accounts_in(currency)
        debit = accounts[pair[0] % len(accounts)]
        others = [a for a in accounts if a.id != debit.id]
        credit = others[pair[1] % len(others)]
        legs = ((debit.id, "debit", amount), (credit.id, "credit", amount))
        self.create_posting(legs, pending, {"debit": debit.id, "credit": credit.id, "amount_minor": amount, "correlation_id": "prop"}, expires)
        self.step_done()

    @rule(data=st.data(), currency=st.sampled_from(["USD", "JPY"]), pending=st.booleans())
    def multi_leg_posting(self, data, currency, pending):
        """Several legs (one or two debits spread over one to three credits) in one balanced posting."""
        accounts = data.draw(st.permutations(self.accounts_in(currency)))
        n_legs = data.draw(st.integers(min_value=3, max_value=min(5, len(accounts))), label="legs")
        n_debits = data.draw(st.integers(min_value=1, max_value=min(2, n_legs - 1)), label="debits")
        debit_amounts = data.draw(st.lists(st.integers(min_value=4, max_value=15_000), min_size=n_debits, max_size=n_debits), label="debit amounts")
        total, n_credits = sum(debit_amounts), n_legs - n_debits
        cuts = sorted(data.draw(st.lists(st.integers(1, total - 1), min_size=n_credits - 1, max_size=n_credits - 1, unique=True), label="cuts"))
        credit_amounts = [b - a for a, b in zip([0, *cuts], [*cuts, total])]
        legs = tuple((a.id, "debit", m) for a, m in zip(accounts, debit_amounts)) + tuple(
            (a.id, "credit", m) for a, m in zip(accounts[n_debits:], credit_amounts)
        )
        lines = [{"account": a, "direction": d, "amount_minor": m} for a, d, m in legs]
        self.create_posting(legs, pending, {"lines": lines})
        self.step_done()

    @rule(pair=st.tuples(pick, pick), amount=amounts, pending=st.booleans())
    def cross_currency_posting(self, pair, amount, pending):
        """A posting never mixes currencies: refused with currency_mismatch, nothing moves."""
        usd, jpy = self.accounts_in("USD"), self.accounts_in("JPY")
        body = {"debit": usd[pair[0] % len(usd)].id, "credit": jpy[pair[1] % len(jpy)].id, "amount_minor": amount, "pending": pending}
        self.post("/ledger-entries", body, 400, "currency_mismatch")
        self.step_done()

    # -- two-phase postings --

    def plain_pending(self) -> list[PostingModel]:
        return [p for p in self.postings if p.kind == "pending" and p.hold_id is None]

    @precondition(lambda self: self.plain_pending())
    @rule(which=pick, again=again, action=st.sampled_from(["post", "post_exact", "post_part", "post_too_much", "void"]), part=st.floats(0.01, 0.99))
    def resolve_pending(self, which, again, action, part):
        """A pending posting is posted (in full, or in part with the rest released) or voided exactly
        once; a second resolution is refused with invalid_state_transition and moves nothing."""
        posting = choose(self.plain_pending(), which, again, lambda p: p.status == "pending")
        path = f"/ledger-entries/{posting.id}/{'void' if action == 'void' else 'post'}"
        amount = {"post": None, "post_exact": posting.total, "post_part": max(1, int(posting.total * part)), "post_too_much": posting.total + 1}.get(action)
        body = {} if amount is None else {"amount_minor": amount}
        if action == "void":
            body = {"reason": "customer cancelled"}
        if posting.status != "pending":
            self.post(path, body, 409, "invalid_state_transition")
        elif action == "post_too_much":
            self.post(path, body, 400, "amount_out_of_range")
        elif amount is not None and amount < posting.total and len(posting.legs) != 2:
            self.post(path, body, 400, "validation_error")  # partial amounts are for two-leg postings only
        else:
            self.settle(posting, path, body, None if action == "void" else (amount or posting.total))
        self.step_done()

    def settle(self, posting: PostingModel, path: str, body: dict, posted: int | None) -> dict:
        """Post `posted` of a pending posting (None: void it): release all of it, post that much."""
        posted_legs = () if posted is None else tuple((a, d, posted if posted < posting.total else m) for a, d, m in posting.legs)
        moves = movements(posting.legs, "pending", -1) + movements(posted_legs, "posted")
        assert self.model.refusal(moves) is None, "releasing a pending posting never overdraws"
        answer = self.post(path, body, 200)
        self.model.apply(moves)
        posting.status, posting.posted_legs = ("voided", ()) if posted is None else ("posted", posted_legs)
        if answer["object"] == "posting":  # the ledger-entries endpoints answer with the posting
            assert answer["status"] == posting.status and answer["posting_id"] == posting.id
            assert answer["posted_amount_minor"] == posted
            resolution = answer["resolution_posting_id"]
        else:  # the hold endpoints answer with the hold
            resolution = answer["history"][-1]["posting_id"]
        self.resolutions.append(PostingModel(resolution, "resolution", posted_legs or swapped(posting.legs)))
        return answer

    # -- holds --

    @rule(which=pick, amount=amounts, ttl_days=st.sampled_from([7, 14]))
    def create_hold(self, which, amount, ttl_days):
        """A hold reserves funds of a credit-normal customer account: `available` drops at once,
        `posted` does not; one larger than `available` is refused; a debit-normal account has none."""
        candidates = [a for a in self.model.accounts.values() if a.holdable or a.normal_balance == "debit"]
        account = candidates[which % len(candidates)]
        body = {"account": account.id, "amount_minor": amount, "ttl_seconds": ttl_days * DAY, "reason": "card auth", "source_request": "auth_1"}
        if not account.holdable:
            self.post("/holds", body, 400, "validation_error")
            self.step_done()
            return
        reserved = self.reserved.get(account.currency)
        moves = [(account.id, "debits_pending", amount)]
        if self.model.refusal(moves):
            self.post("/holds", body, 422, "insufficient_funds")
            self.step_done()
            return
        before = self.runtime.now()
        hold = self.post("/holds", body, 201)
        after = self.runtime.now()
        assert hold["status"] == "active" and hold["amount_minor"] == amount and hold["account"] == account.id
        assert before + timedelta(days=ttl_days) <= parse_iso(hold["expires_at"]) <= after + timedelta(days=ttl_days)
        entries = self.get(f"/ledger-entries/{hold['posting_id']}")["entries"]
        credit = [e["account"] for e in entries if e["direction"] == "credit"]
        assert len(credit) == 1 and (reserved is None or credit[0] == reserved), entries
        if reserved is None:  # the first hold in this currency opens the tenant's `holds` account
            reserved = self.reserved[account.currency] = credit[0]
            self.model.open(Account(reserved, f"holds-{account.currency}", account.currency))
        legs = ((account.id, "debit", amount), (reserved, "credit", amount))
        assert [(e["account"], e["direction"], e["amount_minor"], e["bucket"]) for e in entries] == [(*leg, "pending") for leg in legs]
        self.model.apply(movements(legs, "pending"))
        posting = PostingModel(hold["posting_id"], "pending", legs, "pending", hold_id=hold["id"])
        self.postings.append(posting)
        self.holds.append(HoldModel(hold["id"], account.id, posting, amount, ttl_days * DAY))
        self.step_done()

    @precondition(lambda self: self.holds)
    @rule(which=pick, again=again, how=st.sampled_from(["full", "exact", "part", "too_much"]), part=st.floats(0.01, 0.99))
    def capture_hold(self, which, again, how, part):
        """Capturing posts the hold (partly: the rest is released), once; capturing more than held is
        refused; a captured or released hold cannot be captured again."""
        hold = choose(self.holds, which, again, lambda h: h.status == "active")
        amount = {"full": None, "exact": hold.amount, "part": max(1, int(hold.amount * part)), "too_much": hold.amount + 1}[how]
        body = {"reason": "shipped", "source_request": "cap_1", **({} if amount is None else {"amount_minor": amount})}
        path = f"/holds/{hold.id}/capture"
        if hold.status != "active":
            self.post(path, body, 409, "invalid_state_transition")
        elif how == "too_much":
            self.post(path, body, 400, "amount_out_of_range")
        else:
            answer = self.settle(hold.posting, path, body, amount or hold.amount)
            hold.status = "captured"
            assert answer["status"] == "captured" and answer["captured_minor"] == (amount or hold.amount)
        self.step_done()

    @precondition(lambda self: self.holds)
    @rule(which=pick, again=again)
    def release_hold(self, which, again):
        """Releasing voids the hold: the reserved funds are available again; only an active hold."""
        hold = choose(self.holds, which, again, lambda h: h.status == "active")
        path, body = f"/holds/{hold.id}/release", {"reason": "order cancelled", "source_request": "rel_1"}
        if hold.status != "active":
            self.post(path, body, 409, "invalid_state_transition")
        else:
            answer = self.settle(hold.posting, path, body, None)
            hold.status = "released"
            assert answer["status"] == "released" and answer["captured_minor"] == 0
        self.step_done()

    @precondition(lambda self: self.holds)
    @rule(which=pick, again=again, ttl_days=st.sampled_from([1, 7, 14, 29]))
    def extend_hold(self, which, again, ttl_days):
        """Extending moves an active hold's expiry later, never earlier, and moves no money."""
        hold = choose(self.holds, which, again, lambda h: h.status == "active")
        path, body = f"/holds/{hold.id}/extend", {"ttl_seconds": ttl_days * DAY, "reason": "backorder", "source_request": "ext_1"}
        if hold.status != "active":
            self.post(path, body, 409, "invalid_state_transition")
        elif ttl_days * DAY < hold.ttl_seconds:  # now + a shorter TTL lands before the current expiry
            self.post(path, body, 400, "validation_error")
        else:
            before = self.runtime.now()
            answer = self.post(path, body, 200)
            after = self.runtime.now()
            assert answer["status"] == "active"
            assert before + timedelta(days=ttl_days) <= parse_iso(answer["expires_at"]) <= after + timedelta(days=ttl_days)
            hold.ttl_seconds = ttl_days * DAY
        self.step_done()

    # -- reversals --

    @precondition(lambda self: self.postings)
    @rule(which=pick, again=again)
    def reverse(self, which, again):
        """A reversal is a new posting with the posted legs swapped, once per posting. Pending or voided
        postings, reversals and resolution postings cannot be reversed; a reversal that would overdraw
        is refused and may be retried once funds are back."""
        reversible = lambda p: p.kind in ("standard", "pending") and p.status == "posted" and not p.reversed
        posting = choose(self.postings + self.resolutions, which, again, reversible)
        path, body = f"/ledger-entries/{posting.id}/reverse", {"reason": "duplicate charge"}
        legs = swapped(posting.posted_legs)
        if not reversible(posting):
            self.post(path, body, 409, "invalid_state_transition")
        elif refusal := self.model.refusal(movements(legs, "posted")):
            self.post(path, body, 422, refusal)
        else:
            answer = self.post(path, body, 201)
            assert answer["kind"] == "reversal" and answer["reverses_posting_id"] == posting.id
            assert [(e["account"], e["direction"], e["amount_minor"]) for e in answer["entries"]] == list(legs)
            self.model.apply(movements(legs, "posted"))
            posting.reversed = True
            self.postings.append(PostingModel(answer["posting_id"], "reversal", legs, "posted", legs))
        self.step_done()

    # -- idempotency --

    @precondition(lambda self: self.sent)
    @rule(which=pick, how=st.sampled_from(["same body", "same body, key in header", "same body", "different body"]))
    def replay(self, which, how):
        """The same key with the same body (the key in the body or in the Idempotency-Key header)
        answers as the first time, byte for byte, marked as a replay, and changes nothing (the model
        does not move; the invariants check the ledger). The same key with a different body is
        refused with idempotency_key_reused."""
        first = self.sent[which % len(self.sent)]
        body, headers = first.body, self.headers
        if how == "same body, key in header":
            body = {k: v for k, v in first.body.items() if k != "idempotency_key"}
            headers = {**self.headers, "Idempotency-Key": first.body["idempotency_key"]}
        elif how == "different body":
            body = changed(first.body)
        r = self.client.post("/v1" + first.path, json=body, headers=headers)
        note(f"{how}: POST {first.path} {body} -> {r.status_code} {r.text[:120]}")
        if how == "different body":
            assert r.status_code == 409 and r.json()["error"]["code"] == "idempotency_key_reused", r.text
            assert "idempotent-replayed" not in r.headers
        else:
            assert r.status_code == first.status, (first, r.status_code, r.text)
            assert r.content == first.content, (first.content, r.content)
            assert r.headers.get("idempotent-replayed") == "true", dict(r.headers)
        self.step_done()

    # -- after every step --

    @invariant()
    def ledger_matches_the_model_now_and_at_every_past_instant(self):
        """After every step: balances now equal the model exactly and never show a forbidden negative
        `available`; the journal balances and equals the model at every recorded instant; and
        `as_of` through the API equals both, at the instant just recorded and at one earlier instant
        (chosen by the step number, so reruns ask the same; the API's `as_of` costs a request per
        account and instant); `teardown` then asks the API for every instant. The database check reads every
        instant after every step, so a write that rewrote the past is caught at once either way."""
        if not self.instants:
            return
        for account_id, account in self.model.accounts.items():
            got = self.get(f"/accounts/{account_id}")["balances"]
            assert got == self.model.view(account_id), (account.name, got, self.model.view(account_id))
            if not account.allow_negative:
                assert got["available"] >= 0, (account.name, got)
        self.check_journal()
        newest = len(self.instants) - 1
        self.check_as_of([newest, random.Random(newest).randrange(newest)] if newest else [0])

    def teardown(self):
        """At the end of the example: `as_of` through the API at every instant recorded."""
        if self.instants:
            self.check_as_of(range(len(self.instants)))

    def journal(self) -> list:
        """The tenant's entries, read straight from the database (not through the API)."""
        return transactions.read(
            self.runtime.db,
            lambda s: s.execute(
                select(Entry.account_id, Entry.currency, Entry.direction, Entry.bucket, Entry.amount_minor, Entry.effective_at).where(
                    Entry.tenant_id == self.tenant_id, Entry.mode == "sandbox"
                )
            ).all(),
        )

    def journal_at(self, rows: list, at: datetime) -> dict[str, dict[str, int]]:
        """Each account's four totals summed from the entries effective by `at`; checks that per
        currency and bucket the debits equal the credits by then."""
        totals = {a: dict.fromkeys(TOTALS, 0) for a in self.model.accounts}
        sides: dict[tuple[str, str], int] = {}
        for r in rows:
            if r.effective_at <= at:
                totals[r.account_id][f"{r.direction}s_{r.bucket}"] += r.amount_minor
                sign = 1 if r.direction == "debit" else -1
                sides[(r.currency, r.bucket)] = sides.get((r.currency, r.bucket), 0) + sign * r.amount_minor
        assert all(v == 0 for v in sides.values()), f"debits != credits (currency, bucket) at {iso(at)}: {sides}"
        return totals

    def check_journal(self) -> None:
        rows = self.journal()
        assert {r.account_id for r in rows} <= set(self.model.accounts), "entries on accounts the model does not know"
        self.journal_at(rows, datetime.max.replace(tzinfo=UTC))
        for at, expected in self.instants:
            journal = self.journal_at(rows, at)
            for account_id, totals in expected.items():
                assert journal[account_id] == totals, (self.model.accounts[account_id].name, iso(at), journal[account_id], totals)

    def check_as_of(self, which) -> None:
        """GET ?as_of= at the instants `which` equals the model then and the journal's sums then."""
        rows = self.journal()
        for i in which:
            at, expected = self.instants[i]
            journal = self.journal_at(rows, at)
            for account_id, totals in expected.items():
                account = self.model.accounts[account_id]
                got = self.get(f"/accounts/{account_id}", as_of=iso(at))["balances"]
                got = {k: got[k] for k in ("posted", "pending", "available")}
                assert got == balances(totals, account.normal_balance), (account.name, iso(at), got, totals)
                assert got == balances(journal[account_id], account.normal_balance), (account.name, iso(at), got, journal[account_id])


def test_random_ledger_histories_keep_every_invariant(runtime):
    """Random histories of postings, two-phase postings, holds, reversals and replays never break
    double entry, never overdraw, replay byte for byte, and never rewrite a past balance."""
    with TestClient(create_api(runtime)) as client:
        LedgerMachine.runtime, LedgerMachine.client = runtime, client
        try:
            run_state_machine_as_test(
                LedgerMachine,
                settings=settings(max_examples=8, stateful_step_count=25, deadline=None, suppress_health_check=[HealthCheck.too_slow]),
            )
        finally:
            LedgerMachine.runtime = LedgerMachine.client = None
