"""A poller's own session on PostgreSQL: one statement per call in autocommit, its settings kept
to itself, and a fresh session after the server drops it."""

from __future__ import annotations

import time

import pytest
from sqlalchemy import text
from sqlalchemy.exc import DBAPIError

from backend.db import transactions
from backend.db.own_session import OwnSession
from tests.conftest import PG_URL

pytestmark = pytest.mark.skipif(PG_URL is None, reason="on SQLite a poller's read is a pooled read in process")

MARK = "SELECT 'own-session-probe'"
SESSIONS = text("SELECT pid, state FROM pg_stat_activity WHERE datname = current_database() AND pid <> pg_backend_pid() AND query = :mark")


def sessions(runtime) -> dict[int, str]:
    """The server sessions whose last statement was MARK: pid -> state."""
    return dict(transactions.read(runtime.db, lambda s: s.execute(SESSIONS, {"mark": MARK}).all()))


def probe(own: OwnSession) -> str:
    return own.run(lambda conn: conn.exec_driver_sql(MARK).scalar_one())


def wait_gone(runtime) -> None:
    deadline = time.monotonic() + 5
    while sessions(runtime) and time.monotonic() < deadline:
        time.sleep(0.05)


def test_between_calls_its_session_is_idle_outside_any_transaction(runtime):
    own = OwnSession(runtime.db)
    try:
        assert probe(own) == "own-session-probe"
        assert probe(own) == "own-session-probe"
        assert list(sessions(runtime).values()) == ["idle"]  # one session, not "idle in transaction"
    finally:
        own.close()


def test_its_settings_stay_on_its_session_which_closing_ends(runtime):
    own = OwnSession(runtime.db, setup="SET enable_bitmapscan = off")
    assert own.run(lambda conn: conn.exec_driver_sql("SELECT current_setting('enable_bitmapscan')").scalar_one()) == "off"
    probe(own)
    own.close()
    wait_gone(runtime)
    assert sessions(runtime) == {}  # closed, not back in the pool
    assert transactions.read(runtime.db, lambda s: s.execute(text("SELECT current_setting('enable_bitmapscan')")).scalar_one()) == "on"


def test_after_the_server_drops_its_session_the_next_call_opens_a_fresh_one(runtime):
    own = OwnSession(runtime.db)
    try:
        probe(own)
        (pid,) = sessions(runtime)
        transactions.read(runtime.db, lambda s: s.execute(text("SELECT pg_terminate_backend(:pid)"), {"pid": pid}))
        wait_gone(runtime)
        with pytest.raises(DBAPIError):
            probe(own)
        assert probe(own) == "own-session-probe"
        assert list(sessions(runtime)) != [pid]
    finally:
        own.close()
