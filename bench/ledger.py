"""Ledger throughput, latency and memory of `zentra api`, against SQLite and PostgreSQL.

    .venv/bin/python bench/ledger.py [--db sqlite|postgres|both] [--seconds N]

For each database it starts `zentra api` in a subprocess on a fresh database (a new SQLite file,
or a new PostgreSQL schema selected with PGOPTIONS=-csearch_path=...), creates a tenant with
`zentra admin create-tenant`, opens accounts, and measures over HTTP:

  (a) single postings (POST /v1/ledger-entries), 16 concurrent clients: postings/s, p50/p99
  (b) batches of 500 postings (POST /v1/ledger-entries/batch) for each client count in
      --batch-clients: postings/s, p50/p99 per batch; the best count is the headline figure
  (c) pgbench tpcb-like on the same PostgreSQL server (its own database), and the ratios
      single/pgbench (target >= 0.5) and batched/pgbench (target >= 5)
  (d) RSS of the api process (psutil) on a fresh server before and after 100,000 postings
      pushed in batches (target < 300 MB and flat)

Postings move random amounts between many accounts; a share of them (--hot-share) debit or
credit one hot account, as a fee or settlement account would be.

With --py-spy PATH (py-spy is not a project dependency: `pip install py-spy` anywhere), the api
process is sampled during (a) and (b) and a flame graph per phase is written to --profile-dir.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import random
import re
import secrets
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path

import httpx
import psutil

REPO = Path(__file__).resolve().parents[1]
DEFAULT_PG_URL = "postgresql+psycopg://postgres@127.0.0.1:5432/test"
PGBENCH_DB = "zentra_pgbench"
FUNDS_PER_ACCOUNT = 10**12


def zentra() -> list[str]:
    script = Path(sys.executable).with_name("zentra")
    if script.exists():
        return [str(script)]
    found = shutil.which("zentra")
    return [found] if found else [sys.executable, "-m", "backend.cli"]


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def percentile(values: list[float], p: float) -> float:
    if not values:
        return float("nan")
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, max(0, round(p / 100 * len(ordered)) - 1))]


# --------------------------------------------------------------------------- databases


def pg_parts(url: str) -> dict:
    from sqlalchemy.engine import make_url

    u = make_url(url)
    return {"host": u.host or "127.0.0.1", "port": str(u.port or 5432), "user": u.username or "postgres", "password": u.password, "dbname": u.database or "postgres"}


def pg_exec(url: str, sql: str, dbname: str | None = None) -> None:
    import psycopg

    p = pg_parts(url)
    with psycopg.connect(host=p["host"], port=p["port"], user=p["user"], password=p["password"], dbname=dbname or p["dbname"], autocommit=True) as conn:
        conn.execute(sql)


@dataclass
class Target:
    """One database the api is pointed at, and the environment that points it there."""

    name: str
    env: dict[str, str]
    cleanup: list = field(default_factory=list)

    def close(self) -> None:
        for fn in reversed(self.cleanup):
            try:
                fn()
            except Exception as exc:  # noqa: BLE001 - cleanup must not hide the results
                print(f"warning: cleanup of {self.name} failed: {exc}", file=sys.stderr)


def sqlite_target(workdir: Path) -> Target:
    data = workdir / "sqlite"
    data.mkdir(parents=True)
    env = {**os.environ, "ZENTRA_DATA_DIR": str(data), "ZENTRA_DATABASE_URL": f"sqlite:///{data / 'zentra.db'}"}
    env.pop("PGOPTIONS", None)
    return Target("sqlite", env)


def postgres_target(workdir: Path, url: str) -> Target:
    schema = f"zbench_{secrets.token_hex(5)}"
    pg_exec(url, f"CREATE SCHEMA {schema}")
    data = workdir / "postgres"
    data.mkdir(parents=True)
    env = {**os.environ, "ZENTRA_DATA_DIR": str(data), "ZENTRA_DATABASE_URL": url, "PGOPTIONS": f"-csearch_path={schema}"}
    return Target("postgres", env, [lambda: pg_exec(url, f"DROP SCHEMA {schema} CASCADE")])


# --------------------------------------------------------------------------- the api process


class ApiServer:
    def __init__(self, target: Target, log_dir: Path, tag: str, extra_args: tuple[str, ...] = ()):
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.log_path = log_dir / f"api-{target.name}-{tag}.log"
        self._log = open(self.log_path, "wb")
        self.proc = subprocess.Popen(
            [*zentra(), "api", "--port", str(self.port), *extra_args],
            env=target.env,
            cwd=REPO,
            stdout=self._log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )

    def wait_ready(self, timeout: float = 60) -> "ApiServer":
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise RuntimeError(f"zentra api exited ({self.proc.returncode}); see {self.log_path}")
            try:
                if httpx.get(self.url + "/v1/openapi.json", timeout=2).status_code == 200:
                    return self
            except httpx.TransportError:
                pass
            time.sleep(0.1)
        raise RuntimeError(f"zentra api did not start within {timeout}s; see {self.log_path}")

    def rss_mb(self) -> float:
        """RSS of the api worker: the process itself plus any children it forked."""
        proc = psutil.Process(self.proc.pid)
        procs = [proc, *proc.children(recursive=True)]
        return sum(p.memory_info().rss for p in procs) / 2**20

    def stop(self) -> None:
        if self.proc.poll() is None:
            os.killpg(self.proc.pid, signal.SIGTERM)
            try:
                self.proc.wait(timeout=15)
            except subprocess.TimeoutExpired:
                os.killpg(self.proc.pid, signal.SIGKILL)
                self.proc.wait(timeout=10)
        self._log.close()


def create_tenant(target: Target) -> str:
    out = subprocess.run([*zentra(), "admin", "create-tenant", "bench", "--json"], env=target.env, cwd=REPO, capture_output=True, text=True, timeout=120)
    if out.returncode != 0:
        raise RuntimeError(f"create-tenant failed: {out.stderr[-2000:]}")
    return json.loads(out.stdout.strip().splitlines()[-1])["sandbox_api_key"]


# --------------------------------------------------------------------------- workload


@dataclass
class Book:
    accounts: list[str]
    hot: str
    hot_share: float

    def posting(self, rng: random.Random) -> dict:
        amount = rng.randint(1, 1000)
        roll = rng.random()
        if roll < self.hot_share / 2:
            debit, credit = self.hot, rng.choice(self.accounts)
        elif roll < self.hot_share:
            debit, credit = rng.choice(self.accounts), self.hot
        else:
            debit, credit = rng.sample(self.accounts, 2)
        return {"debit": debit, "credit": credit, "amount_minor": amount}


def client(url: str, key: str, connections: int) -> httpx.AsyncClient:
    limits = httpx.Limits(max_connections=connections, max_keepalive_connections=connections)
    return httpx.AsyncClient(base_url=url + "/v1", headers={"Authorization": f"Bearer {key}"}, limits=limits, timeout=300)


async def setup_book(url: str, key: str, n_accounts: int, hot_share: float) -> Book:
    async with client(url, key, 16) as c:
        sem = asyncio.Semaphore(16)

        async def account(**fields) -> str:
            body = {"customer": "bench", "currency": "USD", "account_type": "wallet", "idempotency_key": secrets.token_hex(12), **fields}
            async with sem:
                r = await c.post("/accounts", json=body)
            if r.status_code != 201:
                raise RuntimeError(f"account creation failed: {r.status_code} {r.text[:300]}")
            return r.json()["id"]

        funding = await account(account_type="funding", allow_negative=True)
        hot = await account(account_type="settlement", allow_negative=True)
        accounts = list(await asyncio.gather(*(account() for _ in range(n_accounts))))
        for i in range(0, len(accounts), 500):
            postings = [{"debit": funding, "credit": a, "amount_minor": FUNDS_PER_ACCOUNT} for a in accounts[i : i + 500]]
            r = await c.post("/ledger-entries/batch", json={"postings": postings, "idempotency_key": secrets.token_hex(12)})
            if r.status_code != 200:
                raise RuntimeError(f"funding failed: {r.status_code} {r.text[:300]}")
    return Book(accounts, hot, hot_share)


@dataclass
class LoadResult:
    clients: int
    requests: int
    postings: int
    seconds: float
    latencies: list[float]
    errors: dict[str, int]

    @property
    def rate(self) -> float:
        return self.postings / self.seconds if self.seconds else 0.0

    fixed_percentiles: tuple[float, float] | None = None  # (p50, p99) in ms when measured by wrk

    @property
    def p50_ms(self) -> float:
        return self.fixed_percentiles[0] if self.fixed_percentiles else percentile(self.latencies, 50) * 1000

    @property
    def p99_ms(self) -> float:
        return self.fixed_percentiles[1] if self.fixed_percentiles else percentile(self.latencies, 99) * 1000


async def load(url: str, key: str, book: Book, *, clients: int, seconds: float | None, batch: int | None, total_postings: int | None = None, on_progress=None) -> LoadResult:
    """Drive `clients` concurrent loops posting singles (batch=None) or batches, for `seconds`
    or until `total_postings` have been sent."""
    path = "/ledger-entries" if batch is None else "/ledger-entries/batch"
    per_request = 1 if batch is None else batch
    expected = 201 if batch is None else 200
    latencies: list[float] = []
    errors: dict[str, int] = {}
    state = {"postings": 0, "issued": 0}
    start = time.perf_counter()
    stop_at = start + seconds if seconds else float("inf")

    async with client(url, key, clients) as c:

        async def worker(i: int) -> None:
            rng = random.Random(f"{i}-{secrets.token_hex(4)}")
            while time.perf_counter() < stop_at:
                if total_postings is not None:
                    if state["issued"] >= total_postings:
                        return
                    state["issued"] += per_request
                if batch is None:
                    body = {**book.posting(rng), "idempotency_key": secrets.token_hex(12)}
                else:
                    body = {"postings": [book.posting(rng) for _ in range(batch)], "idempotency_key": secrets.token_hex(12)}
                content = json.dumps(body).encode()
                t0 = time.perf_counter()
                try:
                    r = await c.post(path, content=content, headers={"content-type": "application/json"})
                except httpx.TransportError as exc:
                    errors[type(exc).__name__] = errors.get(type(exc).__name__, 0) + 1
                    continue
                dt = time.perf_counter() - t0
                if r.status_code == expected:
                    latencies.append(dt)
                    state["postings"] += per_request
                    if on_progress:
                        on_progress(state["postings"])
                else:
                    try:
                        code = r.json()["error"]["code"]
                    except Exception:  # noqa: BLE001
                        code = "?"
                    errors[f"{r.status_code} {code}"] = errors.get(f"{r.status_code} {code}", 0) + 1

        await asyncio.gather(*(worker(i) for i in range(clients)))
    return LoadResult(clients, len(latencies), state["postings"], time.perf_counter() - start, latencies, errors)


WRK_SCRIPT = r"""
-- Posts single ledger entries; each request a fresh idempotency key, bodies from a template file.
local templates, counter, tid = {}, 0, 0
local threads = {}
function setup(thread) thread:set("tid", #threads); table.insert(threads, thread) end
function init(args)
  for line in io.lines(args[1]) do
    local d, c, a = line:match("(%S+) (%S+) (%S+)")
    templates[#templates + 1] = {d, c, a}
  end
  wrk.method = "POST"
  wrk.headers["Content-Type"] = "application/json"
  wrk.headers["Authorization"] = "Bearer " .. args[2]
  failures = 0
end
function request()
  counter = counter + 1
  local t = templates[(counter % #templates) + 1]
  local body = string.format('{"debit":"%s","credit":"%s","amount_minor":%s,"idempotency_key":"wrk-%d-%d-%d"}', t[1], t[2], t[3], tid, counter, math.random(1, 2147483647))
  return wrk.format(nil, "/v1/ledger-entries", nil, body)
end
function response(status) if status ~= 201 then failures = failures + 1 end end
function done(summary, latency, requests)
  local failed = 0
  for _, t in ipairs(threads) do failed = failed + t:get("failures") end
  io.write(string.format("ZENTRA requests=%d failed=%d p50_us=%d p99_us=%d\n", summary.requests, failed, latency:percentile(50), latency:percentile(99)))
end
"""


def load_wrk(url: str, key: str, book: Book, *, clients: int, seconds: int, workdir: Path) -> LoadResult | None:
    """Single postings driven by wrk (a C load generator, like pgbench's own client), so the
    figure measures the server rather than a Python client competing for the same two cores."""
    wrk = shutil.which("wrk")
    if wrk is None:
        print("    wrk not found (apt-get install wrk): skipping the C-client single-posting phase", flush=True)
        return None
    rng = random.Random(7)
    templates = workdir / "postings.txt"
    templates.write_text("".join(f"{p['debit']} {p['credit']} {p['amount_minor']}\n" for p in (book.posting(rng) for _ in range(20_000))))
    script = workdir / "post.lua"
    script.write_text(WRK_SCRIPT)
    out = subprocess.run(
        [wrk, "-t2", f"-c{clients}", f"-d{seconds}s", "-s", str(script), url, "--", str(templates), key],
        capture_output=True, text=True, timeout=seconds + 60,
    ).stdout
    fields = dict(kv.split("=") for kv in re.search(r"ZENTRA (.*)", out).group(1).split())
    done = int(fields["requests"]) - int(fields["failed"])
    result = LoadResult(clients, done, done, float(seconds), [], {"non-201": int(fields["failed"])} if int(fields["failed"]) else {})
    result.fixed_percentiles = (int(fields["p50_us"]) / 1000, int(fields["p99_us"]) / 1000)
    return result


# --------------------------------------------------------------------------- pgbench


def run_pgbench(url: str, seconds: int, scale: int, clients: int, threads: int) -> float:
    p = pg_parts(url)
    env = {**os.environ, "PGPASSWORD": p["password"] or ""}
    env.pop("PGOPTIONS", None)
    conn = ["-h", p["host"], "-p", p["port"], "-U", p["user"]]
    pg_exec(url, f"DROP DATABASE IF EXISTS {PGBENCH_DB}")
    pg_exec(url, f"CREATE DATABASE {PGBENCH_DB}")
    try:
        init = subprocess.run(["pgbench", *conn, "-i", "-s", str(scale), "-q", PGBENCH_DB], env=env, capture_output=True, text=True)
        if init.returncode != 0:
            raise RuntimeError(f"pgbench -i failed: {init.stderr[-2000:]}")
        out = subprocess.run(["pgbench", *conn, "-c", str(clients), "-j", str(threads), "-T", str(seconds), PGBENCH_DB], env=env, capture_output=True, text=True)
        if out.returncode != 0:
            raise RuntimeError(f"pgbench failed: {out.stderr[-2000:]}")
        match = re.search(r"tps = ([0-9.]+) \(without initial connection time\)", out.stdout) or re.search(r"tps = ([0-9.]+)", out.stdout)
        return float(match.group(1))
    finally:
        pg_exec(url, f"DROP DATABASE IF EXISTS {PGBENCH_DB}")


# --------------------------------------------------------------------------- one database


class Profiler:
    """py-spy attached to the api process for one phase (a no-op without --py-spy)."""

    def __init__(self, args, server: ApiServer, name: str):
        self.proc = None
        if args.py_spy:
            raw = args.profile_format == "raw"
            out = Path(args.profile_dir) / f"{name}.{'txt' if raw else 'svg'}"
            out.parent.mkdir(parents=True, exist_ok=True)
            # --gil: only samples holding the GIL, i.e. Python CPU time; --nonblocking: no pauses.
            # raw: collapsed stacks, one line per stack with its sample count (for grep and sort).
            cmd = [args.py_spy, "record", "--pid", str(server.proc.pid), "--gil", "--nonblocking", "-r", "100", "-f", "raw" if raw else "flamegraph", "-o", str(out)]
            self.proc = subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
            time.sleep(0.5)

    def __enter__(self) -> "Profiler":
        return self

    def __exit__(self, *exc) -> None:
        if self.proc is not None:
            self.proc.send_signal(signal.SIGINT)  # py-spy writes its output on Ctrl-C
            try:
                self.proc.wait(timeout=60)
            except subprocess.TimeoutExpired:
                self.proc.kill()


def bench_database(target: Target, args, workdir: Path) -> dict:
    print(f"[{target.name}] creating tenant and {args.accounts} accounts ...", flush=True)
    key = create_tenant(target)
    result: dict = {}
    server = ApiServer(target, workdir, "load").wait_ready()
    try:
        book = asyncio.run(setup_book(server.url, key, args.accounts, args.hot_share))
        asyncio.run(load(server.url, key, book, clients=4, seconds=1, batch=None))  # warm-up
        print(f"[{target.name}] (a) single postings, {args.clients} clients, {args.seconds}s ...", flush=True)
        with Profiler(args, server, f"{target.name}-single"):
            result["single"] = asyncio.run(load(server.url, key, book, clients=args.clients, seconds=args.seconds, batch=None))
        print(f"[{target.name}] (a) single postings with wrk, {args.clients} connections, {args.seconds}s ...", flush=True)
        result["single_wrk"] = load_wrk(server.url, key, book, clients=args.clients, seconds=args.seconds, workdir=workdir)
        result["batch"] = []
        for n in args.batch_clients:
            print(f"[{target.name}] (b) batches of {args.batch_size}, {n} clients, {args.seconds}s ...", flush=True)
            with Profiler(args, server, f"{target.name}-batch-{n}"):
                result["batch"].append(asyncio.run(load(server.url, key, book, clients=n, seconds=args.seconds, batch=args.batch_size)))
    finally:
        server.stop()

    if args.memory_postings:
        print(f"[{target.name}] (d) RSS over {args.memory_postings:,} postings on a fresh server ...", flush=True)
        server = ApiServer(target, workdir, "memory").wait_ready()
        try:
            asyncio.run(load(server.url, key, book, clients=args.memory_clients, seconds=None, batch=args.batch_size, total_postings=args.batch_size * 2))
            samples = [(0, server.rss_mb())]
            step = max(args.memory_postings // 10, args.batch_size)

            def progress(done: int) -> None:
                if done >= samples[-1][0] + step:
                    samples.append((done, server.rss_mb()))

            pushed = asyncio.run(
                load(server.url, key, book, clients=args.memory_clients, seconds=None, batch=args.batch_size, total_postings=args.memory_postings, on_progress=progress)
            )
            samples.append((pushed.postings, server.rss_mb()))
            result["memory"] = {"samples": samples, "pushed": pushed}
        finally:
            server.stop()
    return result


# --------------------------------------------------------------------------- report


def best_batch(res: dict) -> LoadResult | None:
    return max(res.get("batch") or [], key=lambda r: r.rate, default=None)


def report(results: dict[str, dict], pgbench_tps: float | None, args) -> None:
    names = list(results)
    w = 24
    line = "-" * (38 + (w + 2) * len(names) + 16)
    print()
    print(f"Zentra ledger benchmark: {args.seconds}s per phase, {args.accounts} accounts + 1 hot account ({args.hot_share:.0%} of postings), "
          f"{os.cpu_count()} CPUs, load generator on the same machine")
    print(f"load average at start {args.load_at_start[0]:.2f}, at end {os.getloadavg()[0]:.2f} (1 min; above ~{os.cpu_count()} the figures are noisy)")
    print(line)
    print(f"{'metric':38}" + "".join(f"{n:>{w}}  " for n in names) + f"{'target':>14}")
    print(line)

    def row(label: str, values: list[str], target: str = "") -> None:
        print(f"{label:38}" + "".join(f"{v:>{w}}  " for v in values) + f"{target:>14}")

    row(f"(a) single, {args.clients} httpx clients: postings/s", [f"{results[n]['single'].rate:,.0f}" for n in names])
    row("    latency p50 / p99 ms", [f"{results[n]['single'].p50_ms:.1f} / {results[n]['single'].p99_ms:.1f}" for n in names])
    if all(results[n].get("single_wrk") for n in names):
        row(f"(a) single, {args.clients} wrk connections: postings/s", [f"{results[n]['single_wrk'].rate:,.0f}" for n in names])
        row("    latency p50 / p99 ms", [f"{results[n]['single_wrk'].p50_ms:.1f} / {results[n]['single_wrk'].p99_ms:.1f}" for n in names])
    for i, n_clients in enumerate(args.batch_clients):
        row(f"(b) batch {args.batch_size}, {n_clients} clients: postings/s", [f"{results[n]['batch'][i].rate:,.0f}" for n in names])
        row("    per batch p50 / p99 ms", [f"{results[n]['batch'][i].p50_ms:.0f} / {results[n]['batch'][i].p99_ms:.0f}" for n in names])
    row("    best batch figure (clients)", [f"{best_batch(results[n]).rate:,.0f} ({best_batch(results[n]).clients})" for n in names])
    if pgbench_tps is not None:
        row(f"(c) pgbench tpcb-like -s {args.pgbench_scale} -c 16 -j 2: tps", [f"{pgbench_tps:,.0f}" for _ in names])
        row("    single (httpx) / pgbench", [f"{results[n]['single'].rate / pgbench_tps:.3f}" for n in names], ">= 0.5")
        if all(results[n].get("single_wrk") for n in names):
            row("    single (wrk) / pgbench", [f"{results[n]['single_wrk'].rate / pgbench_tps:.3f}" for n in names], ">= 0.5")
        row("    batched (best) / pgbench", [f"{best_batch(results[n]).rate / pgbench_tps:.2f}" for n in names], ">= 5")
    else:
        row("(c) pgbench", ["skipped" for _ in names])
    if all("memory" in results[n] for n in names):
        mem = {n: results[n]["memory"] for n in names}
        row(f"(d) RSS before {args.memory_postings:,} postings MB", [f"{mem[n]['samples'][0][1]:.0f}" for n in names], "< 300")
        row("    RSS after MB (peak)", [f"{mem[n]['samples'][-1][1]:.0f} ({max(s[1] for s in mem[n]['samples']):.0f})" for n in names], "< 300")
        row("    RSS at 50% -> 100% MB", [f"{_at(mem[n]['samples'], 0.5):.0f} -> {mem[n]['samples'][-1][1]:.0f}" for n in names], "flat")
        row("    push rate postings/s", [f"{mem[n]['pushed'].rate:,.0f}" for n in names])
    print(line)
    for n in names:
        errors = {}
        for r in [results[n]["single"], *([results[n]["single_wrk"]] if results[n].get("single_wrk") else []), *results[n]["batch"], *([results[n]["memory"]["pushed"]] if "memory" in results[n] else [])]:
            for k, v in r.errors.items():
                errors[k] = errors.get(k, 0) + v
        print(f"{n}: {results[n]['single'].requests:,} single requests, errors: {errors or 'none'}")


def _at(samples: list[tuple[int, float]], fraction: float) -> float:
    target = samples[-1][0] * fraction
    return min(samples, key=lambda s: abs(s[0] - target))[1]


def exit_on_sigterm() -> None:
    """A bench stopped by SIGTERM (`timeout`, `kill`) unwinds as Ctrl-C does, so its `finally`
    blocks stop the servers it started instead of leaving them running behind it."""
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(128 + signal.SIGTERM))


def main(argv: list[str] | None = None) -> int:
    exit_on_sigterm()
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--db", choices=("sqlite", "postgres", "both"), default="both")
    ap.add_argument("--seconds", type=int, default=10, help="duration of each timed phase")
    ap.add_argument("--clients", type=int, default=16, help="concurrent clients for single postings")
    ap.add_argument("--batch-size", type=int, default=500)
    ap.add_argument("--batch-clients", default="16,4,1", help="comma-separated client counts to try for batches")
    ap.add_argument("--accounts", type=int, default=1000)
    ap.add_argument("--hot-share", type=float, default=0.1, help="share of postings touching the hot account")
    ap.add_argument("--memory-postings", type=int, default=100_000, help="0 skips the memory phase")
    ap.add_argument("--memory-clients", type=int, default=4)
    ap.add_argument("--pg-url", default=os.environ.get("ZENTRA_BENCH_PG_URL", DEFAULT_PG_URL))
    ap.add_argument("--pgbench-scale", type=int, default=16)
    ap.add_argument("--no-pgbench", action="store_true")
    ap.add_argument("--keep", action="store_true", help="keep the work directory (logs, SQLite file)")
    ap.add_argument("--py-spy", default=None, metavar="PATH", help="py-spy executable: profile the api during (a) and (b)")
    ap.add_argument("--profile-dir", default=os.path.join(tempfile.gettempdir(), "zentra-bench-profiles"), help="where --py-spy writes flame graphs")
    ap.add_argument("--profile-format", choices=("flamegraph", "raw"), default="flamegraph", help="--py-spy output: an SVG flame graph or collapsed stacks")
    args = ap.parse_args(argv)
    args.load_at_start = os.getloadavg()
    args.batch_clients = [int(x) for x in args.batch_clients.split(",") if x.strip()]

    workdir = Path(tempfile.mkdtemp(prefix="zentra-bench-"))
    names = ["sqlite", "postgres"] if args.db == "both" else [args.db]
    results: dict[str, dict] = {}
    try:
        for name in names:
            target = sqlite_target(workdir) if name == "sqlite" else postgres_target(workdir, args.pg_url)
            try:
                results[name] = bench_database(target, args, workdir)
            finally:
                target.close()
        pgbench_tps = None
        if not args.no_pgbench and shutil.which("pgbench"):
            print(f"(c) pgbench -i -s {args.pgbench_scale}, then tpcb-like -c 16 -j 2 -T {args.seconds} ...", flush=True)
            pgbench_tps = run_pgbench(args.pg_url, args.seconds, args.pgbench_scale, 16, 2)
        report(results, pgbench_tps, args)
    finally:
        if args.keep:
            print(f"work directory kept: {workdir}")
        else:
            shutil.rmtree(workdir, ignore_errors=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
