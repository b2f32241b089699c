"""Intents per second from accepted to evidenced with sandbox providers, and the p99 time from
accepted to ledgered (issue 5), against SQLite and PostgreSQL.

    .venv/bin/python bench/intents.py [--db sqlite|postgres|both] [--intents N] [--concurrency C]
                                      [--latency-ms MS] [--nats [URL]] [--py-spy PATH]

For each database it starts `zentra api` (one worker) on a fresh database the way bench/ledger.py
does (a new SQLite file, or a new PostgreSQL schema), creates a tenant, `--sources` funded
customer accounts and a few merchant accounts, one sandbox provider (a real HTTP participant
mounted at /sandbox in the same server, answering after `--latency-ms` and calling back with a
signed `intent.settled`) and the route `*` to it. After a short warm-up (whose intents are waited
for until evidenced), C concurrent clients (httpx.AsyncClient) send N `POST /v1/runtime/intents`
payments of 100..5,000 minor units, each from a random source to a random merchant. Each answer
is `201 ledgered`: accepted, controlled and ledgered happen inside the request, so its latency
is the accepted -> ledgered time a client sees. The server's own workers then route each intent
to the provider (`routed`), the provider's callback settles it (`synchronized`), and once its
audit records are sealed and its events are on the stream it is `evidenced`. The bench polls
`GET /v1/runtime/intents?status=evidenced&limit=1` (its `total`) until all N are evidenced or
`--timeout` passes, and reads the state history of `--sample` intents for the time each stage
took.

Figures: intents/s from accepted to evidenced (N / (the poll that saw the last one evidenced -
the first POST's start)), intents/s accepted (POST throughput), p50/p99 of the POST latency, the
p50/p99 of accepted -> evidenced and of each stage from the sampled intents' timestamps, RSS of
the api process, and the CPU each process used during the run (the load generator, PostgreSQL
and NATS share the 2 cores with the api).

NATS: `zentra api` always relays its outbox to JetStream (an embedded server it starts, unless
ZENTRA_NATS_URL is set), and an intent is evidenced only once its events are on the stream.
`--nats` points it at an external server instead: ZENTRA_NATS_URL from the environment, else
nats://127.0.0.1:4222 (or the URL given).

A non-201 answer is counted and listed; a 5xx or a transport error makes the exit status 1. Not
reaching the target is a measurement, not an error: the exit status is 0.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import math
import os
import random
import secrets
import shutil
import sys
import tempfile
import time
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from urllib.parse import urlsplit

import httpx
import psutil
from ledger import (
    DEFAULT_PG_URL,
    ApiServer,
    Profiler,
    Target,
    client,
    create_tenant,
    exit_on_sigterm,
    percentile,
    pg_parts,
    postgres_target,
    setup_book,
    sqlite_target,
)

TARGET_RATE = 300  # intents/s accepted -> evidenced, on PostgreSQL (issue 5)
DEFAULT_NATS = "nats://127.0.0.1:4222"
STATES = ("accepted", "controlled", "review", "ledgered", "routed", "synchronized", "retrying", "evidenced", "rejected", "failed", "reversed")
IN_FLIGHT = ("accepted", "controlled", "ledgered", "routed", "synchronized", "retrying")
STAGES = (("accepted", "ledgered"), ("ledgered", "routed"), ("routed", "synchronized"), ("synchronized", "evidenced"), ("accepted", "evidenced"))
VELOCITY_MAX_COUNT = 1000  # the default policy sends a source's 1,001st intent in an hour to review


# --------------------------------------------------------------------------- setup


@dataclass
class Setup:
    sources: list[str]
    merchants: list[str]
    provider: str


def _check(r: httpx.Response, expected: int, what: str) -> dict:
    if r.status_code != expected:
        raise RuntimeError(f"{what} failed: {r.status_code} {r.text[:500]}")
    return r.json()


async def setup_tenant(url: str, key: str, n_sources: int, n_merchants: int, latency_ms: int) -> Setup:
    # Funded customer accounts from bench/ledger.py (each holds 10^12 minor units); its hot
    # settlement account is not used.
    book = await setup_book(url, key, n_sources, 0.0)
    async with client(url, key, 8) as c:
        merchants = []
        for i in range(n_merchants):
            body = {"customer": f"merchant-{i}", "currency": "USD", "account_type": "merchant", "idempotency_key": secrets.token_hex(12)}
            merchants.append(_check(await c.post("/accounts", json=body), 201, "merchant account")["id"])
        body = {"name": "bench sandbox", "kind": "sandbox", "behaviour": {"latency_ms": latency_ms}, "idempotency_key": secrets.token_hex(12)}
        provider = _check(await c.post("/providers", json=body), 201, "sandbox provider")["id"]
        _check(await c.post("/routes", json={"corridor": "*", "providers": [provider], "idempotency_key": secrets.token_hex(12)}), 200, "route")
    return Setup(book.accounts, merchants, provider)


# --------------------------------------------------------------------------- load


@dataclass
class Fired:
    intents: list[str] = field(default_factory=list)  # ids of the 201 answers
    latencies: list[float] = field(default_factory=list)  # seconds, 201 answers only
    starts: list[float] = field(default_factory=list)  # wall-clock start of every POST
    answered: dict[str, int] = field(default_factory=dict)  # status of the 201 answers
    errors: dict[str, int] = field(default_factory=dict)  # non-201 answers and transport errors
    warmup_errors: dict[str, int] = field(default_factory=dict)  # the same, of the warm-up
    first_start: float = 0.0
    last_end: float = 0.0

    @property
    def seconds(self) -> float:
        return self.last_end - self.first_start

    @property
    def fatal(self) -> int:
        return sum(n for k, n in [*self.errors.items(), *self.warmup_errors.items()] if not k[:1].isdigit() or k.startswith("5"))


async def fire(url: str, key: str, setup: Setup, n: int, concurrency: int) -> Fired:
    """Send `n` payment intents from `concurrency` concurrent clients."""
    out = Fired()
    issued = 0
    out.first_start = time.time()
    async with client(url, key, concurrency) as c:

        async def worker(i: int) -> None:
            nonlocal issued
            rng = random.Random(f"{i}-{secrets.token_hex(4)}")
            while issued < n:
                issued += 1
                body = {
                    "kind": "payment",
                    "amount_minor": rng.randint(100, 5000),
                    "currency": "USD",
                    "source": rng.choice(setup.sources),
                    "destination": rng.choice(setup.merchants),
                    "idempotency_key": secrets.token_hex(12),
                }
                content = json.dumps(body).encode()
                start, t0 = time.time(), time.perf_counter()
                out.starts.append(start)
                try:
                    r = await c.post("/runtime/intents", content=content, headers={"content-type": "application/json"})
                except httpx.TransportError as exc:
                    out.errors[type(exc).__name__] = out.errors.get(type(exc).__name__, 0) + 1
                    continue
                dt = time.perf_counter() - t0
                out.last_end = max(out.last_end, start + dt)
                if r.status_code == 201:
                    answer = r.json()
                    out.latencies.append(dt)
                    out.intents.append(answer["intent_id"])
                    out.answered[answer["status"]] = out.answered.get(answer["status"], 0) + 1
                else:
                    try:
                        code = r.json()["error"]["code"]
                    except Exception:  # noqa: BLE001
                        code = "?"
                    out.errors[f"{r.status_code} {code}"] = out.errors.get(f"{r.status_code} {code}", 0) + 1

        await asyncio.gather(*(worker(i) for i in range(concurrency)))
    return out


async def count(c: httpx.AsyncClient, status: str) -> int:
    r = await c.get("/runtime/intents", params={"status": status, "limit": 1})
    return _check(r, 200, f"GET /v1/runtime/intents?status={status}")["total"]


async def census(c: httpx.AsyncClient) -> dict[str, int]:
    totals = await asyncio.gather(*(count(c, s) for s in STATES))
    return {s: t for s, t in zip(STATES, totals) if t}


@dataclass
class Waited:
    outcome: str  # "all evidenced", "timed out", or "stalled" (none left on its way: the rest ended elsewhere)
    done_at: float | None  # wall-clock time of the poll that saw the last one evidenced
    last_progress_at: float | None  # of the poll that last saw the evidenced count grow
    states: dict[str, int]


class Watcher:
    """Polls the evidenced count (cheap: `total` of a one-row page) from before the first POST, and
    the count in every state every few seconds, until `expect(n)` has been called and n intents in
    all are evidenced, none is left on its way, or the timeout passes."""

    def __init__(self, url: str, key: str, label: str, poll: float = 0.25, report_every: float = 5.0):
        self.url, self.key, self.label, self.poll, self.report_every = url, key, label, poll, report_every
        self.expected: int | None = None
        self.deadline = float("inf")

    def expect(self, n: int, timeout: float) -> None:
        self.expected, self.deadline = n, time.monotonic() + timeout

    async def run(self) -> Waited:
        async with client(self.url, self.key, 4) as c:
            seen, last_progress_at = -1, None
            next_report = time.monotonic() + self.report_every
            while True:
                n = await count(c, "evidenced")
                now = time.time()
                if n > seen:
                    seen, last_progress_at = n, now
                if self.expected is not None and n >= self.expected:
                    return Waited("all evidenced", now, last_progress_at, await census(c))
                if time.monotonic() >= next_report:
                    states = await census(c)
                    print(f"    {self.label}: {_fmt_census(states)}", flush=True)
                    if self.expected is not None and not any(states.get(s) for s in IN_FLIGHT) and states.get("evidenced", 0) < self.expected:
                        return Waited("stalled", None, last_progress_at, states)
                    next_report = time.monotonic() + self.report_every
                if time.monotonic() >= self.deadline:
                    return Waited("timed out", None, last_progress_at, await census(c))
                await asyncio.sleep(self.poll)


async def wait_evidenced(url: str, key: str, expected: int, timeout: float, *, label: str) -> Waited:
    watcher = Watcher(url, key, label)
    watcher.expect(expected, timeout)
    return await watcher.run()


def _fmt_census(states: dict[str, int]) -> str:
    return ", ".join(f"{s} {n:,}" for s, n in states.items()) or "none"


async def sample_stages(url: str, key: str, intents: list[str], n: int) -> dict[str, list[float]]:
    """Seconds each stage took, from the state history of `n` random intents."""
    chosen = random.Random(5).sample(intents, min(n, len(intents)))
    stages: dict[str, list[float]] = {f"{a}->{b}": [] for a, b in STAGES}
    async with client(url, key, 8) as c:
        sem = asyncio.Semaphore(8)

        async def one(intent_id: str) -> None:
            async with sem:
                r = await c.get(f"/runtime/intents/{intent_id}")
            at: dict[str, datetime] = {}
            for s in _check(r, 200, f"GET intent {intent_id}")["states"]:
                at.setdefault(s["state"], datetime.fromisoformat(s["at"]))
            for a, b in STAGES:
                if a in at and b in at:
                    stages[f"{a}->{b}"].append((at[b] - at[a]).total_seconds())

        await asyncio.gather(*(one(i) for i in chosen))
    return stages


async def why_failed(url: str, key: str, limit: int = 100, detail: int = 10) -> dict[str, int]:
    """Failure codes of up to `limit` failed intents, and for `detail` of them each routing
    attempt's result (e.g. `route_failed: timeout`)."""
    async with client(url, key, 4) as c:
        page = _check(await c.get("/runtime/intents", params={"status": "failed", "limit": limit}), 200, "GET failed intents")["data"]
        reasons: dict[str, int] = {}
        for i, intent in enumerate(page):
            code = (intent.get("failure") or {}).get("code", "?")
            if i < detail:
                routing = _check(await c.get(f"/runtime/intents/{intent['intent_id']}"), 200, "GET intent").get("routing") or []
                code += ": " + ", ".join(a.get("result", "?") for a in routing) if routing else ""
            reasons[code] = reasons.get(code, 0) + 1
        return reasons


