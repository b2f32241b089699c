"""The traffic dial: start, pause and rate, sandbox only, bad input changes nothing."""

from __future__ import annotations

from datetime import timedelta

import pytest

from backend.db import transactions
from backend.db.tables import SandboxTraffic
from backend.errors import ZentraError
from backend.sandbox.traffic_dial import get_dial, owed, set_dial
from tests.backend.operators.conftest import make_operator, open_session
from tests.conftest import Api


def _set(runtime, scope, body, now=None):
    return transactions.write(runtime.db, lambda s: set_dial(s, scope, body, now or runtime.now()))


def test_a_new_dial_is_paused_and_starting_it_emits_an_event(runtime, tenant):
    assert transactions.read(runtime.db, lambda s: get_dial(s, tenant.sandbox))["running"] is False
    started = _set(runtime, tenant.sandbox, {"running": True, "rate_per_minute": 60})
    assert (started["running"], started["rate_per_minute"], started["event"]) == (True, 60, "sandbox.traffic_changed")
    _set(runtime, tenant.sandbox, {"running": False})


@pytest.mark.parametrize("body, param", [
    ({}, "running"),
    ({"running": "yes"}, "running"),
    ({"rate_per_minute": 0}, "rate_per_minute"),
    ({"rate_per_minute": 601}, "rate_per_minute"),
    ({"rate_per_minute": 1.5}, "rate_per_minute"),
    ({"seed": -1}, "seed"),
    ({"speed": 3}, "speed"),
])
def test_bad_settings_are_refused_and_change_nothing(runtime, tenant, body, param):
    _set(runtime, tenant.sandbox, {"rate_per_minute": 45})
    with pytest.raises(ZentraError) as refused:
        _set(runtime, tenant.sandbox, body)
    assert refused.value.code == "validation_error" and refused.value.param == param
    assert transactions.read(runtime.db, lambda s: get_dial(s, tenant.sandbox))["rate_per_minute"] == 45


def test_live_mode_has_no_traffic_dial(runtime, tenant):
    with pytest.raises(ZentraError) as refused:
        _set(runtime, tenant.live, {"running": True})
    assert refused.value.code == "invalid_request"


def test_what_is_owed_follows_the_rate_from_the_last_change(runtime, tenant):
    start = runtime.now()
    _set(runtime, tenant.sandbox, {"running": True, "rate_per_minute": 60}, start)
    row = transactions.read(runtime.db, lambda s: s.get(SandboxTraffic, tenant.tenant_id))
    assert owed(row, start + timedelta(seconds=10)) == 10
    row.sequence = 4
    assert owed(row, start + timedelta(seconds=10)) == 6
    row.running = False
    assert owed(row, start + timedelta(seconds=10)) == 0
    _set(runtime, tenant.sandbox, {"rate_per_minute": 6}, start + timedelta(seconds=10))
    changed = transactions.read(runtime.db, lambda s: s.get(SandboxTraffic, tenant.tenant_id))
    assert owed(changed, start + timedelta(seconds=20)) == 1  # counted from the change, not replayed
    _set(runtime, tenant.sandbox, {"running": False})


def test_over_http_support_may_turn_the_dial_and_a_viewer_may_only_look(runtime, api_url, tenant):
    support, viewer = (make_operator(runtime, {tenant.tenant_id: role}) for role in ("support", "viewer"))
    as_support, as_viewer = (Api(api_url, open_session(runtime, op.operator_id, tenant.tenant_id)) for op in (support, viewer))
    assert as_support.post("/sandbox/traffic", {"rate_per_minute": 90}).status_code == 200
    refused = as_viewer.post("/sandbox/traffic", {"running": True})
    assert (refused.status_code, refused.json()["error"]["code"]) == (403, "forbidden")
    shown = as_viewer.get("/sandbox/traffic").json()
    assert (shown["running"], shown["rate_per_minute"]) == (False, 90)
