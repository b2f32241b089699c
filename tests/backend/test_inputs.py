"""whole_number: the one rule for integer fields (not a bool, not a float, within inclusive bounds)."""

from __future__ import annotations

import pytest

from backend.errors import ZentraError
from backend.inputs import whole_number


@pytest.mark.parametrize("value", [True, False, 1.0, 1.5, "3", None, [3]])
def test_non_integers_are_refused(value):
    with pytest.raises(ZentraError) as refused:
        whole_number(value, "limit", 0, 10)
    assert refused.value.code == "validation_error" and refused.value.param == "limit"
    assert refused.value.message == "limit must be an integer from 0 to 10"


@pytest.mark.parametrize("value", [-1, 11, 10**30])
def test_values_outside_the_range_are_refused(value):
    with pytest.raises(ZentraError) as refused:
        whole_number(value, "limit", 0, 10)
    assert refused.value.code == "validation_error" and refused.value.param == "limit"


@pytest.mark.parametrize("value", [0, 5, 10])
def test_bounds_are_inclusive(value):
    assert whole_number(value, "limit", 0, 10) == value


def test_an_open_side_is_unbounded_and_the_message_says_which_side_holds():
    assert whole_number(10**30, "ttl", low=1) == 10**30
    assert whole_number(-(10**30), "delta", high=0) == -(10**30)
    assert whole_number(-5, "any") == -5
    with pytest.raises(ZentraError) as below:
        whole_number(0, "ttl", low=1)
    assert below.value.message == "ttl must be an integer of at least 1"
    with pytest.raises(ZentraError) as above:
        whole_number(1, "delta", high=0)
    assert above.value.message == "delta must be an integer of at most 0"
    with pytest.raises(ZentraError) as unbounded:
        whole_number(True, "any")
    assert unbounded.value.message == "any must be an integer"
