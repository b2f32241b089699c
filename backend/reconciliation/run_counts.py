"""A run's counters and its match rate, kept on the run row so the room lists runs without
counting lines.

The match rate is matched lines / (lines + settlements the report missed), in basis points: a
report whose every line matched but that left settlements out is not reconciled to 100 %.
"""

from __future__ import annotations

import orjson
from sqlmodel import Session

from backend.db.tables import ReconciliationRun


def match_rate_bp(matched: int, lines: int, missing_in_report: int) -> int:
    expected = lines + missing_in_report
    return 10_000 if expected == 0 else matched * 10_000 // expected


def add_matched(session: Session, run_id: str, lines: int) -> None:
    """`lines` more of the run's lines matched after the run (on a callback's arrival, or linked
    by hand); the rate follows."""
    run = session.get(ReconciliationRun, run_id, with_for_update=True)
    run.matched_count += lines
    run.match_rate_bp = match_rate_bp(run.matched_count, run.line_count, orjson.loads(run.counts_json).get("missing_in_report", 0))


def shown_rate(bp: int) -> str:
    return f"{bp / 100:.2f}%"
