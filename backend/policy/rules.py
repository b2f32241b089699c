"""Policy rules and the decision they give on one intent: pure functions, no I/O.

A policy is a JSON document (see `parse_rules`); a key it leaves out keeps the built-in default
(`DEFAULT_RULES`), so a partial document can never silently drop a limit. Send an empty list or
map, or `"velocity": null`, to have no rule of that kind.

`evaluate` runs every rule, so the evidence of a decision shows each one's verdict, then decides:
any hard rule failed (blocked counterparty, KYC rejected, corridor, amount limit) -> reject;
otherwise any rule asked for a person (a screening list match, KYC not verified, velocity,
review threshold, dual-approval threshold) -> review, with two approvals when the amount reaches
the dual-approval threshold; otherwise accept. Screening facts (KYC status, list matches) are
found by `backend.screening.screen` and judged here, so one place decides the outcome. Where
several rules could apply, the most specific wins: an exact currency over `*`, then an exact kind
over `*` (a currency-wide limit is in the right units; a kind-wide one across currencies is not).
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from typing import Any, Callable

from backend.errors import ZentraError
from backend.inputs import reject_unknown, storable_text, whole_number
from backend.intents.requests import CORRIDOR, KINDS
from backend.money.amounts import parse_amount_minor
from backend.money.currencies import format_minor, parse_currency

ANY = "*"
MAX_ENTRIES = 1000
MAX_WINDOW_SECONDS = 30 * 86400
MAX_COUNT = 1_000_000_000
MAX_COUNTERPARTY = 200

# What a check that did not pass says about the intent; the decision's reason is the first one.
REASONS = {
    "counterparty_screen": "counterparty_blocked",
    "screening_check": "screening_hit",
    "kyc_check": "kyc_rejected",
    "corridor_check": "corridor_not_allowed",
    "limit_check": "amount_over_limit",
    "velocity_check": "velocity_exceeded",
    "review_threshold": "amount_over_threshold",
    "dual_approval": "dual_approval_required",
}
# What a check that sent the intent to a person says, where it differs from its failure's reason.
REVIEW_REASONS = {"kyc_check": "kyc_unverified"}
REASON_CODES = tuple(sorted({*REASONS.values(), *REVIEW_REASONS.values()}))


@dataclass(frozen=True)
class Screening:
    """What compliance screening found (`backend.screening.screen`)."""

    kyc_status: str | None = None  # the source customer's; None when nobody registered them
    source_customer: str = ""
    lists: int = 0  # screening lists the counterparty was checked against
    hits: tuple[str, ...] = ()  # the counterparty's list matches, each described with its decision


@dataclass(frozen=True)
class IntentFacts:
    """What the policy is told about an intent."""

    kind: str
    amount_minor: int
    currency: str
    counterparty: str  # the destination's name or identifier, screened against the blocked list
    corridor: str  # e.g. "US-GB", or "*" when the intent names none
    screening: Screening = Screening()


@dataclass(frozen=True)
class Velocity:
    """Intents from the same source account inside the velocity window, before this one."""

    count: int
    amount_minor: int  # their total in the intent's currency


@dataclass(frozen=True)
class Check:
    """One rule's verdict on one intent."""

    rule: str
    rule_id: str  # the exact rule that matched, e.g. "amount_limit:payment:USD", "review_threshold:*"
    result: str  # passed | failed | review
    detail: str

    @property
    def reason(self) -> str | None:
        if self.result == "passed":
            return None
        return REVIEW_REASONS.get(self.rule, REASONS[self.rule]) if self.result == "review" else REASONS[self.rule]

    def label(self) -> str:
        """`limit_check.passed`, `review_required: amount_over_threshold`, `rejected: counterparty_blocked`."""
        if self.result == "passed":
            return f"{self.rule}.passed"
        return f"{'rejected' if self.result == 'failed' else 'review_required'}: {self.reason}"

    def to_dict(self) -> dict:
        return {"rule": self.rule, "rule_id": self.rule_id, "result": self.result, "detail": self.detail, "label": self.label()}


@dataclass(frozen=True)
class Decision:
    outcome: str  # accept | review | reject
    reason: str | None
    required_approvals: int  # 0 on accept and reject, 1 or 2 on review
    checks: tuple[Check, ...]
    policy_version: int

    def to_dict(self) -> dict:
        return {
            "outcome": self.outcome,
            "reason": self.reason,
            "required_approvals": self.required_approvals,
            "policy_version": self.policy_version,
            "checks": [c.to_dict() for c in self.checks],
            "labels": [c.label() for c in self.checks],
        }


