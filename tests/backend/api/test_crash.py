"""Crash safety: SIGKILL `zentra api` in the middle of a stream of postings, restart it on the same
database, and check that nothing acknowledged was lost, nothing was half-written, the running
totals still equal the journal, and every idempotency key still means exactly one posting.

Runs against SQLite by default and against a private PostgreSQL schema when
ZENTRA_TEST_DATABASE_URL is set (see conftest.py).
"""

from __future__ import annotations

import os
import random
import secrets
import shutil
import signal
import subprocess
import sys
import threading
import time
from collections import Counter, defaultdict
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path

import httpx
from sqlalchemy import text

from backend.db import transactions
from tests.conftest import free_port, make_tenant

REPO = Path(__file__).resolve().parents[3]
CLIENT_THREADS = 6
TRAFFIC_BEFORE_KILL = 0.8  # seconds of acknowledged traffic before the SIGKILL
MIN_ACKED = 20  # ... and at least this many acknowledged postings (a slow machine waits longer)
DESTINATIONS = 8
FUNDING = 10**12
ENDPOINT = "/v1/ledger-entries"


def zentra_command() -> list[str]:
    script = Path(sys.executable).with_name("zentra")
    if script.exists():
        return [str(script)]
    found = shutil.which("zentra")
    return [found] if found else [sys.executable, "-m", "backend.cli"]


class Server:
    """`zentra api --port N` in its own process group, logging to files under `log_dir`."""

    def __init__(self, env: dict[str, str], log_dir: Path, name: str):
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.log = log_dir / f"{name}.log"
        self._out = open(self.log, "wb")
        self.proc = subprocess.Popen(
            [*zentra_command(), "api", "--port", str(self.port)],
            env=env,
            cwd=REPO,
            stdout=self._out,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )

    def wait_ready(self, timeout: float = 30) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise AssertionError(f"zentra api exited with {self.proc.returncode}:\n{self.output()}")
            try:
                if httpx.get(self.url + "/v1/openapi.json", timeout=2).status_code == 200:
                    return
            except httpx.TransportError:
                pass
            time.sleep(0.05)
        raise AssertionError(f"zentra api did not start in {timeout}s:\n{self.output()}")

    def sigkill(self) -> None:
        if self.proc.poll() is None:
            try:
                os.killpg(self.proc.pid, signal.SIGKILL)
            except ProcessLookupError:
                pass
        self.proc.wait(timeout=10)

    def stop(self) -> None:
        """Always safe to call (the `finally` of the test)."""
        try:
            self.sigkill()
        finally:
            self._out.close()

    def output(self) -> str:
        self._out.flush()
        return self.log.read_text(errors="replace")[-4000:]


@dataclass
class Stream:
    """What the clients sent and what the server acknowledged before it died."""

    bodies: dict[str, dict] = field(default_factory=dict)  # key -> body, recorded before sending
    acked: dict[str, tuple[str, bytes]] = field(default_factory=dict)  # key -> (posting_id, response bytes)
    refused: list[tuple[str, int, str]] = field(default_factory=list)  # non-201 answers (none expected)
    transport_errors: Counter = field(default_factory=Counter)
    lock: threading.Lock = field(default_factory=threading.Lock)


def _client(base: str, api_key: str) -> httpx.Client:
    return httpx.Client(base_url=base + "/v1", headers={"Authorization": f"Bearer {api_key}"}, timeout=30)


def _post(client: httpx.Client, path: str, body: dict) -> httpx.Response:
    r = client.post(path, json=body)
    assert r.status_code in (200, 201), f"{path}: {r.status_code} {r.text}"
    return r


