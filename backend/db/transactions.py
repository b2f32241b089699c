"""Run a unit of work in one transaction, retrying the conflicts a database may raise under load.

PostgreSQL may abort a transaction with a deadlock or serialization failure and SQLite may give up
waiting for its write lock; neither is the client's fault, so the whole unit is retried and no such
error reaches a client. The unit must therefore be a pure function of the database state.
"""

from __future__ import annotations

import random
import time
from typing import Callable, TypeVar

from sqlalchemy.exc import DBAPIError, OperationalError
from sqlmodel import Session

from backend.db.engine import Database

T = TypeVar("T")

_RETRYABLE_SQLSTATES = {"40001", "40P01"}
MAX_ATTEMPTS = 8


def _is_retryable(exc: DBAPIError) -> bool:
    sqlstate = getattr(exc.orig, "sqlstate", None)
    if sqlstate in _RETRYABLE_SQLSTATES:
        return True
    return isinstance(exc, OperationalError) and "database is locked" in str(exc.orig)


def write(db: Database, unit: Callable[[Session], T]) -> T:
    """Run `unit` in a write transaction and commit; retry it whole on a transient conflict."""
    for attempt in range(1, MAX_ATTEMPTS + 1):
        try:
            with db.exclusive_writer(), Session(db.write, expire_on_commit=False) as session:
                with session.begin():
                    return unit(session)
        except DBAPIError as exc:
            if attempt == MAX_ATTEMPTS or not _is_retryable(exc):
                raise
            time.sleep(random.uniform(0, 0.01 * 2**attempt))
    raise AssertionError("unreachable")


def read(db: Database, unit: Callable[[Session], T]) -> T:
    """Run `unit` in a read transaction (never blocks behind SQLite's writer)."""
    with Session(db.read, expire_on_commit=False) as session:
        with session.begin():
            return unit(session)
