"""The named failure scenarios, and running one to its verdict."""

from __future__ import annotations

import time
from collections.abc import Callable

import httpx

from backend.sandbox.cast import Cast
from backend.sandbox.scenarios.callbacks import (
    duplicate_callback,
    out_of_order_callbacks,
)
from backend.sandbox.scenarios.delivery import consumer_outage
from backend.sandbox.scenarios.holds import hold_expiry
from backend.sandbox.scenarios.rehearsal import Rehearsal, ScenarioError
from backend.sandbox.scenarios.retries import replay_storm
from backend.sandbox.scenarios.reviews import high_value_review
from backend.sandbox.scenarios.routing import provider_failover
from backend.sandbox.scenarios.stream import nats_outage
from backend.sandbox.scenarios.tenancy import cross_tenant_probe
from backend.sandbox.scenarios.verdict import Verdict

SCENARIOS: dict[str, Callable[[Rehearsal, Verdict], None]] = {
    "duplicate-callback": duplicate_callback,
    "out-of-order-callbacks": out_of_order_callbacks,
    "high-value-review": high_value_review,
    "consumer-outage": consumer_outage,
    "provider-failover": provider_failover,
    "hold-expiry": hold_expiry,
    "nats-outage": nats_outage,
    "replay-storm": replay_storm,
    "cross-tenant-probe": cross_tenant_probe,
}


def run_scenario(name: str, base_url: str, cast: Cast) -> Verdict:
    """Play `name` against the instance at `base_url` as `cast`; a scenario that could not go on
    (the instance refused a step, or did not answer) ends FAILED with the reason as its last check."""
    if name not in SCENARIOS:
        raise KeyError(f"no scenario {name!r}; choose from {', '.join(SCENARIOS)}")
    verdict, started = Verdict(name), time.monotonic()
    rehearsal = Rehearsal(base_url, cast)
    try:
        SCENARIOS[name](rehearsal, verdict)
    except (ScenarioError, httpx.HTTPError, OSError) as err:
        verdict.check("scenario could go on", False, str(err))
    finally:
        rehearsal.close()
        verdict.seconds = time.monotonic() - started
    return verdict
