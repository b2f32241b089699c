"""How a sandbox provider behaves: its latency and how often it fails, times out, declines, repeats
or reorders its callbacks, so every failure case the router must survive can be played on demand.

`failure_rate`, `timeout_rate` and `decline_rate` are shares of one draw (they add up to at most
1; the rest settles), so a behaviour of 0.2/0.1/0.1 gives exactly those proportions.
`duplicate_rate` and `out_of_order_rate` are drawn on their own. Every draw is seeded by
(provider id, reference, attempt), so replaying a scenario with the same ids gives the same story.
"""

from __future__ import annotations

import hashlib
import math
import random
from dataclasses import asdict, dataclass, fields
from itertools import accumulate

from backend.errors import ZentraError
from backend.inputs import object_body, reject_unknown, whole_number

MAX_LATENCY_MS = 60_000
OUTCOMES = ("failure", "timeout", "decline", "settle")


@dataclass(frozen=True)
class Behaviour:
    """`failure_rate`: answer a submission 503; `timeout_rate`: hold it past the caller's timeout
    and never call back; `decline_rate`: accept, then call back `intent.failed`;
    `duplicate_rate`: send the callback twice with one webhook-id; `out_of_order_rate`: after the
    settlement, send a stale `intent.failed` with a lower sequence."""

    latency_ms: int = 50
    failure_rate: float = 0.0
    timeout_rate: float = 0.0
    decline_rate: float = 0.0
    duplicate_rate: float = 0.0
    out_of_order_rate: float = 0.0

    def to_dict(self) -> dict:
        return asdict(self)


@dataclass(frozen=True)
class Decision:
    """What the provider does with one submission attempt."""

    outcome: str  # one of OUTCOMES
    duplicate: bool
    out_of_order: bool


RATES = tuple(f.name for f in fields(Behaviour) if f.name.endswith("_rate"))


def parse_behaviour(value: object) -> Behaviour:
    """A behaviour from its JSON object (missing keys take their defaults), or `validation_error`
    naming the offending `behaviour.<key>`."""
    body = object_body(value, "behaviour")
    reject_unknown(body, {f.name for f in fields(Behaviour)}, prefix="behaviour.")
    values: dict = {name: _rate(body, name) for name in RATES if name in body}
    if "latency_ms" in body:
        values["latency_ms"] = _latency(body["latency_ms"])
    behaviour = Behaviour(**values)
    if behaviour.failure_rate + behaviour.timeout_rate + behaviour.decline_rate > 1:
        raise ZentraError("validation_error", "failure_rate, timeout_rate and decline_rate are shares of one draw: together at most 1", "behaviour")
    return behaviour


def _rate(body: dict, name: str) -> float:
    value = body[name]
    if isinstance(value, bool) or not isinstance(value, (int, float)) or not math.isfinite(value) or not 0 <= value <= 1:
        raise ZentraError("validation_error", f"behaviour.{name} must be a number from 0 to 1", f"behaviour.{name}")
    return float(value)


def _latency(value: object) -> int:
    return whole_number(value, "behaviour.latency_ms", 0, MAX_LATENCY_MS)


def decide(behaviour: Behaviour, provider_id: str, reference: str, attempt: int) -> Decision:
    """The decision for one attempt: the same (provider, reference, attempt) always gets the same
    one, whatever else the provider is doing (the seed is a hash, not the process's random state)."""
    seed = hashlib.sha256(f"{provider_id}\x00{reference}\x00{attempt}".encode()).digest()
    draws = random.Random(int.from_bytes(seed, "big"))
    share, duplicate, out_of_order = draws.random(), draws.random(), draws.random()
    limits = accumulate((behaviour.failure_rate, behaviour.timeout_rate, behaviour.decline_rate))
    outcome = next((name for name, limit in zip(OUTCOMES, limits) if share < limit), "settle")
    return Decision(outcome, duplicate < behaviour.duplicate_rate, out_of_order < behaviour.out_of_order_rate)
