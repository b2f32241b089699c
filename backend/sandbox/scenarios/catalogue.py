"""The named failure scenarios, and running one to its verdict."""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass

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

Play = Callable[[Rehearsal, Verdict], None]


@dataclass(frozen=True)
class Scenario:
    """A named rehearsal: how it plays, and the one line the sandbox room shows beside it."""

    play: Play
    summary: str


SCENARIOS: dict[str, Scenario] = {
    "duplicate-callback": Scenario(duplicate_callback, "The provider sends every callback twice: one is applied, the copy refused, the ledger moves once."),
    "out-of-order-callbacks": Scenario(out_of_order_callbacks, "A stale failure arrives after the settlement: it is recorded with why, and the settlement stands."),
    "high-value-review": Scenario(high_value_review, "An intent over the review threshold waits for two checkers; its maker cannot approve it."),
    "consumer-outage": Scenario(consumer_outage, "The webhook consumer answers 503: deliveries back off, then drain once it is back."),
    "provider-failover": Scenario(provider_failover, "The corridor's first provider fails every submission: the router fails over, one settlement."),
    "hold-expiry": Scenario(hold_expiry, "A hold nobody captures expires on time and releases its funds."),
    "nats-outage": Scenario(nats_outage, "The relay loses NATS: money keeps moving, events wait in the outbox, all evidenced once it is back."),
    "replay-storm": Scenario(replay_storm, "A client retries every request ten times: one effect each, the same answer each time."),
    "cross-tenant-probe": Scenario(cross_tenant_probe, "This tenant's key reaches for a neighbour's account and hold: 404, nothing changed, the attempt audited."),
}


def run_scenario(name: str, base_url: str, cast: Cast) -> Verdict:
    """Play `name` against the instance at `base_url` as `cast`; a scenario that could not go on
    (the instance refused a step, or did not answer) ends FAILED with the reason as its last check."""
    if name not in SCENARIOS:
        raise KeyError(f"no scenario {name!r}; choose from {', '.join(SCENARIOS)}")
    verdict, started = Verdict(name), time.monotonic()
    rehearsal = Rehearsal(base_url, cast)
    try:
        SCENARIOS[name].play(rehearsal, verdict)
    except (ScenarioError, httpx.HTTPError, OSError) as err:
        verdict.check("scenario could go on", False, str(err))
    finally:
        rehearsal.close()
        verdict.seconds = time.monotonic() - started
    return verdict
