"""Matching a provider's report against the settlements the ledger recorded: pure functions over
explicit inputs, so the rules are read and tested without a database.

The order, each step only seeing what the steps before left:

1. **Exact id.** A line whose reference is a settlement's provider reference (the intent's
   internal id, which the provider was given) or its public intent id. Equal amount and currency:
   `exact_id`. Several lines of one reference summing to its settlement(s), or one line summing
   several settlements of that reference: `one_to_many`. Otherwise the line and the settlement are
   an `amount_differs` exception. Further lines of a reference already used, or a reference whose
   settlements an earlier run already matched, are `duplicate`.
2. **Amount and date.** A line whose reference the ledger does not know matches an unmatched
   settlement of the same currency and amount whose value date is within `tolerance_days`: the
   nearest date first, then the same counterparty, then the earliest settlement.
3. **One-to-many.** A line equal to the sum of every remaining settlement of its counterparty on
   one day (within the tolerance, nearest day first), or a remaining settlement equal to the sum
   of every remaining line of its counterparty and day. Whole groups only: choosing a subset that
   sums right is a guess, not a match.
4. What is left: lines are `missing_in_ledger`; unmatched settlements dated inside the report's
   period are `missing_in_report` (unless an earlier run already raised that for them).
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import date, timedelta
from typing import NamedTuple

from backend.reconciliation.mapping import ReportLine

METHODS = ("exact_id", "amount_date", "one_to_many", "manual")
REASONS = ("missing_in_ledger", "missing_in_report", "amount_differs", "duplicate")


class Expected(NamedTuple):
    """A settlement as matching sees it; `matched` if an earlier run or callback matched it."""

    id: str
    reference: str
    intent_id: str
    amount_minor: int
    currency: str
    value_date: date
    counterparty: str
    matched: bool = False


@dataclass(frozen=True)
class Pairing:
    """Lines and settlements that reconcile, and which rule found them."""

    method: str
    line_nos: tuple[int, ...]
    settlement_ids: tuple[str, ...]


@dataclass(frozen=True)
class Mismatch:
    """One exception for finance: why, and the line and/or settlement behind it."""

    reason: str
    reference: str
    currency: str
    detail: str
    line_no: int | None = None
    settlement_id: str | None = None
    report_amount_minor: int | None = None
    ledger_amount_minor: int | None = None


@dataclass
class Outcome:
    pairings: list[Pairing] = field(default_factory=list)
    mismatches: list[Mismatch] = field(default_factory=list)

    def matched_lines(self) -> int:
        return sum(len(p.line_nos) for p in self.pairings)

    def counts(self) -> dict[str, int]:
        """Lines matched per method and exceptions per reason."""
        counts = dict.fromkeys(METHODS[:3] + REASONS, 0)
        for pairing in self.pairings:
            counts[pairing.method] += len(pairing.line_nos)
        for mismatch in self.mismatches:
            counts[mismatch.reason] += 1
        return counts


def reconcile(lines: Sequence[ReportLine], expected: Sequence[Expected], period: tuple[date, date], tolerance_days: int, already_reported: frozenset[str] = frozenset()) -> Outcome:
    """Match `lines` against `expected` (which should hold every settlement of the provider dated
    within the period widened by the tolerance, plus any named by a line's reference)."""
    matcher = _Matcher(expected, timedelta(days=tolerance_days))
    pool = matcher.by_reference(lines)
    pool = matcher.by_amount_and_date(pool)
    pool = matcher.line_to_many(pool)
    pool = matcher.many_to_settlement(pool)
    for line in pool:
        matcher.mismatch("missing_in_ledger", line, None, "no settlement in the ledger has this reference, or this amount within the date tolerance")
    start, end = period
    for settlement in matcher.available():
        if start <= settlement.value_date <= end and settlement.id not in already_reported:
            matcher.mismatch("missing_in_report", None, settlement, f"settled on {settlement.value_date.isoformat()} but no line of the report matches it")
    return matcher.outcome


class _Matcher:
    def __init__(self, expected: Sequence[Expected], tolerance: timedelta):
        self.expected = expected
        self.tolerance = tolerance
        self.taken: set[str] = set()
        self.outcome = Outcome()
        self.by_ref: dict[str, list[Expected]] = defaultdict(list)
        for settlement in expected:
            self.by_ref[settlement.reference].append(settlement)
            if settlement.intent_id != settlement.reference:
                self.by_ref[settlement.intent_id].append(settlement)

    def available(self) -> Iterable[Expected]:
        return (s for s in self.expected if not s.matched and s.id not in self.taken)

    def pair(self, method: str, lines: Sequence[ReportLine], settlements: Sequence[Expected]) -> None:
        self.taken.update(s.id for s in settlements)
        self.outcome.pairings.append(Pairing(method, tuple(line.line_no for line in lines), tuple(s.id for s in settlements)))

    def mismatch(self, reason: str, line: ReportLine | None, settlement: Expected | None, detail: str) -> None:
        if settlement is not None:
            self.taken.add(settlement.id)
        self.outcome.mismatches.append(Mismatch(
            reason=reason,
            reference=line.reference if line is not None else settlement.reference,
            currency=line.currency if line is not None else settlement.currency,
            detail=detail,
            line_no=line.line_no if line is not None else None,
            settlement_id=settlement.id if settlement is not None else None,
            report_amount_minor=line.amount_minor if line is not None else None,
            ledger_amount_minor=settlement.amount_minor if settlement is not None else None,
        ))

    def by_reference(self, lines: Sequence[ReportLine]) -> list[ReportLine]:
        """Step 1; answers the lines whose reference the ledger does not know (first of each)."""
        groups: dict[str, list[ReportLine]] = defaultdict(list)
        for line in lines:
            groups[line.reference].append(line)
        pool = []
        for reference, group in groups.items():
            candidates = self.by_ref.get(reference)
            if candidates:
                self._reference_group(reference, group, candidates)
                continue
            pool.append(group[0])
            for extra in group[1:]:
                self.mismatch("duplicate", extra, None, f"reference {reference} appears {len(group)} times in the report (first on line {group[0].line_no})")
        return pool

    def _reference_group(self, reference: str, group: list[ReportLine], candidates: list[Expected]) -> None:
        open_ = [s for s in candidates if not s.matched and s.id not in self.taken]
        if not open_:
            for line in group:
                self.mismatch("duplicate", line, None, f"reference {reference} was already reconciled")
            return
        lines = list(group)
        for settlement in list(open_):
            hit = next((line for line in lines if line.amount_minor == settlement.amount_minor and line.currency == settlement.currency), None)
            if hit is not None:
                self.pair("exact_id", [hit], [settlement])
                lines.remove(hit)
                open_.remove(settlement)
        if lines and open_ and len(lines) + len(open_) > 2 and _same_total(lines, open_):
            self.pair("one_to_many", lines, open_)
            return
        for line, settlement in zip(lines, open_):
            self.mismatch("amount_differs", line, settlement, f"report says {line.amount_minor} {line.currency}, ledger settled {settlement.amount_minor} {settlement.currency}")
        for extra in lines[len(open_):]:
            self.mismatch("duplicate", extra, None, f"reference {reference} appears {len(group)} times in the report")

    def by_amount_and_date(self, pool: list[ReportLine]) -> list[ReportLine]:
        """Step 2; answers the lines still unmatched."""
        index: dict[tuple[str, int], list[Expected]] = defaultdict(list)
        for settlement in self.available():
            index[(settlement.currency, settlement.amount_minor)].append(settlement)
        left = []
        for line in pool:
            candidates = index.get((line.currency, line.amount_minor), [])
            near = [s for s in candidates if abs(s.value_date - line.value_date) <= self.tolerance]
            if not near:
                left.append(line)
                continue
            best = min(near, key=lambda s: (abs(s.value_date - line.value_date), s.counterparty != line.counterparty, s.value_date, s.id))
            candidates.remove(best)
            self.pair("amount_date", [line], [best])
        return left

    def line_to_many(self, pool: list[ReportLine]) -> list[ReportLine]:
        """Step 3a: one line, several settlements of its counterparty and day."""
        groups: dict[tuple[str, str, date], list[Expected]] = defaultdict(list)
        for settlement in self.available():
            groups[(settlement.currency, settlement.counterparty, settlement.value_date)].append(settlement)
        left = []
        for line in pool:
            group = self._summing_group(line, groups) if line.counterparty is not None else None
            if group is None:
                left.append(line)
                continue
            self.pair("one_to_many", [line], group)
        return left

    def _summing_group(self, line: ReportLine, groups: dict[tuple[str, str, date], list[Expected]]) -> list[Expected] | None:
        """The untouched group of two or more settlements of the line's counterparty, on the
        nearest day within the tolerance, that sums to the line's amount."""
        for day in self._days_around(line.value_date):
            group = groups.get((line.currency, line.counterparty, day), [])
            if len(group) > 1 and not any(s.id in self.taken for s in group) and sum(s.amount_minor for s in group) == line.amount_minor:
                return group
        return None

    def many_to_settlement(self, pool: list[ReportLine]) -> list[ReportLine]:
        """Step 3b: several lines of one counterparty and day, one settlement."""
        groups: dict[tuple[str, str, date], list[ReportLine]] = defaultdict(list)
        for line in pool:
            if line.counterparty is not None:
                groups[(line.currency, line.counterparty, line.value_date)].append(line)
        by_total: dict[tuple[str, str, int], list[Expected]] = defaultdict(list)
        for settlement in self.available():
            by_total[(settlement.currency, settlement.counterparty, settlement.amount_minor)].append(settlement)
        used: set[int] = set()
        for (currency, counterparty, day), group in groups.items():
            if len(group) < 2:
                continue
            candidates = [s for s in by_total.get((currency, counterparty, sum(line.amount_minor for line in group)), []) if s.id not in self.taken and abs(s.value_date - day) <= self.tolerance]
            if candidates:
                best = min(candidates, key=lambda s: (abs(s.value_date - day), s.id))
                self.pair("one_to_many", group, [best])
                used.update(line.line_no for line in group)
        return [line for line in pool if line.line_no not in used]

    def _days_around(self, day: date) -> Iterable[date]:
        yield day
        for offset in range(1, self.tolerance.days + 1):
            yield day - timedelta(days=offset)
            yield day + timedelta(days=offset)


def _same_total(lines: Sequence[ReportLine], settlements: Sequence[Expected]) -> bool:
    currencies = {line.currency for line in lines} | {s.currency for s in settlements}
    return len(currencies) == 1 and sum(line.amount_minor for line in lines) == sum(s.amount_minor for s in settlements)
