"""Reconciliation of a 100,000-line provider report (issue 7): import, parse, match and store, timed.

    .venv/bin/python bench/recon.py [--db sqlite|postgres] [--lines N] [--pg-url URL] [--seed S]

It opens a fresh database (a SQLite file in a temp dir, or a new PostgreSQL schema, dropped at
the end), creates a tenant and a provider, and inserts directly (bulk, untimed) the intents that
provider settled and the settlement records reconciliation matches against (one per intent, as
the settlement callback writes them), spread over five days in USD, EUR and JPY. Then it writes
the provider's report in the default mapping (decimal amounts) with a sprinkle of every case:
lines with the provider's own reference (matched by amount and date), lines that sum two
settlements of one counterparty (one-to-many), lines whose amount differs, duplicated lines,
lines for nothing in the ledger, and settlements left out of the report.

Timed: `runs.import_report` in one write transaction, exactly what `POST /v1/reconciliation/runs`
runs after authentication (parse the CSV, load the provider's settlements, match, insert lines,
matches and exceptions, mark settlements matched, the event), committed. Figures: lines/s, total
seconds, matches by method and exceptions by reason (checked against the sprinkle), and the peak
RSS of this process. Target: under 10 s on SQLite.
"""

from __future__ import annotations

import argparse
import os
import random
import resource
import secrets
import sys
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, datetime, timedelta, timezone
from pathlib import Path

from sqlalchemy import create_engine, text

from backend.config import Settings
from backend.db import transactions
from backend.db.bulk import insert_rows
from backend.db.tables import Intent, ReconciliationSettlement
from backend.intents.lifecycle import Trace
from backend.providers.registry import create_provider
from backend.reconciliation import runs
from backend.reconciliation.mapping import decimal_text
from backend.runtime import Runtime, open_runtime
from backend.tenancy.scope import Scope
from backend.tenancy.tenants import create_tenant

DEFAULT_PG_URL = "postgresql+psycopg://postgres@127.0.0.1:5432/test"
TARGET_SECONDS = 10.0
DAYS = 5
CURRENCIES = ("USD", "EUR", "JPY")
INSERT_CHUNK = 10_000
# Shares of the report's lines.
OWN_REFERENCE, PAIRS, DIFFERS, DUPLICATES, GHOSTS, LEFT_OUT = 0.01, 0.002, 0.005, 0.003, 0.003, 0.003


@dataclass
class Settled:
    reference: str
    amount_minor: int
    currency: str
    day: date
    counterparty: str


@dataclass
class Book:
    scope: Scope
    provider_id: str
    report: str
    expected: dict[str, int]


def open_database(args: argparse.Namespace, data_dir: Path) -> tuple[Runtime, Callable[[], None]]:
    """A fresh database and the function that removes it."""
    if args.db == "sqlite":
        runtime = open_runtime(Settings(data_dir=data_dir, database_url=f"sqlite:///{data_dir / 'zentra.db'}", nats_url=None, redis_url=None))
        return runtime, runtime.db.dispose
    schema = f"zbench_{secrets.token_hex(4)}"
    admin = create_engine(args.pg_url)
    with admin.begin() as conn:
        conn.execute(text(f"CREATE SCHEMA {schema}"))
    runtime = open_runtime(Settings(data_dir=data_dir, database_url=args.pg_url, nats_url=None, redis_url=None), schema=schema)

    def drop() -> None:
        runtime.db.dispose()
        with admin.begin() as conn:
            conn.execute(text(f"DROP SCHEMA {schema} CASCADE"))
        admin.dispose()

    return runtime, drop


