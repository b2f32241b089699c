"""The operations room's runtime strip from aggregate rows alone, and its live throttle (no
database, no browser)."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone

from backend.clock import to_iso
from state import home
from state.home import HomeState, Snapshot, stage_of, strip_of, volume_rows

NOW = datetime(2026, 11, 21, 10, 0, tzinfo=timezone.utc)


def _provider(name: str, failures: int = 0, unhealthy_until: datetime | None = None) -> dict:
    return {"id": f"prv_{name}", "name": name, "health": {"consecutive_failures": failures, "unhealthy_until": to_iso(unhealthy_until), "last_success_at": None, "last_failure_at": None}}


def _snapshot(**overrides) -> Snapshot:
    fields = {
        "hour": [
            {"currency": "USD", "state": "accepted", "count": 5, "amount_minor": 50_000},
            {"currency": "USD", "state": "controlled", "count": 3, "amount_minor": 30_000},
            {"currency": "USD", "state": "review", "count": 1, "amount_minor": 15_000},
            {"currency": "USD", "state": "rejected", "count": 1, "amount_minor": 5_000},
            {"currency": "USD", "state": "ledgered", "count": 3, "amount_minor": 30_000},
            {"currency": "JPY", "state": "accepted", "count": 2, "amount_minor": 1_200_000},
            {"currency": "JPY", "state": "ledgered", "count": 2, "amount_minor": 1_200_000},
        ],
        "reviews": 1,
        "webhooks": {"endpoints": [{"status": "active", "series": [{"attempts": 200, "succeeded": 196}]}]},
        "providers": [_provider("one"), _provider("two", failures=4, unhealthy_until=NOW + timedelta(seconds=20))],
        "chain": {"status": "verified", "sealed_seq": 120, "verified_seq": 118, "verified_at": to_iso(NOW - timedelta(seconds=5)), "broken_seq": None, "broken_reason": None},
        "table": {"data": [], "total": 0},
    }
    return Snapshot(**{**fields, **overrides})


def test_the_strip_counts_each_stage_over_currencies_and_says_its_health_in_words():
    strip, providers, webhook = strip_of(_snapshot(), NOW)
    assert (strip["api_count"], strip["api_word"]) == ("7", "flowing")
    assert (strip["policy_controlled"], strip["policy_review"], strip["policy_rejected"]) == ("3", "1", "1")
    assert (strip["policy_word"], strip["policy_tone"]) == ("holding", "watch")  # one waits for a person
    assert strip["ledger_count"] == "5"
    assert [(p["name"], p["word"]) for p in providers] == [("one", "healthy"), ("two", "tripped")]
    assert (strip["route_word"], strip["route_tone"]) == ("degraded", "watch")
    assert (webhook["rate"], webhook["word"], webhook["tone"]) == ("98.00%", "degraded", "watch")
    assert strip["evidence_word"] == "verified" and "chain verified to #118 at 09:59:55 UTC" in strip["evidence_detail"]


def test_idle_and_broken_stages_are_named_not_just_coloured():
    broken = {"status": "broken", "sealed_seq": 9, "verified_seq": 4, "verified_at": None, "broken_seq": 5, "broken_reason": "hash mismatch"}
    strip, _, webhook = strip_of(_snapshot(hour=[], providers=[], webhooks={"endpoints": []}, chain=broken), NOW)
    assert [strip[f"{k}_word"] for k in ("api", "policy", "ledger", "route", "webhook", "evidence")] == ["idle", "idle", "idle", "no route", "no endpoints", "broken"]
    assert strip["evidence_tone"] == "bad" and "broken at #5: hash mismatch" in strip["evidence_detail"]
    assert webhook["rate"] == "—"


def test_the_volume_tile_is_the_money_that_reached_ledgered_per_currency_exactly():
    rows = volume_rows(_snapshot().hour)
    assert [(r["currency"], r["amount"], r["amount_minor"]) for r in rows] == [("JPY", "1,200,000 JPY", "1,200,000"), ("USD", "300.00 USD", "30,000")]


def test_events_are_filed_under_the_stage_that_handed_them_on():
    assert [stage_of(t) for t in ("intent.accepted", "policy.review_required", "ledger.reserved", "provider.routed", "webhook.failed", "evidence.sealed", "something.else")] == ["API", "Policy", "Ledger", "Route", "Webhook", "Evidence", "—"]


def _run(coro):
    """Run a coroutine that never suspends (Room's reads are synchronous) without an event loop:
    Playwright's sync API keeps one running in this process once a browser test ran."""
    try:
        coro.send(None)
    except StopIteration as done:
        return done.value
    raise AssertionError("the coroutine suspended")


class Room:
    """HomeState's throttle without Reflex: only what refresh_live and tick touch."""

    def __init__(self):
        self.reads, self._read_at, self.live_pending, self.tenant_id, self.sealing = 0, 0.0, False, "ten_1", False

    async def _fetch(self):
        self.reads += 1
        self._read_at, self.live_pending = home._clock(), False


def test_two_hundred_events_a_second_refresh_the_room_about_once_a_second(monkeypatch):
    clock = [1_000.0]
    monkeypatch.setattr(home, "_clock", lambda: clock[0])
    room, live, tick = Room(), HomeState.refresh_live.fn, HomeState.tick.fn

    for step in range(30):  # the pusher sends at most every 100 ms: 20 events a burst
        clock[0] = 1_000.0 + step / 10
        _run(live(room, [{"type": "intent.accepted"}] * 20))
        if step % 5 == 4:  # the page's half-second clock while a refresh is owed
            _run(tick(room))
    assert room.reads == 3  # at 0.0 s, 1.0 s and 2.0 s: never two within LIVE_GAP
    assert room.live_pending  # the last bursts came inside the gap: the next tick reads them
    clock[0] += home.LIVE_GAP
    _run(tick(room))
    assert (room.reads, room.live_pending) == (4, False)
    _run(tick(room))  # nothing owed, nothing sealing: the clock reads nothing
    assert room.reads == 4