# --------------------------------------------------------------------------- processes and CPU


def _cpu(p: psutil.Process) -> float:
    try:
        t = p.cpu_times()
        return t.user + t.system
    except psutil.Error:
        return 0.0


def api_processes(server: ApiServer) -> tuple[list[psutil.Process], list[psutil.Process]]:
    """The api's processes (the one started, plus uvicorn's workers with `--workers`) and its
    embedded nats-server."""
    api, nats = [psutil.Process(server.proc.pid)], []
    for p in api[0].children(recursive=True):
        try:
            (nats if "nats" in p.name() else api).append(p)
        except psutil.Error:
            continue
    return api, nats


class CpuMeter:
    """CPU seconds used during the run by the load generator (this process), the api process, its
    embedded nats-server, the external nats-server (`--nats`), the postgres processes on the
    machine (other clients' backends included; one that exits during the run is missed), and the
    whole machine."""

    def __init__(self, server: ApiServer, nats_url: str | None):
        self.server = server
        self.nats_port = urlsplit(nats_url).port if nats_url else None

    def _groups(self) -> dict[str, float]:
        api, nats = api_processes(self.server)
        groups = {"bench client": _cpu(psutil.Process()), "api": sum(_cpu(p) for p in api)}
        if nats:
            groups["nats (embedded)"] = sum(_cpu(p) for p in nats)
        if self.nats_port:
            for conn in psutil.net_connections("tcp"):
                if conn.status == psutil.CONN_LISTEN and conn.laddr.port == self.nats_port and conn.pid:
                    groups["nats (external)"] = _cpu(psutil.Process(conn.pid))
        for p in psutil.process_iter(["name"]):
            if (p.info["name"] or "").startswith("postgres"):
                groups[f"postgres:{p.pid}:{p.create_time()}"] = _cpu(p)
        t = psutil.cpu_times()
        groups["machine (all)"] = t.user + t.nice + t.system + t.irq + t.softirq + getattr(t, "steal", 0.0)
        return groups

    def __enter__(self) -> CpuMeter:
        self.start, self.t0 = self._groups(), time.monotonic()
        return self

    def __exit__(self, *exc) -> None:
        end = self._groups()
        self.seconds = time.monotonic() - self.t0
        used = {k: end[k] - self.start.get(k, 0.0) for k in end}  # a process started meanwhile counts whole
        for k in [k for k in used if k.startswith("postgres:")]:  # one that ended meanwhile is not seen
            used["postgres (all)"] = used.get("postgres (all)", 0.0) + used.pop(k)
        self.used = used