@dataclass(frozen=True)
class AmountLimit:
    kind: str  # an intent kind or "*"
    currency: str  # an ISO 4217 code or "*"
    max_minor: int


@dataclass(frozen=True)
class VelocityRule:
    window_seconds: int
    max_count: int | None  # intents per source account per window, this one included
    max_minor: dict[str, int]  # currency or "*" -> their total, this one included


@dataclass(frozen=True)
class PolicyRules:
    amount_limits: tuple[AmountLimit, ...]
    velocity: VelocityRule | None
    review_threshold: dict[str, int]  # currency or "*" -> amount at or over which a person reviews
    dual_approval_threshold: dict[str, int]  # currency or "*" -> amount at or over which two people approve
    blocked_counterparties: tuple[str, ...]
    corridors: tuple[str, ...]  # the allow-list; empty allows every corridor

    @property
    def velocity_window_seconds(self) -> int | None:
        return None if self.velocity is None else self.velocity.window_seconds

    def to_dict(self) -> dict:
        """The whole document, every key present: what a version stores and shows."""
        velocity = self.velocity
        return {
            "amount_limits": [{"kind": lim.kind, "currency": lim.currency, "max_minor": lim.max_minor} for lim in self.amount_limits],
            "velocity": None if velocity is None else {"window_seconds": velocity.window_seconds, "max_count": velocity.max_count, "max_minor": dict(velocity.max_minor)},
            "review_threshold": dict(self.review_threshold),
            "dual_approval_threshold": dict(self.dual_approval_threshold),
            "blocked_counterparties": list(self.blocked_counterparties),
            "corridors": list(self.corridors),
        }


DEFAULT_RULES = PolicyRules(
    amount_limits=(AmountLimit(ANY, ANY, 1_000_000_000),),
    velocity=VelocityRule(window_seconds=3600, max_count=1000, max_minor={}),
    review_threshold={ANY: 1_000_000},
    dual_approval_threshold={ANY: 10_000_000},
    blocked_counterparties=(),
    corridors=(),
)


# Parsing -----------------------------------------------------------------------------------------


def _refuse(message: str, param: str) -> ZentraError:
    return ZentraError("validation_error", message, param)


def _key(param: str, key: str) -> str:
    """`param.key` for an error, without echoing a key that cannot be shown safely."""
    return f"{param}.{key}" if key.isascii() and key.isprintable() and len(key) <= 40 else f"{param}.?"


def _amount(value: Any, param: str) -> int:
    """A positive int64 amount of minor units (every policy error is a `validation_error`)."""
    try:
        return parse_amount_minor(value, param)
    except ZentraError as err:
        raise _refuse(err.message, param) from None


def _currency(value: Any, param: str) -> str:
    if value == ANY:
        return ANY
    try:
        return parse_currency(value, param)
    except ZentraError as err:
        raise _refuse(err.message + ', or "*" for every currency', param) from None


def _object(value: Any, param: str) -> dict:
    if not isinstance(value, dict):
        raise _refuse(f"{param} must be an object", param)
    return value


def _list(value: Any, param: str) -> list:
    if not isinstance(value, list) or len(value) > MAX_ENTRIES:
        raise _refuse(f"{param} must be a list of at most {MAX_ENTRIES} entries", param)
    return value


def _currency_amounts(value: Any, param: str) -> dict[str, int]:
    """`{"USD": 100000, "*": 50000}`: an amount per currency, `*` for every other one."""
    table = _object(value, param)
    parsed = {}
    for key, amount in table.items():
        where = _key(param, key)
        parsed[_currency(key, where)] = _amount(amount, where)
    return parsed


def _amount_limits(value: Any, param: str) -> tuple[AmountLimit, ...]:
    limits: dict[tuple[str, str], AmountLimit] = {}
    for index, entry in enumerate(_list(value, param)):
        where = f"{param}[{index}]"
        entry = _object(entry, where)
        reject_unknown(entry, {"kind", "currency", "max_minor"}, prefix=f"{where}.")
        kind = entry.get("kind", ANY)
        if kind != ANY and kind not in KINDS:
            raise _refuse(f"{where}.kind must be one of {', '.join(KINDS)}, or * for every kind", f"{where}.kind")
        limit = AmountLimit(kind, _currency(entry.get("currency", ANY), f"{where}.currency"), _amount(entry.get("max_minor"), f"{where}.max_minor"))
        if (kind, limit.currency) in limits:
            raise _refuse(f"{where} repeats the limit for kind {kind} and currency {limit.currency}", where)
        limits[(kind, limit.currency)] = limit
    return tuple(limits.values())


