"""The finance room's figures and exports from aggregate rows alone, and its live throttle (no
database, no browser)."""

from __future__ import annotations

import asyncio
import csv
import io
from concurrent.futures import ThreadPoolExecutor

from backend.finance.export import to_csv
from state import finance as finance_state
from state import finance_figures as figures

B0, B1, B2 = "2026-11-21T09:00:00.000000Z", "2026-11-21T09:30:00.000000Z", "2026-11-21T10:00:00.000000Z"
VOLUME = {
    "buckets": [B0, B1, B2],
    "rows": [
        {"bucket": B0, "state": "accepted", "currency": "USD", "count": 2, "amount_minor": 3_500},
        {"bucket": B0, "state": "ledgered", "currency": "USD", "count": 2, "amount_minor": 3_500},
        {"bucket": B2, "state": "ledgered", "currency": "USD", "count": 1, "amount_minor": 123_456},
        {"bucket": B1, "state": "ledgered", "currency": "JPY", "count": 1, "amount_minor": 5_000},
    ],
}


def test_the_volume_chart_draws_one_line_per_state_of_one_currency_with_exact_hover():
    fig = figures.volume_figure(VOLUME, "USD")
    assert [t.name for t in fig.data] == ["accepted", "ledgered"]  # the state machine's order
    ledgered = fig.data[1]
    assert list(ledgered.x) == ["2026-11-21 09:00:00", "2026-11-21 09:30:00", "2026-11-21 10:00:00"]
    assert list(ledgered.y) == [3_500, 0, 123_456]  # an empty bucket is zero, not missing
    assert ledgered.customdata[2] == "1,234.56 USD (123,456 minor) · 1 intent"
    assert fig.layout.yaxis.ticktext[0] == "0.00 USD" and all(t.endswith(" USD") for t in fig.layout.yaxis.ticktext)
    assert [t.name for t in figures.volume_figure(VOLUME, "JPY").data] == ["ledgered"]


def test_the_volume_export_is_exactly_the_rows_drawn():
    rows = figures.volume_rows(VOLUME, "USD")
    exported = list(csv.DictReader(io.StringIO(to_csv(rows, figures.VOLUME_COLUMNS))))
    assert [r["currency"] for r in exported] == ["USD"] * 3
    assert sum(int(r["amount_minor"]) for r in exported if r["state"] == "ledgered") == 3_500 + 123_456
    assert list(exported[0]) == figures.VOLUME_COLUMNS


def test_the_headline_counts_money_entering_ledgered_once_per_currency():
    totals = [
        {"currency": "USD", "state": "accepted", "count": 3, "amount_minor": 127_000},
        {"currency": "USD", "state": "ledgered", "count": 3, "amount_minor": 126_956},
        {"currency": "USD", "state": "routed", "count": 1, "amount_minor": 3_500},
        {"currency": "EUR", "state": "review", "count": 1, "amount_minor": 99},
    ]
    assert figures.headline(totals) == [
        {"currency": "EUR", "amount": "0.00 EUR", "amount_minor": "0", "count": "0"},
        {"currency": "USD", "amount": "1,269.56 USD", "amount_minor": "126956", "count": "3"},
    ]
    assert figures.currencies_of(VOLUME, totals) == ["EUR", "JPY", "USD"]


def test_the_backlog_names_the_bucket_past_the_sla_in_words_and_hatches_it():
    rows = [
        {"bucket": "15-60 min", "currency": "USD", "count": 2, "amount_minor": 3_000_000},
        {"bucket": "over 4 h", "currency": "USD", "count": 1, "amount_minor": 500},
        {"bucket": "over 4 h", "currency": "EUR", "count": 4, "amount_minor": 800},
    ]
    fig = figures.backlog_figure(rows)
    assert list(fig.layout.xaxis.ticktext) == ["under 15 min", "15-60 min", "1-4 h", "over 4 h<br>PAST SLA"]
    bars = [t for t in fig.data if t.type == "bar"]
    assert [b.name for b in bars] == ["EUR", "USD"]
    assert list(bars[1].y) == [0, 2, 0, 1] and list(bars[1].marker.pattern.shape) == ["", "", "", "/"]
    assert bars[1].customdata[1] == "30,000.00 USD (3,000,000 minor)"
    assert figures.count_of(rows) == 7 and figures.count_of(rows, figures.REVIEW_SLA_BUCKET) == 5
    assert list(figures.holds_figure([]).layout.xaxis.ticktext) == ["under 5 min", "5-60 min", "1-24 h", "over 24 h"]


def test_webhook_health_success_lines_leave_gaps_and_the_rate_is_over_every_attempt():
    health = {
        "buckets": [B0, B1, B2],
        "endpoints": [
            {"endpoint_id": "we_1", "url": "https://hooks.example.com/zentra", "status": "active", "p50_ms": 20, "p95_ms": 90, "p99_ms": 400, "series": [{"bucket": B0, "attempts": 4, "succeeded": 3, "success_rate": 0.75}, {"bucket": B2, "attempts": 1, "succeeded": 1, "success_rate": 1.0}]},
            {"endpoint_id": "we_2", "url": "http://127.0.0.1:9/hooks", "status": "disabled", "p50_ms": None, "p95_ms": None, "p99_ms": None, "series": []},
        ],
    }
    fig = figures.success_figure(health)
    assert list(fig.data[0].y) == [0.75, None, 1.0] and fig.data[0].name == "hooks.example.com/zentra"
    assert figures.success_rate(health) == ("80.0%", 5)
    assert figures.success_rate({"endpoints": []}) == ("—", 0)
    latency = figures.latency_figure(health)
    assert [t.name for t in latency.data] == ["p50", "p95", "p99"] and list(latency.data[2].text) == ["400 ms", "—"]
    assert figures.latency_rows(health)[1] == {"endpoint_id": "we_2", "url": "http://127.0.0.1:9/hooks", "status": "disabled", "p50_ms": None, "p95_ms": None, "p99_ms": None}


class Room:
    """Just what the finance state's live refresh touches, with reads counted."""

    def __init__(self):
        self.loaded, self.stale, self._fetched_at, self.reads = True, False, 0.0, 0

    async def _fetch(self):
        self.reads += 1
        self._fetched_at, self.stale = finance_state._clock(), False


def in_own_loop(coro):
    """Run `coro` on an event loop of its own thread: Playwright's sync API keeps a loop running
    in this one once a browser test ran, and `asyncio.run` refuses to nest."""
    with ThreadPoolExecutor(1) as pool:
        return pool.submit(asyncio.run, coro).result()


def test_two_hundred_events_a_second_read_about_once_a_second(monkeypatch):
    clock = [1_000.0]
    monkeypatch.setattr(finance_state, "_clock", lambda: clock[0])
    room, live, catch_up = Room(), finance_state.FinanceState.refresh_live.fn, finance_state.FinanceState.catch_up.fn

    async def three_seconds():
        for tick in range(30):  # pushes come in bursts at most every 100 ms: 20 events each
            clock[0] = 1_000.0 + tick / 10
            await live(room, [{"type": "intent.accepted"}] * 20)
            if tick % 10 == 9:  # the page's one-second catch-up clock
                await catch_up(room)

    in_own_loop(three_seconds())
    assert room.reads == 3
    assert room.stale  # the last events came inside the gap: the next catch-up reads them
    clock[0] += finance_state.REFRESH_GAP
    in_own_loop(catch_up(room))
    assert (room.reads, room.stale) == (4, False)