def pg_counters(url: str) -> dict[str, int]:
    """The database's deadlocks and rolled back transactions so far (pg_stat_database: every
    client of the database counts, not only this run's api)."""
    import psycopg

    p = pg_parts(url)
    with psycopg.connect(host=p["host"], port=p["port"], user=p["user"], password=p["password"], dbname=p["dbname"], autocommit=True) as conn:
        deadlocks, rollbacks = conn.execute("SELECT deadlocks, xact_rollback FROM pg_stat_database WHERE datname = current_database()").fetchone()
    return {"deadlocks": deadlocks, "rollbacks": rollbacks}


def api_rss_mb(server: ApiServer) -> tuple[float, float]:
    """RSS of the api's processes (workers included), and with its embedded nats-server."""
    api, _ = api_processes(server)
    return sum(_rss(p) for p in api) / 2**20, server.rss_mb()


def _rss(p: psutil.Process) -> int:
    try:
        return p.memory_info().rss
    except psutil.Error:
        return 0


# --------------------------------------------------------------------------- one database


@dataclass
class Result:
    name: str
    fired: Fired
    waited: Waited
    states: dict[str, int]  # of the timed run's intents
    stages: dict[str, list[float]]
    rss_before: tuple[float, float]
    rss_after: tuple[float, float]
    rss_peak: float
    cpu: CpuMeter
    load: tuple[float, float]
    pg: dict[str, int] | None  # deadlocks and rollbacks in the PostgreSQL database during the run
    failures: dict[str, int]  # failure code (and routing attempts' results) of up to 100 failed intents

    @property
    def n(self) -> int:
        return len(self.fired.intents)

    @property
    def evidenced(self) -> int:
        return self.states.get("evidenced", 0)

    @property
    def end_to_end_rate(self) -> float | None:
        """N / (all evidenced - first POST); when not all were, the evidenced ones over the time
        until the count last grew."""
        end = self.waited.done_at or self.waited.last_progress_at
        return self.evidenced / (end - self.fired.first_start) if end and self.evidenced else None

    @property
    def accept_rate(self) -> float:
        return self.n / self.fired.seconds if self.fired.seconds else 0.0


