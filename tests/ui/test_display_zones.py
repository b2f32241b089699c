"""Times in the operator's time zone (no browser): the zone the browser reports is kept only when
the zone database knows it, and every time is rendered in it with its abbreviation, the recorded
ISO time kept beside it."""

from __future__ import annotations

from datetime import datetime, timezone

import pytest

from state.display import clock, known_zone, stamp, when

ISO = "2026-04-26T14:12:09.123456Z"


def test_times_render_in_the_zone_with_its_abbreviation():
    assert when(ISO) == "2026-04-26 14:12:09 UTC"
    assert when(ISO, "Europe/Berlin") == "2026-04-26 16:12:09 CEST"
    assert when("2026-11-21T14:12:09Z", "Europe/Berlin") == "2026-11-21 15:12:09 CET"
    assert when(ISO, "America/New_York") == "2026-04-26 10:12:09 EDT"
    assert when(ISO, "Asia/Kolkata") == "2026-04-26 19:42:09 IST"
    assert when(None, "Europe/Berlin") == "" and when("not a time", "Europe/Berlin") == "not a time"
    assert clock(datetime(2026, 4, 26, 14, 12, 9, tzinfo=timezone.utc), "Europe/Berlin") == "16:12:09 CEST"


def test_the_tooltip_keeps_the_recorded_iso_time():
    assert stamp("at", ISO, "Europe/Berlin") == {"at": "2026-04-26 16:12:09 CEST", "at_iso": ISO}
    assert stamp("at", None) == {"at": "", "at_iso": ""}


@pytest.mark.parametrize("reported", ["Mars/Olympus_Mons", "", "../../etc/passwd", "/etc/localtime", "x" * 200, None, 42])
def test_a_zone_the_server_does_not_know_leaves_times_in_utc(reported):
    assert known_zone(reported) == "UTC"


def test_a_known_zone_is_kept():
    assert known_zone("Europe/Berlin") == "Europe/Berlin"
    assert known_zone("UTC") == "UTC"
