"""Engines for SQLite (WAL, writers serialised by `BEGIN IMMEDIATE`) and PostgreSQL (psycopg 3).

Two engines share one database: writes begin `IMMEDIATE` on SQLite so a transaction that will
lock and update balances holds the write lock from its first read, and reads begin deferred so they
never queue behind writers. On PostgreSQL writes are READ COMMITTED, with row locks
(`SELECT … FOR UPDATE` in sorted id order) doing the serialising, and reads are REPEATABLE READ
so that everything one read shows comes from one snapshot.
"""

from __future__ import annotations

import threading
from contextlib import nullcontext
from dataclasses import dataclass, field
from pathlib import Path

from sqlalchemy import Engine, create_engine, event
from sqlalchemy.engine import make_url


@dataclass(frozen=True)
class Database:
    """The read and write engines of one database."""

    url: str
    write: Engine
    read: Engine
    writer_gate: threading.Lock | None = field(default=None, compare=False)

    @property
    def is_sqlite(self) -> bool:
        return self.write.dialect.name == "sqlite"

    def exclusive_writer(self):
        """SQLite admits one writer at a time; queueing writers on a mutex in this process is
        fair and immediate, where SQLite's busy handler sleeps in growing steps (tail latency of
        seconds under load). The busy timeout still covers writers in other processes."""
        return self.writer_gate if self.writer_gate is not None else nullcontext()

    def dispose(self) -> None:
        self.write.dispose()
        self.read.dispose()


def _sqlite_engine(url: str, begin: str) -> Engine:
    engine = create_engine(url, connect_args={"check_same_thread": False, "timeout": 60}, pool_size=20, max_overflow=40)

    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_connection, _record) -> None:
        dbapi_connection.isolation_level = None  # SQLAlchemy, not pysqlite, emits BEGIN
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute("PRAGMA synchronous=FULL")
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.execute("PRAGMA busy_timeout=60000")
        cursor.close()

    @event.listens_for(engine, "begin")
    def _on_begin(conn) -> None:
        conn.exec_driver_sql(begin)

    return engine


def _postgres_engine(url: str, schema: str | None) -> Engine:
    connect_args = {"options": f"-csearch_path={schema}"} if schema else {}
    return create_engine(url, connect_args=connect_args, pool_size=20, max_overflow=40, pool_recycle=1800)


def open_database(url: str, *, schema: str | None = None) -> Database:
    """Open `url`; `schema` (PostgreSQL only) isolates a test run inside a shared database."""
    parsed = make_url(url)
    if parsed.get_backend_name() == "sqlite":
        if parsed.database:
            Path(parsed.database).parent.mkdir(parents=True, exist_ok=True)
        return Database(url, _sqlite_engine(url, "BEGIN IMMEDIATE"), _sqlite_engine(url, "BEGIN"), threading.Lock())
    engine = _postgres_engine(url, schema)
    # Reads run as one snapshot (a balance and the pending postings due against it must agree);
    # the copy shares the engine's pool.
    return Database(url, engine, engine.execution_options(isolation_level="REPEATABLE READ"))
