"""The tenant and mode a request acts in; every query filters by both."""

from __future__ import annotations

from dataclasses import dataclass

MODES = ("sandbox", "live")


@dataclass(frozen=True)
class Scope:
    tenant_id: str
    mode: str
    actor: str = "system"
    role: str = "system"

    def __post_init__(self) -> None:
        if self.mode not in MODES:
            raise ValueError(f"mode must be one of {MODES}")
