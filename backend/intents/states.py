"""The intent state machine: one explicit table of allowed transitions and the event each emits.

`accepted -> controlled -> ledgered -> routed -> synchronized -> evidenced` is the happy path;
`review` waits for a person, `rejected` and `failed` end an intent without money moving (any hold
is released first), `retrying` means webhook delivery of its events is behind, and `reversed`
undoes a settled intent with new linked postings. Anything not in the table is refused with
`invalid_state_transition`, so no code path can invent a transition.
"""

from __future__ import annotations

from backend.errors import ZentraError

STATES = ("accepted", "controlled", "review", "ledgered", "routed", "synchronized", "retrying", "evidenced", "rejected", "failed", "reversed")
TERMINAL = frozenset({"rejected", "failed", "reversed"})

# (from, to) -> the event type the transition emits.
TRANSITIONS: dict[tuple[str, str], str] = {
    ("accepted", "controlled"): "policy.accepted",
    ("accepted", "review"): "policy.review_required",
    ("accepted", "rejected"): "policy.rejected",
    ("review", "review"): "review.amended",
    ("review", "controlled"): "review.approved",
    ("review", "rejected"): "review.rejected",
    ("controlled", "ledgered"): "ledger.reserved",
    ("controlled", "failed"): "intent.failed",
    ("ledgered", "routed"): "provider.routed",
    ("ledgered", "failed"): "intent.failed",
    ("routed", "synchronized"): "intent.synchronized",
    ("routed", "failed"): "intent.failed",
    ("synchronized", "evidenced"): "evidence.sealed",
    ("synchronized", "retrying"): "webhook.retrying",
    ("retrying", "evidenced"): "evidence.sealed",
    ("synchronized", "reversed"): "intent.reversed",
    ("retrying", "reversed"): "intent.reversed",
    ("evidenced", "reversed"): "intent.reversed",
}

# The state an intent is in once the entry of each step has happened: what the intent table shows
# as its path so far.
HAPPY_PATH = ("accepted", "controlled", "ledgered", "routed", "synchronized", "evidenced")


def event_for(current: str, target: str) -> str:
    """The event type of `current -> target`, or `invalid_state_transition` if the table has no
    such transition."""
    event = TRANSITIONS.get((current, target))
    if event is None:
        raise ZentraError("invalid_state_transition", f"an intent cannot go from {current} to {target}")
    return event


def allowed_from(current: str) -> tuple[str, ...]:
    """The states reachable in one step from `current` (what the operations room may offer)."""
    return tuple(target for (source, target) in TRANSITIONS if source == current)
