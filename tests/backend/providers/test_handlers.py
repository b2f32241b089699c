"""The handler table: hold callbacks are installed with the runtime, and a type has one handler."""

from __future__ import annotations

import pytest

from backend.db.tables import Hold
from backend.providers.callbacks import HANDLERS
from backend.providers.handlers import register


def test_the_hold_callbacks_are_installed_with_the_runtime():
    assert {"hold.settled", "hold.failed"} <= set(HANDLERS)
    assert HANDLERS["hold.settled"].target is Hold and HANDLERS["hold.settled"].fields == {"amount_minor"}
    assert HANDLERS["hold.failed"].fields == frozenset()


def test_a_callback_type_cannot_be_registered_twice():
    with pytest.raises(ValueError):
        register("hold.settled", HANDLERS["hold.failed"])