def _random_posting(rng: random.Random, source: str, destinations: list[str]) -> dict:
    """Mostly two legs from the hot funded account, sometimes a three-leg split."""
    if rng.random() < 0.2:
        a, b = rng.sample(destinations, 2)
        x, y = rng.randint(1, 500), rng.randint(1, 500)
        lines = [
            {"account": source, "direction": "debit", "amount_minor": x + y},
            {"account": a, "direction": "credit", "amount_minor": x},
            {"account": b, "direction": "credit", "amount_minor": y},
        ]
        return {"lines": lines, "description": "crash-test split"}
    amount = 1 if rng.random() < 0.5 else rng.randint(1, 10_000)
    return {"debit": source, "credit": rng.choice(destinations), "amount_minor": amount, "correlation_id": secrets.token_hex(6)}


def _legs(body: dict) -> list[tuple[str, str, int]]:
    if "lines" in body:
        return sorted((l["account"], l["direction"], l["amount_minor"]) for l in body["lines"])
    return sorted([(body["debit"], "debit", body["amount_minor"]), (body["credit"], "credit", body["amount_minor"])])


def _producer(base: str, api_key: str, stream: Stream, stop: threading.Event, seed: int, source: str, destinations: list[str]) -> None:
    rng = random.Random(seed)
    with _client(base, api_key) as client:
        while not stop.is_set():
            key = f"crash-{seed}-{secrets.token_hex(8)}"
            body = {**_random_posting(rng, source, destinations), "idempotency_key": key}
            with stream.lock:
                stream.bodies[key] = body
            try:
                r = client.post("/ledger-entries", json=body)
            except httpx.TransportError as exc:  # the server died under us: this request is in doubt
                with stream.lock:
                    stream.transport_errors[type(exc).__name__] += 1
                return
            with stream.lock:
                if r.status_code == 201:
                    stream.acked[key] = (r.json()["posting_id"], r.content)
                else:
                    stream.refused.append((key, r.status_code, r.text[:300]))


def _resend(base: str, api_key: str, items: list[tuple[str, dict]]) -> dict[str, httpx.Response]:
    """Re-send each (key, body) from a few threads, as a client would: honouring `409
    request_in_progress` + Retry-After (a key may still be claimed by a transaction the database
    has not yet rolled back for the killed process). Returns key -> final response."""
    out: dict[str, httpx.Response] = {}
    chunks = [items[i::4] for i in range(4)]

    def run(chunk):
        with _client(base, api_key) as client:
            for key, body in chunk:
                deadline = time.monotonic() + 15
                while True:
                    r = client.post("/ledger-entries", json=body)
                    if r.status_code != 409 or r.json()["error"]["code"] != "request_in_progress" or time.monotonic() > deadline:
                        break
                    time.sleep(float(r.headers.get("retry-after", "1")))
                out[key] = r

    with ThreadPoolExecutor(4) as pool:
        list(pool.map(run, chunks))
    return out


def _ledger_state(runtime, tenant_id: str) -> dict:
    """Raw rows of the tenant's journal, read straight from the database."""
    q = {"t": tenant_id}

    def read(s):
        return {
            "postings": {r.id: r for r in s.execute(text("SELECT id, kind, currency, amount_minor FROM postings WHERE tenant_id = :t"), q)},
            "entries": s.execute(
                text("SELECT posting_id, account_id, currency, direction, bucket, amount_minor FROM entries WHERE tenant_id = :t"), q
            ).all(),
            "accounts": s.execute(
                text("SELECT id, currency, debits_posted, credits_posted, debits_pending, credits_pending FROM accounts WHERE tenant_id = :t"), q
            ).all(),
            "keys": s.execute(text("SELECT key, endpoint, status_code FROM idempotency_keys WHERE tenant_id = :t"), q).all(),
        }

    return transactions.read(runtime.db, read)


