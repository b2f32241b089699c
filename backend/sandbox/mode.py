"""The sandbox's own work (the traffic dial, failure rehearsals) happens in sandbox mode only."""

from __future__ import annotations

from backend.errors import ZentraError
from backend.tenancy.scope import Scope


def sandbox_only(scope: Scope, what: str) -> None:
    """Refuse `what` (a phrase such as "traffic is generated") outside sandbox mode."""
    if scope.mode != "sandbox":
        raise ZentraError("invalid_request", f"{what} in sandbox mode only; switch to sandbox", "mode")
