"""Fixtures for screening tests."""

from __future__ import annotations

import pytest

from tests.backend.screening.support import Desk, desk


@pytest.fixture
def screening_desk(runtime, api, api_url, tenant) -> Desk:
    return desk(runtime, api, api_url, tenant)
