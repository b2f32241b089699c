"""The retry schedule, its jitter, and Retry-After (pure)."""

from __future__ import annotations

import random
from datetime import datetime, timedelta, timezone
from email.utils import format_datetime

import pytest

from backend.webhooks.schedule import (
    MAX_RETRY_AFTER_SECONDS,
    next_delay,
    parse_retry_after,
)
from backend.webhooks.settings import LIVE_SCHEDULE, WebhookSettings, parse_schedule

NOW = datetime(2026, 11, 21, 12, 0, tzinfo=timezone.utc)


def test_the_live_schedule_is_the_contracts():
    assert LIVE_SCHEDULE == (0, 5, 5 * 60, 30 * 60, 2 * 3600, 5 * 3600, 10 * 3600, 10 * 3600)
    assert WebhookSettings().schedule_for("live") == LIVE_SCHEDULE


def test_each_retry_waits_its_delay_within_the_jitter_and_the_schedule_ends():
    rng = random.Random(7)
    for attempts_made, base in enumerate(LIVE_SCHEDULE):
        for _ in range(50):
            assert base * 0.9 <= next_delay(LIVE_SCHEDULE, attempts_made, None, 0.1, rng) <= base * 1.1
    assert next_delay(LIVE_SCHEDULE, len(LIVE_SCHEDULE), None, 0.1) is None


def test_jitter_spreads_retries():
    delays = {next_delay(LIVE_SCHEDULE, 3, None, 0.1) for _ in range(20)}
    assert len(delays) > 1


def test_retry_after_is_a_floor_capped_at_a_day():
    assert next_delay(LIVE_SCHEDULE, 1, 120, 0.1) >= 120
    assert next_delay(LIVE_SCHEDULE, 3, 1, 0.1) >= 1800 * 0.9  # a shorter ask never hurries the schedule
    assert next_delay(LIVE_SCHEDULE, 1, 10 * 86400, 0.1) == MAX_RETRY_AFTER_SECONDS
    assert next_delay(LIVE_SCHEDULE, len(LIVE_SCHEDULE), 5, 0.1) is None


@pytest.mark.parametrize(
    "value, seconds",
    [("30", 30.0), (" 7 ", 7.0), (format_datetime(NOW + timedelta(seconds=90), usegmt=True), 90.0), (format_datetime(NOW - timedelta(hours=1), usegmt=True), 0.0), ("soon", None), ("", None), (None, None), ("-5", None)],
)
def test_retry_after_reads_seconds_or_an_http_date(value, seconds):
    assert parse_retry_after(value, NOW) == seconds


def test_schedules_are_read_from_settings_text():
    assert parse_schedule("0, 0.5,2", "X") == (0.0, 0.5, 2.0)
    for bad in ("", "a,b", "0,-1", "0,inf"):
        with pytest.raises(ValueError, match="X"):
            parse_schedule(bad, "X")


def test_settings_come_from_the_environment(monkeypatch):
    monkeypatch.setenv("ZENTRA_WEBHOOK_SANDBOX_SCHEDULE", "0,1,2")
    monkeypatch.setenv("ZENTRA_WEBHOOK_TIMEOUT_SECONDS", "3.5")
    monkeypatch.setenv("ZENTRA_WEBHOOK_RATE_LIMIT", "10/20")
    settings = WebhookSettings.from_env()
    assert settings.schedule_for("sandbox") == (0, 1, 2) and settings.schedule_for("live") == LIVE_SCHEDULE
    assert settings.timeout_seconds == 3.5 and (settings.rate_limit.rate, settings.rate_limit.burst) == (10, 20)
    monkeypatch.setenv("ZENTRA_WEBHOOK_CONCURRENCY", "many")
    with pytest.raises(ValueError, match="ZENTRA_WEBHOOK_CONCURRENCY"):
        WebhookSettings.from_env()