def bench_database(target: Target, args, workdir: Path) -> Result:
    if args.nats:
        target.env["ZENTRA_NATS_URL"] = args.nats
    print(f"[{target.name}] creating tenant ...", flush=True)
    key = create_tenant(target)
    server = ApiServer(target, workdir, "intents", ("--workers", str(args.workers))).wait_ready()
    try:
        n_sources = max(args.sources, math.ceil((args.intents + args.warmup) / (VELOCITY_MAX_COUNT * 0.8)))
        print(f"[{target.name}] {n_sources} funded sources, {args.merchants} merchants, a sandbox provider answering after {args.latency_ms} ms ...", flush=True)
        setup = asyncio.run(setup_tenant(server.url, key, n_sources, args.merchants, args.latency_ms))

        print(f"[{target.name}] warm-up: {args.warmup} intents, waiting for them to be evidenced ...", flush=True)
        warm = asyncio.run(fire(server.url, key, setup, args.warmup, min(8, args.concurrency)))
        if warm.errors:
            print(f"[{target.name}] warm-up: non-201 answers and transport errors: {warm.errors} (counted with the run's)", flush=True)
        waited = asyncio.run(wait_evidenced(server.url, key, len(warm.intents), args.warmup_timeout, label="warm-up"))
        if waited.done_at is None:
            why = asyncio.run(why_failed(server.url, key)) if waited.states.get("failed") else {}
            raise RuntimeError(f"warm-up intents not evidenced ({waited.outcome}, {args.warmup_timeout:.0f}s at most): {_fmt_census(waited.states)}; why failed: {why}; see {server.log_path}")
        print(f"[{target.name}] warm-up evidenced in {waited.done_at - warm.first_start:.1f}s", flush=True)

        rss_before = api_rss_mb(server)
        peak = [rss_before[1]]
        load = os.getloadavg()[0]

        async def run() -> tuple[Fired, Waited]:
            async def sample_rss() -> None:
                while True:
                    peak[0] = max(peak[0], server.rss_mb())
                    await asyncio.sleep(1)

            watcher = Watcher(server.url, key, target.name)
            sampler, watching = asyncio.create_task(sample_rss()), asyncio.create_task(watcher.run())
            try:
                fired = await fire(server.url, key, setup, args.intents, args.concurrency)
                print(f"[{target.name}] {len(fired.intents):,} accepted in {fired.seconds:.1f}s ({len(fired.intents) / fired.seconds:,.0f}/s); waiting for evidence ...", flush=True)
                watcher.expect(len(warm.intents) + len(fired.intents), args.timeout)
                waited = await watching
            finally:
                sampler.cancel()
                watching.cancel()
            return fired, waited

        print(f"[{target.name}] {args.intents:,} intents, {args.concurrency} concurrent clients ...", flush=True)
        pg_before = pg_counters(args.pg_url) if target.name == "postgres" else None
        with Profiler(args, server, f"intents-{target.name}"), CpuMeter(server, args.nats) as cpu:
            fired, waited = asyncio.run(run())
        pg = {k: v - pg_before[k] for k, v in pg_counters(args.pg_url).items()} if pg_before else None
        fired.warmup_errors = warm.errors
        states = {**waited.states, "evidenced": waited.states.get("evidenced", 0) - len(warm.intents)}
        rss_after = api_rss_mb(server)
        stages = asyncio.run(sample_stages(server.url, key, fired.intents, args.sample))
        failures = asyncio.run(why_failed(server.url, key)) if states.get("failed") else {}
        return Result(target.name, fired, waited, states, stages, rss_before, rss_after, max(peak[0], rss_after[1]), cpu, (load, os.getloadavg()[0]), pg, failures)
    finally:
        server.stop()


