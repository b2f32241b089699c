"""The process's runtime: settings, the migrated database and the clock, shared by API and UI."""

from __future__ import annotations

import threading
from dataclasses import dataclass, field
from datetime import datetime
from typing import Callable

from backend.clock import utcnow
from backend.config import Settings
from backend.db.engine import Database, open_database
from backend.db.migrate import upgrade


@dataclass
class Runtime:
    settings: Settings
    db: Database
    now: Callable[[], datetime] = field(default=utcnow)


_lock = threading.Lock()
_current: Runtime | None = None


def open_runtime(settings: Settings, *, schema: str | None = None) -> Runtime:
    """Open and migrate the database named by `settings` (the app migrates on start)."""
    settings.data_dir.mkdir(parents=True, exist_ok=True)
    db = open_database(settings.database_url, schema=schema)
    upgrade(db)
    return Runtime(settings=settings, db=db)


def current() -> Runtime:
    """The process-wide runtime, opened from the environment on first use."""
    global _current
    with _lock:
        if _current is None:
            _current = open_runtime(Settings.from_env())
        return _current


def install(runtime: Runtime) -> None:
    """Make `runtime` the process-wide one (entry points and tests that open their own)."""
    global _current
    with _lock:
        _current = runtime
