"""Settings read from the environment, in one place, so every entry point agrees on them."""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path


@dataclass(frozen=True)
class Settings:
    """Runtime settings; see the contract's "Running it" section for their meaning."""

    data_dir: Path
    database_url: str
    nats_url: str | None
    redis_url: str | None

    @classmethod
    def from_env(cls) -> "Settings":
        data_dir = Path(os.environ.get("ZENTRA_DATA_DIR", "./.zentra")).resolve()
        database_url = os.environ.get("ZENTRA_DATABASE_URL") or f"sqlite:///{data_dir / 'zentra.db'}"
        return cls(
            data_dir=data_dir,
            database_url=database_url,
            nats_url=os.environ.get("ZENTRA_NATS_URL") or None,
            redis_url=os.environ.get("ZENTRA_REDIS_URL") or None,
        )
