"""Rate limits are read from the environment as RATE/BURST, and a malformed one names itself."""

from __future__ import annotations

import pytest

from backend.config import DEFAULT_KEY_LIMIT, DEFAULT_TENANT_LIMIT, Settings
from backend.ratelimit.buckets import Limit


def test_defaults_apply_when_unset(monkeypatch):
    monkeypatch.delenv("ZENTRA_RATE_LIMIT_KEY", raising=False)
    monkeypatch.delenv("ZENTRA_RATE_LIMIT_TENANT", raising=False)
    settings = Settings.from_env()
    assert (settings.rate_limit_key, settings.rate_limit_tenant) == (DEFAULT_KEY_LIMIT, DEFAULT_TENANT_LIMIT)
    assert DEFAULT_KEY_LIMIT == Limit(2000, 4000) and DEFAULT_TENANT_LIMIT == Limit(5000, 10000)


def test_limits_are_read_as_rate_slash_burst(monkeypatch):
    monkeypatch.setenv("ZENTRA_RATE_LIMIT_KEY", "12.5/40")
    monkeypatch.setenv("ZENTRA_RATE_LIMIT_TENANT", " 100 / 300 ")
    settings = Settings.from_env()
    assert settings.rate_limit_key == Limit(12.5, 40)
    assert settings.rate_limit_tenant == Limit(100, 300)


@pytest.mark.parametrize("raw", ["fast", "100", "0/10", "10/0", "-1/5", "10/2.5", "1e3/10"])
def test_a_malformed_limit_is_refused_by_name(monkeypatch, raw):
    monkeypatch.setenv("ZENTRA_RATE_LIMIT_TENANT", raw)
    with pytest.raises(ValueError, match="ZENTRA_RATE_LIMIT_TENANT must be RATE/BURST"):
        Settings.from_env()
