"""Screening speed: matching names against a 10,000-entry list, and what screening adds to taking
an intent in.

Phase 1 (pure): parse a generated CSV of `--entries` names (a third with aliases), compile the
`Matcher`, then match `--queries` names (a third listed exactly, a third with one letter changed,
a third not listed) and print p50/p99 per name.
Phase 2 (SQLite in a temp dir, in process): load the list with `replace_list`, time the first
`matcher_for` (read the entries, compile), then create `--intents` payments through
`create_intent` in a tenant with the list and in one without any, and print ms per intent.

    .venv/bin/python bench/screening.py
    .venv/bin/python bench/screening.py --entries 10000 --queries 3000 --intents 300
"""

from __future__ import annotations

import argparse
import random
import statistics
import tempfile
import time
from pathlib import Path

from backend.config import Settings
from backend.db import transactions
from backend.intents.intake import create_intent
from backend.intents.lifecycle import Trace
from backend.intents.requests import parse_runtime_intent
from backend.ledger.accounts import create_account
from backend.ledger.commands import PostingCommand
from backend.ledger.legs import Leg
from backend.ledger.postings import create_postings
from backend.runtime import open_runtime
from backend.screening import lists
from backend.screening.lists import parse_csv, replace_list
from backend.screening.matching import Matcher, entry
from backend.screening.screen import matcher_for
from backend.tenancy.scope import Scope
from backend.tenancy.tenants import create_tenant

SYLLABLES = ["ka", "ri", "mo", "an", "el", "vo", "su", "ta", "ne", "lo", "za", "bi", "or", "he", "du", "mi", "ra", "sh", "ov", "ic"]


def word(rng: random.Random) -> str:
    return "".join(rng.choice(SYLLABLES) for _ in range(rng.randint(2, 4))).capitalize()


def generated_csv(rng: random.Random, count: int) -> tuple[str, list[str]]:
    """A list file of `count` entries and their names."""
    names, lines = [], ["name,aliases,country,reference"]
    for i in range(count):
        name = " ".join(word(rng) for _ in range(rng.randint(2, 3)))
        aliases = ";".join(" ".join(word(rng) for _ in range(2)) for _ in range(rng.randint(1, 2))) if i % 3 == 0 else ""
        names.append(name)
        lines.append(f"{name},{aliases},XX,REF-{i:05d}")
    return "\n".join(lines) + "\n", names


def typo(rng: random.Random, name: str) -> str:
    i = rng.randrange(1, len(name))
    return name[:i] + rng.choice("aeiou") + name[i + 1 :]


KINDS = ("listed", "one letter changed", "not listed")


def queries(rng: random.Random, names: list[str], count: int) -> list[tuple[str, str]]:
    """(kind, name) pairs, the kinds in turn."""
    picks = []
    for i in range(count):
        listed = rng.choice(names)
        picks.append((KINDS[i % 3], [listed, typo(rng, listed), " ".join(word(rng) for _ in range(3))][i % 3]))
    return picks


def percentile(values: list[float], share: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(share * len(ordered)))]


def pure_phase(text: str, names: list[str], args) -> None:
    started = time.perf_counter()
    parsed = parse_csv(text)
    parse_s = time.perf_counter() - started
    started = time.perf_counter()
    matcher = Matcher([entry(f"e{e.line}", e.name, e.aliases) for e in parsed])
    build_s = time.perf_counter() - started
    rng = random.Random(11)
    timings, hits = [], dict.fromkeys(KINDS, 0)
    for kind, name in queries(rng, names, args.queries):
        started = time.perf_counter()
        found = matcher.match(name)
        timings.append((time.perf_counter() - started) * 1e6)
        hits[kind] += bool(found)
    print(f"phase 1: {len(parsed):,} entries; parse CSV {parse_s * 1000:.0f} ms, compile matcher {build_s * 1000:.0f} ms")
    print(f"  match one name: p50 {statistics.median(timings):,.0f} µs, p99 {percentile(timings, 0.99):,.0f} µs over {len(timings):,} names")
    print("  names with a match: " + ", ".join(f"{kind} {count:,} of {args.queries // 3:,}" for kind, count in hits.items()))


def funded_scope(runtime, name: str) -> tuple[Scope, str, str]:
    def unit(session) -> tuple[Scope, str, str]:
        tenant = create_tenant(session, name)
        scope, now = Scope(tenant.tenant_id, "sandbox", actor="bench"), runtime.now()
        source = create_account(session, scope, {"customer": "bench customer", "currency": "USD", "account_type": "funding", "allow_negative": True}, now)["id"]
        merchant = create_account(session, scope, {"customer": "bench merchant", "currency": "USD", "account_type": "merchant"}, now)["id"]
        create_postings(session, scope, [PostingCommand(legs=(Leg(source, "debit", 1, "debit"), Leg(merchant, "credit", 1, "credit")))], atomic=True, now=now)
        return scope, source, merchant

    return transactions.write(runtime.db, unit)


def intents_ms(runtime, scope: Scope, source: str, merchant: str, names: list[str]) -> float:
    started = time.perf_counter()
    for name in names:
        body = {"kind": "payment", "amount_minor": 100, "currency": "USD", "source": source, "destination": merchant, "counterparty": name}
        transactions.write(runtime.db, lambda s, b=body: create_intent(s, Trace(scope, runtime.now(), None, "bench"), parse_runtime_intent(b)))
    return (time.perf_counter() - started) * 1000 / len(names)


def database_phase(text: str, names: list[str], args) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        settings = Settings(data_dir=Path(tmp), database_url=f"sqlite:///{Path(tmp) / 'bench.db'}", nats_url=None, redis_url=None)
        runtime = open_runtime(settings)
        listed, source, merchant = funded_scope(runtime, "screened")
        plain, plain_source, plain_merchant = funded_scope(runtime, "unscreened")
        entries = parse_csv(text)
        started = time.perf_counter()
        transactions.write(runtime.db, lambda s: replace_list(s, listed, "Bench", "generated", entries, runtime.now()))
        load_s = time.perf_counter() - started
        started = time.perf_counter()
        transactions.read(runtime.db, lambda s: matcher_for(s, lists.current_lists(s, listed)[0]))
        first_s = time.perf_counter() - started
        picks = [name for _, name in queries(random.Random(5), names, args.intents)]
        with_list = intents_ms(runtime, listed, source, merchant, picks)
        without = intents_ms(runtime, plain, plain_source, plain_merchant, picks)
        runtime.db.dispose()
    print(f"phase 2 (SQLite): load {len(entries):,} entries {load_s * 1000:.0f} ms; first screening in a process (read + compile) {first_s * 1000:.0f} ms")
    print(f"  create_intent: {with_list:.2f} ms per intent with the list, {without:.2f} ms with no list ({args.intents} intents each)")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--entries", type=int, default=10_000)
    parser.add_argument("--queries", type=int, default=3_000)
    parser.add_argument("--intents", type=int, default=300)
    args = parser.parse_args()
    text, names = generated_csv(random.Random(7), args.entries)
    pure_phase(text, names, args)
    database_phase(text, names, args)


if __name__ == "__main__":
    main()