# --------------------------------------------------------------------------- report


def report(results: list[Result], args) -> None:
    w = 22
    line = "-" * (48 + (w + 2) * len(results) + 22)
    nats = args.nats or os.environ.get("ZENTRA_NATS_URL") or "embedded (started by zentra api)"
    print()
    print(f"Zentra intents benchmark: {args.intents:,} payment intents, {args.concurrency} httpx clients, {args.workers} api worker(s), sandbox provider latency {args.latency_ms} ms, "
          f"NATS {nats}, {os.cpu_count()} CPUs, load generator on the same machine")
    print("load average (1 min) at start / end of the timed run: " + ", ".join(f"{r.name} {r.load[0]:.2f} / {r.load[1]:.2f}" for r in results))
    print(line)
    print(f"{'metric':48}" + "".join(f"{r.name:>{w}}  " for r in results) + f"{'target':>22}")
    print(line)

    def row(label: str, values: list[str], target: str = "") -> None:
        print(f"{label:48}" + "".join(f"{v:>{w}}  " for v in values) + f"{target:>22}")

    def ms(values: list[float], p: float) -> str:
        return f"{percentile(values, p) * 1000:,.0f}" if values else "-"

    def met(ok: bool) -> str:
        return "met" if ok else "NOT met"

    rates = [r.end_to_end_rate for r in results]
    pg = next((r for r in results if r.name == "postgres"), None)
    verdict = ""
    if pg is not None:
        verdict = f">= {TARGET_RATE} (pg): {met(bool(pg.end_to_end_rate and pg.end_to_end_rate >= TARGET_RATE))}"
    row("intents/s accepted -> evidenced", [f"{x:,.0f}" if x else "-" for x in rates], verdict)
    row("  first POST -> last evidenced, s", [_span(r) for r in results])
    row("  evidenced / accepted", [f"{r.evidenced:,} / {r.n:,}" for r in results], "all")
    row("intents/s accepted (POST throughput)", [f"{r.accept_rate:,.0f}" for r in results])
    row("POST latency = accepted -> ledgered p50 / p99 ms", [f"{ms(r.fired.latencies, 50)} / {ms(r.fired.latencies, 99)}" for r in results], "p99 reported")
    for a, b in STAGES:
        label = f"{a} -> {b}" + (" (sampled)" if (a, b) == STAGES[-1] else "")
        row(f"{label} p50 / p99 ms", [f"{ms(r.stages[f'{a}->{b}'], 50)} / {ms(r.stages[f'{a}->{b}'], 99)}" for r in results])
    row("  sampled intents: evidenced / sampled", [f"{len(r.stages['accepted->evidenced'])} / {min(args.sample, r.n)}" for r in results])
    row("api RSS before -> after MB (peak, with nats)", [f"{r.rss_before[0]:.0f} -> {r.rss_after[0]:.0f} ({r.rss_peak:.0f})" for r in results])
    order = ("api", "bench client", "nats (embedded)", "nats (external)", "postgres (all)", "machine (all)")
    for g in [g for g in order if any(r.cpu.used.get(g) for r in results)]:
        row(f"CPU %, 100 = one core: {g}", [f"{100 * r.cpu.used[g] / r.cpu.seconds:.0f}" if g in r.cpu.used else "-" for r in results], "200 = both" if g == "machine (all)" else "")
    if any(r.pg for r in results):
        row("PostgreSQL deadlocks / rollbacks in the run", [f"{r.pg['deadlocks']:,} / {r.pg['rollbacks']:,}" if r.pg else "-" for r in results], "(whole database)")
    row("api CPU ms per intent", [f"{1000 * r.cpu.used.get('api', 0.0) / max(r.n, 1):.2f}" for r in results])
    print(line)
    for r in results:
        others = {s: n for s, n in r.states.items() if s != "evidenced" and n}
        warm = f" (warm-up: {r.fired.warmup_errors})" if r.fired.warmup_errors else ""
        print(f"{r.name}: answers {r.fired.answered}, non-201 answers and transport errors: {r.fired.errors or 'none'}{warm}; "
              f"states not evidenced at the end: {_fmt_census(others) if others else 'none'}")
        if r.failures:
            print(f"{r.name}: why intents failed (up to 100 of them; routing attempts of the first 10): {r.failures}")
    if any(r.fired.fatal for r in results):
        print("5xx answers or transport errors: see the api log in the work directory (kept); exit status 1")