def _check_journal(state: dict) -> None:
    postings, entries, accounts = state["postings"], state["entries"], state["accounts"]
    by_posting: dict[str, list] = defaultdict(list)
    for e in entries:
        by_posting[e.posting_id].append(e)
    # Every entry belongs to a posting of this tenant and every posting has at least two entries.
    assert set(by_posting) <= set(postings), f"entries without a posting: {sorted(set(by_posting) - set(postings))[:5]}"
    empty = [pid for pid in postings if len(by_posting.get(pid, [])) < 2]
    assert not empty, f"postings with fewer than two entries (half-written): {empty[:5]}"
    # Every posting balances, per bucket, in one currency.
    for pid, rows in by_posting.items():
        assert {r.currency for r in rows} == {postings[pid].currency}, f"{pid} mixes currencies: {rows}"
        for bucket in {r.bucket for r in rows}:
            debits = sum(r.amount_minor for r in rows if r.bucket == bucket and r.direction == "debit")
            credits = sum(r.amount_minor for r in rows if r.bucket == bucket and r.direction == "credit")
            assert debits == credits, f"posting {pid} does not balance in {bucket}: debits {debits} != credits {credits}"
    # The running totals on each account are exactly the sum of its entries.
    sums: Counter = Counter()
    for e in entries:
        sums[(e.account_id, f"{e.direction}s_{e.bucket}")] += e.amount_minor
    for a in accounts:
        for column in ("debits_posted", "credits_posted", "debits_pending", "credits_pending"):
            assert getattr(a, column) == sums[(a.id, column)], f"{a.id}.{column} = {getattr(a, column)} but its entries sum to {sums[(a.id, column)]}"
    # Per currency, debits equal credits across the whole tenant.
    per_currency: Counter = Counter()
    for e in entries:
        per_currency[(e.currency, e.direction)] += e.amount_minor
    for currency in {e.currency for e in entries}:
        assert per_currency[(currency, "debit")] == per_currency[(currency, "credit")], f"{currency}: debits != credits"


