"""Settings read from the environment, in one place, so every entry point agrees on them."""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from pathlib import Path

from backend.ratelimit.buckets import Limit
from backend.webhooks.settings import WebhookSettings

# Generous enough that one client at full ledger speed (bench/ledger.py) is never throttled.
DEFAULT_KEY_LIMIT = Limit(rate=2000, burst=4000)
DEFAULT_TENANT_LIMIT = Limit(rate=5000, burst=10000)
DEFAULT_API_URL = "http://127.0.0.1:3000"


@dataclass(frozen=True)
class Settings:
    """Runtime settings; see the contract's "Running it" section for their meaning."""

    data_dir: Path
    database_url: str
    nats_url: str | None
    redis_url: str | None
    session_lifetime_seconds: int = 12 * 3600
    rate_limit_key: Limit = DEFAULT_KEY_LIMIT
    rate_limit_tenant: Limit = DEFAULT_TENANT_LIMIT
    webhooks: WebhookSettings = field(default_factory=WebhookSettings)
    api_url: str = DEFAULT_API_URL  # where providers call back, and where sandbox providers are reached

    @classmethod
    def from_env(cls) -> "Settings":
        data_dir = Path(os.environ.get("ZENTRA_DATA_DIR", "./.zentra")).resolve()
        database_url = os.environ.get("ZENTRA_DATABASE_URL") or f"sqlite:///{data_dir / 'zentra.db'}"
        return cls(
            data_dir=data_dir,
            database_url=database_url,
            nats_url=os.environ.get("ZENTRA_NATS_URL") or None,
            redis_url=os.environ.get("ZENTRA_REDIS_URL") or None,
            session_lifetime_seconds=int(os.environ.get("ZENTRA_SESSION_LIFETIME_SECONDS") or 12 * 3600),
            rate_limit_key=_limit("ZENTRA_RATE_LIMIT_KEY", DEFAULT_KEY_LIMIT),
            rate_limit_tenant=_limit("ZENTRA_RATE_LIMIT_TENANT", DEFAULT_TENANT_LIMIT),
            webhooks=WebhookSettings.from_env(),
            api_url=(os.environ.get("ZENTRA_API_URL") or DEFAULT_API_URL).rstrip("/"),
        )


def _limit(name: str, default: Limit) -> Limit:
    """A `RATE/BURST` setting; a malformed one stops the start with a message naming it."""
    raw = os.environ.get(name, "").strip()
    return Limit.parse(raw, name) if raw else default