def _velocity(value: Any, param: str) -> VelocityRule | None:
    if value is None:
        return None
    body = _object(value, param)
    reject_unknown(body, {"window_seconds", "max_count", "max_minor"}, prefix=f"{param}.")
    window = whole_number(body.get("window_seconds"), f"{param}.window_seconds", 1, MAX_WINDOW_SECONDS)
    max_count = None if body.get("max_count") is None else whole_number(body["max_count"], f"{param}.max_count", 1, MAX_COUNT)
    max_minor = _currency_amounts(body.get("max_minor", {}), f"{param}.max_minor")
    if max_count is None and not max_minor:
        raise _refuse(f"{param} needs max_count or max_minor (or send null for no velocity limit)", param)
    return VelocityRule(window, max_count, max_minor)


def normalise_counterparty(name: str) -> str:
    """The form blocked names are compared in: whitespace collapsed, case folded."""
    return " ".join(name.split()).casefold()


def _counterparties(value: Any, param: str) -> tuple[str, ...]:
    seen: dict[str, str] = {}
    for index, name in enumerate(_list(value, param)):
        where = f"{param}[{index}]"
        if not isinstance(name, str) or not name.strip() or len(name) > MAX_COUNTERPARTY:
            raise _refuse(f"{where} must be a non-empty name of at most {MAX_COUNTERPARTY} characters", where)
        shown = " ".join(storable_text(name, where).split())
        key = normalise_counterparty(shown)
        if key in seen:
            raise _refuse(f"{where} repeats {seen[key]!r}", where)
        seen[key] = shown
    return tuple(seen.values())


def _corridors(value: Any, param: str) -> tuple[str, ...]:
    corridors: list[str] = []
    for index, corridor in enumerate(_list(value, param)):
        where = f"{param}[{index}]"
        if not isinstance(corridor, str) or not CORRIDOR.fullmatch(corridor):
            raise _refuse(f"{where} must look like US-GB (leave the list empty to allow every corridor)", where)
        if corridor in corridors:
            raise _refuse(f"{where} repeats {corridor}", where)
        corridors.append(corridor)
    return tuple(corridors)


PARSERS: dict[str, Callable[[Any, str], Any]] = {
    "amount_limits": _amount_limits,
    "velocity": _velocity,
    "review_threshold": _currency_amounts,
    "dual_approval_threshold": _currency_amounts,
    "blocked_counterparties": _counterparties,
    "corridors": _corridors,
}


def parse_rules(body: object) -> PolicyRules:
    """The rules of a policy document; a key left out keeps `DEFAULT_RULES`' value. Anything
    wrong is a `validation_error` naming the exact place (`rules.review_threshold.USD`)."""
    document = _object(body, "rules")
    reject_unknown(document, set(PARSERS), prefix="rules.")
    return replace(DEFAULT_RULES, **{name: PARSERS[name](value, f"rules.{name}") for name, value in document.items()})


# Evaluation --------------------------------------------------------------------------------------


def _for_currency(table: dict[str, int], currency: str) -> tuple[str, int] | None:
    """The entry for `currency`, else the `*` entry, else none."""
    for key in (currency, ANY):
        if key in table:
            return key, table[key]
    return None


def _screen(rules: PolicyRules, facts: IntentFacts) -> Check:
    name = normalise_counterparty(facts.counterparty)
    if any(normalise_counterparty(blocked) == name for blocked in rules.blocked_counterparties):
        return Check("counterparty_screen", f"blocked_counterparty:{name}", "failed", f"counterparty {facts.counterparty.strip()!r} is on the blocked list")
    return Check("counterparty_screen", "blocked_counterparties", "passed", f"counterparty is not among {len(rules.blocked_counterparties)} blocked names")


def _watchlist(facts: IntentFacts) -> Check:
    """A screening list match sends the intent to a person, and keeps it there when judged again:
    compliance decides the match, then a reviewer approves as for any review."""
    found = facts.screening
    if found.hits:
        return Check("screening_check", f"screening_hit:{len(found.hits)}", "review", "; ".join(found.hits)[:1000])
    return Check("screening_check", "screening_lists", "passed", f"no match on {found.lists} screening list(s)")


