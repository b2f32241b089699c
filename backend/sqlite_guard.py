"""SQLite has a single writer: several worker processes would only queue on its file lock."""

from __future__ import annotations

import sys

from backend.runtime import Runtime


def require_single_worker(runtime: Runtime, workers: int) -> int:
    """The worker count to use: as asked on PostgreSQL, 1 (with a note) on SQLite."""
    if runtime.db.is_sqlite and workers > 1:
        print("SQLite has one writer: serving with 1 worker (use PostgreSQL for more)", file=sys.stderr)
        return 1
    return max(1, workers)