def test_sigkill_mid_stream_loses_nothing_acknowledged_and_writes_nothing_half(test_database, runtime, tmp_path):
    tenant = make_tenant(runtime, "Crash test")
    env = test_database.env(tmp_path / "data")
    servers: list[Server] = []
    stop = threading.Event()
    producers: list[threading.Thread] = []
    try:
        first = Server(env, tmp_path, "first")
        servers.append(first)
        first.wait_ready()

        with _client(first.url, tenant.sandbox_key) as setup:
            account = {"customer": "crash", "currency": "USD", "account_type": "operating"}
            funding = _post(setup, "/accounts", {**account, "account_type": "funding", "allow_negative": True, "idempotency_key": "acct-funding"}).json()["id"]
            source = _post(setup, "/accounts", {**account, "idempotency_key": "acct-source"}).json()["id"]
            destinations = [_post(setup, "/accounts", {**account, "idempotency_key": f"acct-dest-{i}"}).json()["id"] for i in range(DESTINATIONS)]
            fund = _post(setup, "/ledger-entries", {"debit": funding, "credit": source, "amount_minor": FUNDING, "idempotency_key": "fund"})
            setup_postings = {fund.json()["posting_id"]}

        stream = Stream()
        for i in range(CLIENT_THREADS):
            t = threading.Thread(target=_producer, args=(first.url, tenant.sandbox_key, stream, stop, i, source, destinations), daemon=True)
            producers.append(t)
            t.start()
        # Kill once the stream has run for a while *with acknowledgements flowing*.
        deadline = time.monotonic() + 15
        while not stream.acked and time.monotonic() < deadline:
            time.sleep(0.01)
        assert stream.acked, f"no posting was acknowledged before the kill:\n{stream.refused[:3]}\n{first.output()}"
        kill_at = time.monotonic() + TRAFFIC_BEFORE_KILL
        while (time.monotonic() < kill_at or len(stream.acked) < MIN_ACKED) and time.monotonic() < deadline:
            time.sleep(0.01)
        first.sigkill()
        stop.set()
        for t in producers:
            t.join(timeout=30)
        assert not any(t.is_alive() for t in producers), "a client thread hung after the server was killed"

        assert not stream.refused, f"the server refused postings before the crash: {stream.refused[:3]}"
        in_doubt = [k for k in stream.bodies if k not in stream.acked]
        print(f"\n{len(stream.acked)} acknowledged, {len(in_doubt)} in doubt at the kill, transport errors: {dict(stream.transport_errors)}")
        assert len(stream.acked) >= MIN_ACKED, "too little traffic before the kill to mean anything"

        second = Server(env, tmp_path, "second")
        servers.append(second)
        second.wait_ready()

        # 1. Straight after the restart: the journal is whole and consistent.
        state = _ledger_state(runtime, tenant.tenant_id)
        _check_journal(state)
        assert not [k for k in state["keys"] if k.status_code == 0], "an idempotency key was left claimed without an answer"
        entries_of: dict[str, list] = defaultdict(list)
        for e in state["entries"]:
            entries_of[e.posting_id].append((e.account_id, e.direction, e.amount_minor))
        for key, (posting_id, _) in stream.acked.items():
            assert posting_id in state["postings"], f"acknowledged posting {posting_id} ({key}) is gone after the crash"
            assert sorted(entries_of[posting_id]) == _legs(stream.bodies[key]), f"acknowledged posting {posting_id} lost or changed legs"
        # Nothing exists that no request asked for (at most one posting per in-doubt key so far).
        unexplained = set(state["postings"]) - setup_postings - {pid for pid, _ in stream.acked.values()}
        assert len(unexplained) <= len(in_doubt), f"{len(unexplained)} postings for {len(in_doubt)} in-doubt requests"

        # 2. Acknowledged requests replay byte for byte; they never post twice.
        replays = _resend(second.url, tenant.sandbox_key, [(k, stream.bodies[k]) for k in stream.acked])
        for key, r in replays.items():
            assert r.status_code == 201, f"replay of {key}: {r.status_code} {r.text}"
            assert r.headers.get("idempotent-replayed") == "true", f"{key} was not replayed: {r.text}"
            assert r.content == stream.acked[key][1], f"replay of {key} differs from the first answer"

        # 3. In-doubt requests re-sent with their keys: each ends as exactly one posting.
        retried = _resend(second.url, tenant.sandbox_key, [(k, stream.bodies[k]) for k in in_doubt])
        outcome = {}
        for key, r in retried.items():
            assert r.status_code == 201, f"retry of in-doubt {key}: {r.status_code} {r.text}"
            outcome[key] = r.json()["posting_id"]
            if r.headers.get("idempotent-replayed") == "true":
                assert outcome[key] in unexplained, f"{key} replayed a posting that was not in the database after the crash"
        again = _resend(second.url, tenant.sandbox_key, [(k, stream.bodies[k]) for k in in_doubt])
        for key, r in again.items():
            assert r.headers.get("idempotent-replayed") == "true" and r.json()["posting_id"] == outcome[key], f"second retry of {key} did not replay"

        # 4. Final state: one posting per key, nothing else, and balances match what was asked.
        final = _ledger_state(runtime, tenant.tenant_id)
        _check_journal(final)
        by_key = {**{k: pid for k, (pid, _) in stream.acked.items()}, **outcome}
        assert len(set(by_key.values())) == len(by_key) == len(stream.bodies)
        assert set(final["postings"]) == setup_postings | set(by_key.values()), "postings exist that no key accounts for"
        ledger_keys = Counter(k.key for k in final["keys"] if k.endpoint == ENDPOINT)
        assert all(n == 1 for n in ledger_keys.values()) and set(stream.bodies) <= set(ledger_keys)
        expected: Counter = Counter({source: FUNDING})
        for body in stream.bodies.values():
            for account_id, direction, amount in _legs(body):
                expected[account_id] += amount if direction == "credit" else -amount
        with _client(second.url, tenant.sandbox_key) as client:
            for account_id in [source, *destinations]:
                r = client.get(f"/accounts/{account_id}")
                assert r.status_code == 200, r.text
                assert r.json()["balances"]["posted"] == expected[account_id], f"{account_id}: {r.json()['balances']} != {expected[account_id]}"
    finally:
        stop.set()
        for server in servers:
            server.stop()
        for t in producers:
            t.join(timeout=5)