def _span(r: Result) -> str:
    if r.waited.done_at:
        return f"{r.waited.done_at - r.fired.first_start:.1f}"
    if r.waited.last_progress_at and r.evidenced:
        return f"{r.waited.last_progress_at - r.fired.first_start:.1f} ({r.waited.outcome})"
    return r.waited.outcome


def main(argv: list[str] | None = None) -> int:
    exit_on_sigterm()
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--db", choices=("sqlite", "postgres", "both"), default="both")
    ap.add_argument("--intents", type=int, default=3000, help="intents in the timed run")
    ap.add_argument("--concurrency", type=int, default=64, help="concurrent clients sending intents")
    ap.add_argument("--workers", type=int, default=1, help="api worker processes (zentra api --workers; PostgreSQL only)")
    ap.add_argument("--latency-ms", type=int, default=20, help="the sandbox provider's answer latency")
    ap.add_argument("--nats", nargs="?", const=os.environ.get("ZENTRA_NATS_URL") or DEFAULT_NATS, default=None, metavar="URL",
                    help=f"relay to this NATS server (default ZENTRA_NATS_URL, else {DEFAULT_NATS}) rather than the api's embedded one")
    ap.add_argument("--sources", type=int, default=200, help="funded customer accounts the intents come from")
    ap.add_argument("--merchants", type=int, default=4, help="merchant accounts the intents go to")
    ap.add_argument("--warmup", type=int, default=100, help="intents sent and evidenced before the timed run")
    ap.add_argument("--warmup-timeout", type=float, default=120)
    ap.add_argument("--timeout", type=float, default=600, help="seconds to wait for the timed run's intents to be evidenced")
    ap.add_argument("--sample", type=int, default=200, help="intents whose state history gives the stage times")
    ap.add_argument("--pg-url", default=os.environ.get("ZENTRA_BENCH_PG_URL", DEFAULT_PG_URL))
    ap.add_argument("--keep", action="store_true", help="keep the work directory (logs, SQLite file)")
    ap.add_argument("--py-spy", default=None, metavar="PATH", help="py-spy executable: profile the api during the timed run")
    ap.add_argument("--profile-dir", default=os.path.join(tempfile.gettempdir(), "zentra-bench-profiles"), help="where --py-spy writes flame graphs")
    ap.add_argument("--profile-format", choices=("flamegraph", "raw"), default="flamegraph", help="--py-spy output: an SVG flame graph or collapsed stacks")
    args = ap.parse_args(argv)

    workdir = Path(tempfile.mkdtemp(prefix="zentra-bench-intents-"))
    names = ["sqlite", "postgres"] if args.db == "both" else [args.db]
    results: list[Result] = []
    failed = False
    try:
        for name in names:
            try:
                target = sqlite_target(workdir) if name == "sqlite" else postgres_target(workdir, args.pg_url)
                try:
                    results.append(bench_database(target, args, workdir))
                finally:
                    target.close()
            except Exception as exc:  # noqa: BLE001 - a failed database is reported, its logs kept
                print(f"error: [{name}] {exc}", file=sys.stderr)
                failed = args.keep = True
        if results:
            report(results, args)
            args.keep = args.keep or any(r.fired.fatal for r in results)
    finally:
        if args.keep:
            print(f"work directory kept: {workdir}")
        else:
            shutil.rmtree(workdir, ignore_errors=True)
    return 1 if failed or any(r.fired.fatal for r in results) else 0


if __name__ == "__main__":
    sys.exit(main())