def settlements_for(lines: int, rng: random.Random, first_day: date) -> tuple[list[Settled], int, int]:
    """Enough settlements that the report, once sprinkled, has exactly `lines` lines; answers
    them with the number of one-to-many pairs and of settlements left out (both at the front)."""
    pairs, left_out = int(lines * PAIRS), int(lines * LEFT_OUT)
    count = lines + pairs + left_out - int(lines * DUPLICATES) - int(lines * GHOSTS)
    # Amounts are unique and kept apart by their remainder mod 4 (settlements 0, pair members 1,
    # so pair sums 2, ghost lines 3), so no line can match a settlement it was not written for and
    # the counts can be checked exactly.
    amounts = rng.sample(range(25, 12_500_000), count)
    settled = [
        Settled(f"intent_{i:07d}_{secrets.token_hex(4)}", 4 * amounts[i], rng.choice(CURRENCIES), first_day + timedelta(days=rng.randrange(DAYS)), f"Customer {i}")
        for i in range(count)
    ]
    for p in range(pairs):  # each pair: one counterparty, one day, one currency
        a, b = settled[2 * p], settled[2 * p + 1]
        b.day, b.currency = a.day, a.currency
        a.counterparty = b.counterparty = f"Batch {p}"
        a.amount_minor, b.amount_minor = a.amount_minor + 1, b.amount_minor + 1
    return settled, pairs, left_out


def write_report(settled: list[Settled], pairs: int, left_out: int, lines: int, rng: random.Random) -> tuple[str, dict[str, int]]:
    """The report's CSV and the counts it should reconcile to."""
    rows: list[tuple[str, int, str, date, str]] = []
    for p in range(pairs):
        a, b = settled[2 * p], settled[2 * p + 1]
        rows.append((f"BATCH-{p}", a.amount_minor + b.amount_minor, a.currency, a.day, a.counterparty))
    rest = settled[2 * pairs + left_out :]
    own, differs = int(lines * OWN_REFERENCE), int(lines * DIFFERS)
    for i, s in enumerate(rest):
        if i < own:
            rows.append((f"PSP-{i:07d}", s.amount_minor, s.currency, s.day, s.counterparty))
        elif i < own + differs:
            rows.append((s.reference, s.amount_minor + 1, s.currency, s.day, s.counterparty))
        else:
            rows.append((s.reference, s.amount_minor, s.currency, s.day, s.counterparty))
    exact = rows[pairs + own + differs :]
    rows += [rng.choice(exact) for _ in range(int(lines * DUPLICATES))]
    rows += [(f"GHOST-{i}", 3 + 4 * rng.randrange(10**8), "USD", rest[0].day, "Nobody") for i in range(int(lines * GHOSTS))]
    rng.shuffle(rows)
    body = [f"{ref},{decimal_text(amount, cur)},{cur},{day.isoformat()},{cp}" for ref, amount, cur, day, cp in rows]
    expected = {
        "lines": len(rows),
        "exact_id": len(rest) - own - differs,
        "amount_date": own,
        "one_to_many": pairs,
        "amount_differs": differs,
        "duplicate": int(lines * DUPLICATES),
        "missing_in_ledger": int(lines * GHOSTS),
        "missing_in_report": left_out,
    }
    return "\n".join(["reference,amount,currency,value_date,counterparty", *body]) + "\n", expected


def _intent_row(scope: Scope, provider_id: str, s: Settled, at: datetime) -> dict:
    return {
        "id": s.reference, "tenant_id": scope.tenant_id, "mode": scope.mode, "intent_id": s.reference.replace("intent_", "pay_"), "kind": "payment",
        "status": "evidenced", "amount_minor": s.amount_minor, "currency": s.currency, "source_account_id": "acct_bench", "destination": "acct_merchant",
        "destination_account_id": "acct_merchant", "counterparty": s.counterparty, "corridor": "*", "scope_label": "bench", "money_model": "bench",
        "primitives_json": "[]", "created_by": "bench", "created_role": "api_key", "policy_version": 0, "decision_json": "{}", "hold_id": None,
        "postings_json": "[]", "provider_id": provider_id, "routing_json": "[]", "failure_code": None, "failure_message": None, "revision": 1,
        "next_action_at": None, "created_at": at, "updated_at": at,
    }


def _settlement_row(scope: Scope, provider_id: str, s: Settled, at: datetime) -> dict:
    return {
        "id": f"rcs_{s.reference[7:]}", "tenant_id": scope.tenant_id, "mode": scope.mode, "provider_id": provider_id, "reference": s.reference,
        "intent_id": s.reference.replace("intent_", "pay_"), "posting_id": f"pst_{s.reference[7:]}", "amount_minor": s.amount_minor, "currency": s.currency,
        "counterparty": s.counterparty, "settled_at": at, "value_date": s.day, "status": "unmatched", "matched_run_id": None, "recorded_at": at,
    }


