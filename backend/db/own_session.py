"""A long-lived poller's own database session: one statement, one round trip.

Background loops (the event relay, the intent router) ask the database many times a second
whether there is work. On PostgreSQL a pooled transaction makes each question three or four
round trips (BEGIN, the query, COMMIT, and any per-transaction settings); in autocommit on a
connection kept by the poller it is one, and the statement is its own consistent snapshot. The
connection is closed, never returned to the pool, so session settings cannot leak into other
work. On SQLite a read is in process and costs no round trip, so it stays a pooled read.
"""

from __future__ import annotations

import contextlib
from typing import Callable, TypeVar

from sqlalchemy.engine import Connection

from backend.db import transactions
from backend.db.engine import Database

T = TypeVar("T")


class OwnSession:
    """Runs single statements for one poller; `setup` (SQL, PostgreSQL only) runs once per
    session, e.g. `SET` commands meant for this poller's queries alone."""

    def __init__(self, db: Database, setup: str | None = None):
        self.db = db
        self.setup = setup
        self._conn: Connection | None = None

    def run(self, statement: Callable[[Connection], T]) -> T:
        """`statement(connection)`, which should execute one statement; after a failure the next
        call opens a fresh session (the server may have restarted)."""
        if self.db.is_sqlite:
            return transactions.read(self.db, lambda session: statement(session.connection()))
        conn = self._connection()
        try:
            result = statement(conn)
            conn.commit()  # ends SQLAlchemy's bookkeeping; in autocommit nothing is sent
            return result
        except Exception:
            self.close()
            raise

    def close(self) -> None:
        conn, self._conn = self._conn, None
        if conn is not None:
            with contextlib.suppress(Exception):
                conn.invalidate()
            conn.close()

    def _connection(self) -> Connection:
        if self._conn is None:
            conn = self.db.write.connect().execution_options(isolation_level="AUTOCOMMIT")
            try:
                if self.setup:
                    conn.exec_driver_sql(self.setup)
            except Exception:
                conn.invalidate()
                conn.close()
                raise
            self._conn = conn
        return self._conn
