"""The callback types providers may send: for each, the table its `reference` names, the fields it
may carry besides the envelope, and how it applies.

The runtime (callbacks.py) locks the referenced row, settles duplicates and order, and calls
`apply` inside a savepoint. `apply` changes state only through the domain's own services, so a
callback obeys exactly the rules an API call does; a service refusing because the object is
already final (`invalid_state_transition`, `hold_expired`) makes the callback `stale`, any other
refusal `rejected`. A new kind of object (payment intents, say) registers its types here:

    register("intent.succeeded", Handler(Intent, succeed_intent, fields=frozenset({"amount_minor"})))
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Callable

from sqlmodel import Session, SQLModel

from backend.tenancy.scope import Scope


@dataclass(frozen=True)
class Callback:
    """A verified, well-formed callback, as a handler sees it."""

    receipt_id: str
    provider_id: str
    webhook_id: str
    type: str
    reference: str
    sequence: int
    occurred_at: datetime
    fields: dict = field(default_factory=dict)


Apply = Callable[[Session, Scope, Callback, datetime], dict]


@dataclass(frozen=True)
class Handler:
    """`target` is the model `reference` names (a row with `id`, `tenant_id` and `mode`)."""

    target: type[SQLModel]
    apply: Apply
    fields: frozenset[str] = frozenset()


HANDLERS: dict[str, Handler] = {}


def register(callback_type: str, handler: Handler) -> None:
    """Make `callback_type` a callback providers may send; a type has one handler."""
    if callback_type in HANDLERS:
        raise ValueError(f"callback type {callback_type!r} already has a handler")
    HANDLERS[callback_type] = handler