def build(runtime: Runtime, lines: int, seed: int) -> Book:
    """Tenant, provider, settled intents and their settlement records (bulk), and the report."""
    tenant = transactions.write(runtime.db, lambda s: create_tenant(s, "recon bench"))
    scope = Scope(tenant.tenant_id, "sandbox", actor="bench", role="api_key")
    provider_id = transactions.write(runtime.db, lambda s: create_provider(s, scope, {"name": "bench provider"}, runtime.now()))["id"]
    rng = random.Random(seed)
    first_day = runtime.now().date() - timedelta(days=DAYS)
    settled, pairs, left_out = settlements_for(lines, rng, first_day)
    at = datetime.combine(first_day, datetime.min.time(), tzinfo=timezone.utc)
    for start in range(0, len(settled), INSERT_CHUNK):
        chunk = settled[start : start + INSERT_CHUNK]

        def insert(session, chunk=chunk) -> None:
            insert_rows(session.connection(), Intent.__table__, [_intent_row(scope, provider_id, s, at) for s in chunk])
            insert_rows(session.connection(), ReconciliationSettlement.__table__, [_settlement_row(scope, provider_id, s, at) for s in chunk])

        transactions.write(runtime.db, insert)
    report, expected = write_report(settled, pairs, left_out, lines, rng)
    return Book(scope, provider_id, report, expected)


def peak_rss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def bench(args: argparse.Namespace, runtime: Runtime) -> int:
    started = time.perf_counter()
    book = build(runtime, args.lines, args.seed)
    print(f"setup: {len(book.report.splitlines()) - 1:,} report lines, {len(book.report) / 1e6:.1f} MB of CSV, settlements inserted in {time.perf_counter() - started:.1f} s; peak RSS {peak_rss_mb():.0f} MB")
    body = {"provider_id": book.provider_id, "report": book.report, "file_name": "bench.csv"}
    started = time.perf_counter()
    run = transactions.write(runtime.db, lambda s: runs.import_report(s, Trace(book.scope, runtime.now(), None, "bench"), body))
    seconds = time.perf_counter() - started
    counts = run["counts"]
    print(f"import + match: {run['line_count']:,} lines in {seconds:.2f} s = {run['line_count'] / seconds:,.0f} lines/s (target < {TARGET_SECONDS:.0f} s: {'met' if seconds < TARGET_SECONDS else 'MISSED'})")
    print(f"matched: {run['matched_count']:,} lines, rate {run['match_rate']}; by method: " + ", ".join(f"{m} {counts[m]:,}" for m in ("exact_id", "amount_date", "one_to_many")))
    print("exceptions by reason: " + ", ".join(f"{r} {counts[r]:,}" for r in ("amount_differs", "duplicate", "missing_in_ledger", "missing_in_report")) + f" (total {run['exception_count']:,})")
    print(f"peak RSS of this process: {peak_rss_mb():.0f} MB")
    found = {"lines": run["line_count"], **{k: counts[k] for k in book.expected if k != "lines"}}
    if found != book.expected:
        print(f"MISMATCH with the sprinkle: expected {book.expected}, found {found}")
        return 1
    print("every count equals the sprinkle written into the report")
    return 0


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--db", choices=["sqlite", "postgres"], default="sqlite")
    parser.add_argument("--pg-url", default=os.environ.get("ZENTRA_BENCH_PG_URL", DEFAULT_PG_URL))
    parser.add_argument("--lines", type=int, default=100_000, help="report lines (default 100,000)")
    parser.add_argument("--seed", type=int, default=7)
    args = parser.parse_args()
    print(f"reconciliation bench: {args.db}, {os.cpu_count()} cores, load average {os.getloadavg()[0]:.1f} at start")
    with tempfile.TemporaryDirectory(prefix="zentra-recon-bench-") as tmp:
        runtime, remove = open_database(args, Path(tmp))
        try:
            return bench(args, runtime)
        finally:
            remove()
            print(f"load average {os.getloadavg()[0]:.1f} at end")


if __name__ == "__main__":
    sys.exit(main())
