"""Screening an intent as it is judged: the facts the policy decides on (`rules.Screening`).

Two things are looked up before any money moves: the KYC status of the customer behind the
source account, and whether the counterparty matches an entry of the scope's current screening
lists. The counterparty is screened by the intent's `counterparty` and, when that string is a
registered customer, by the customer's name as well. Matches are recorded once, when the intent
is first screened (`screening.matched`, object the intent); judging the intent again (after an
amendment) reads the recorded matches and their decisions instead of screening afresh, so a
match compliance cleared stays cleared, and an intent with a match stays with a person until a
reviewer approves it (an amendment cannot take it past review).

Each list version is compiled into a `Matcher` once per process and kept (versions never
change), so judging an intent costs a few small queries plus the C search.
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from datetime import datetime

import orjson
from sqlmodel import Session

from backend.db.tables import (
    Account,
    Customer,
    Intent,
    ScreeningEntry,
    ScreeningList,
    ScreeningResult,
)
from backend.events.outbox import PendingEvent, record
from backend.policy.rules import Screening
from backend.screening import customers, lists, results
from backend.screening.matching import Entry, Matcher
from backend.screening.names import normalise
from backend.tenancy.scope import Scope

CACHED_LISTS = 32
_matchers: OrderedDict[str, Matcher] = OrderedDict()
_lock = threading.Lock()


def screen_intent(session: Session, scope: Scope, intent: Intent, now: datetime) -> Screening:
    """What screening says about `intent`, recording its matches the first time."""
    source_customer = session.get(Account, intent.source_account_id).customer  # intake has it loaded already
    known = customers.registered(session, scope, [source_customer, intent.counterparty])
    source = known.get(source_customer)
    kyc = source.kyc_status if source is not None else None
    current = lists.current_lists(session, scope)
    recorded = results.of_intent(session, intent.id)
    if not recorded:
        names = _names_to_screen(intent.counterparty, known.get(intent.counterparty))
        recorded = _record_matches(session, scope, intent, _find(session, current, names), now)
    hits = tuple(_describe(r) for r in recorded)
    return Screening(kyc_status=kyc, source_customer=source_customer, lists=len(current), hits=hits)


def _names_to_screen(counterparty: str, registered: Customer | None) -> list[str]:
    """The counterparty as written and, if it is a registered customer, their name; each once."""
    names, seen = [], set()
    for name in (counterparty, registered.name if registered is not None else ""):
        key = normalise(name)
        if key and key not in seen:
            seen.add(key)
            names.append(name)
    return names


def _find(session: Session, current: list[ScreeningList], names: list[str]) -> list[results.Found]:
    """The best match per list entry, across the names screened."""
    best: dict[tuple[str, str], results.Found] = {}
    for listed in current:
        matcher = matcher_for(session, listed)
        for name in names:
            for match in matcher.match(name):
                key = (listed.id, match.entry_id)
                if key not in best or match.score > best[key].match.score:
                    best[key] = results.Found(listed.id, name, match)
    return sorted(best.values(), key=lambda f: -f.match.score)


def _record_matches(session: Session, scope: Scope, intent: Intent, found: list[results.Found], now: datetime) -> list[ScreeningResult]:
    if not found:
        return []
    rows = results.record(session, intent, found, now)
    summary = [{"id": r.id, "list_id": r.list_id, "entry_id": r.entry_id, "matched_name": r.matched_name, "score": r.score, "method": r.method} for r in rows]
    record(session, scope, [PendingEvent("screening.matched", intent.intent_id, {"intent_id": intent.intent_id, "screened": intent.counterparty, "matches": summary}, now, intent.intent_id)])
    return rows


def _describe(row: ScreeningResult) -> str:
    return f"{row.screened_name!r} matched {row.matched_name!r} ({row.method} {row.score}, {row.id}, {row.decision})"


def matcher_for(session: Session, listed: ScreeningList) -> Matcher:
    """The compiled matcher of one list version (built on first use, then kept in process)."""
    with _lock:
        matcher = _matchers.get(listed.id)
        if matcher is not None:
            _matchers.move_to_end(listed.id)
            return matcher
    matcher = Matcher([_entry(e) for e in lists.entry_rows(session, listed.id)])
    with _lock:
        _matchers[listed.id] = matcher
        while len(_matchers) > CACHED_LISTS:
            _matchers.popitem(last=False)
    return matcher


def _entry(row: ScreeningEntry) -> Entry:
    aliases = orjson.loads(row.aliases_json)
    return Entry(row.id, ((row.name, row.normalised), *((a["name"], a["normalised"]) for a in aliases)))