def _kyc(facts: IntentFacts) -> Check:
    """The source customer's KYC: rejected refuses, not yet verified asks a person, and a
    customer nobody registered is not checked."""
    status, customer = facts.screening.kyc_status, facts.screening.source_customer
    if status is None:
        return Check("kyc_check", "kyc:unregistered", "passed", f"customer {customer!r} is not registered for KYC: not checked")
    result = {"verified": "passed", "rejected": "failed"}.get(status, "review")
    return Check("kyc_check", f"kyc:{status}", result, f"customer {customer!r} has KYC status {status}")


def _corridor(rules: PolicyRules, facts: IntentFacts) -> Check:
    if not rules.corridors:
        return Check("corridor_check", "corridors:*", "passed", "every corridor is allowed")
    if facts.corridor in rules.corridors:
        return Check("corridor_check", f"corridor:{facts.corridor}", "passed", f"corridor {facts.corridor} is allowed")
    named = "names no corridor" if facts.corridor == ANY else f"goes through {facts.corridor}"
    return Check("corridor_check", "corridors", "failed", f"the intent {named}; the policy allows only {', '.join(rules.corridors)}")


def _limit(rules: PolicyRules, facts: IntentFacts) -> Check:
    limits = {(lim.kind, lim.currency): lim.max_minor for lim in rules.amount_limits}
    for kind, currency in ((facts.kind, facts.currency), (ANY, facts.currency), (facts.kind, ANY), (ANY, ANY)):
        if (kind, currency) in limits:
            limit, rule_id = limits[(kind, currency)], f"amount_limit:{kind}:{currency}"
            over = facts.amount_minor > limit
            verb = "is over" if over else "is within"
            return Check("limit_check", rule_id, "failed" if over else "passed", f"{_money(facts.amount_minor, facts)} {verb} the limit of {_money(limit, facts)}")
    return Check("limit_check", "amount_limit:none", "passed", f"no amount limit applies to {facts.kind} in {facts.currency}")


def _velocity_checks(rules: PolicyRules, facts: IntentFacts, seen: Velocity) -> list[Check]:
    rule, checks = rules.velocity, []
    if rule is not None and rule.max_count is not None:
        count = seen.count + 1
        result = "review" if count > rule.max_count else "passed"
        checks.append(Check("velocity_check", "velocity:count", result, f"{count} intents from this source in {rule.window_seconds} s, at most {rule.max_count} allowed"))
    matched = None if rule is None else _for_currency(rule.max_minor, facts.currency)
    if matched is not None:
        key, limit = matched
        total = seen.amount_minor + facts.amount_minor
        result = "review" if total > limit else "passed"
        checks.append(Check("velocity_check", f"velocity:amount:{key}", result, f"{_money(total, facts)} from this source in {rule.window_seconds} s, at most {_money(limit, facts)} allowed"))
    return checks or [Check("velocity_check", "velocity:none", "passed", f"no velocity limit applies in {facts.currency}")]


def _threshold(rule: str, table: dict[str, int], facts: IntentFacts, what: str) -> Check:
    matched = _for_currency(table, facts.currency)
    if matched is None:
        return Check(rule, f"{rule}:none", "passed", f"no {what} threshold in {facts.currency}")
    key, threshold = matched
    reached = facts.amount_minor >= threshold
    verb = "reaches" if reached else "is under"
    return Check(rule, f"{rule}:{key}", "review" if reached else "passed", f"{_money(facts.amount_minor, facts)} {verb} the {what} threshold of {_money(threshold, facts)}")


def _money(amount_minor: int, facts: IntentFacts) -> str:
    return format_minor(amount_minor, facts.currency)


def evaluate(rules: PolicyRules, version: int, facts: IntentFacts, velocity: Velocity) -> Decision:
    """The decision of policy `version` on an intent, with every rule's check in order."""
    checks = (
        _screen(rules, facts),
        _watchlist(facts),
        _kyc(facts),
        _corridor(rules, facts),
        _limit(rules, facts),
        *_velocity_checks(rules, facts, velocity),
        _threshold("review_threshold", rules.review_threshold, facts, "review"),
        _threshold("dual_approval", rules.dual_approval_threshold, facts, "dual-approval"),
    )
    failed = [c for c in checks if c.result == "failed"]
    if failed:
        return Decision("reject", failed[0].reason, 0, checks, version)
    held = [c for c in checks if c.result == "review"]
    if held:
        approvals = 2 if any(c.rule == "dual_approval" for c in held) else 1
        return Decision("review", held[0].reason, approvals, checks, version)
    return Decision("accept", None, 0, checks, version)
