"""Roles and the one permission table: which role may perform which operator action.

The server refuses with this table (`backend.operators.actions`) and the operations room hides
pages and buttons with the same table (`allowed`, `actions_for`), so what a role sees and what it
may do can never disagree.
"""

from __future__ import annotations

from backend.errors import ZentraError

ROLES = ("admin", "support", "finance", "compliance", "viewer")

PERMISSIONS: dict[str, frozenset[str]] = {
    "ledger.view": frozenset(ROLES),
    "accounts.create": frozenset({"admin", "finance"}),
    "holds.capture": frozenset({"admin", "support"}),
    "holds.release": frozenset({"admin", "support"}),
    "holds.extend": frozenset({"admin", "support"}),
    "audit.view": frozenset({"admin", "compliance"}),
    "evidence.export": frozenset({"admin", "compliance"}),
    "operators.manage": frozenset({"admin"}),
    "webhooks.view": frozenset({"admin", "support", "finance"}),
    "webhooks.manage": frozenset({"admin", "support"}),
    "finance.view": frozenset({"admin", "finance"}),
    "tenant.switch": frozenset(ROLES),
    "intents.view": frozenset(ROLES),
    "intents.create": frozenset({"admin", "support", "finance"}),
    "reviews.decide": frozenset({"admin", "support"}),
    "reviews.assign": frozenset({"admin", "support"}),
    "policy.view": frozenset(ROLES),
    "policy.manage": frozenset({"admin"}),
    "filters.save": frozenset(ROLES),
    "reconciliation.view": frozenset({"admin", "finance", "compliance"}),
    "reconciliation.manage": frozenset({"admin", "finance"}),
    "screening.view": frozenset({"admin", "support", "compliance"}),
    "screening.manage": frozenset({"admin", "compliance"}),
    "screening.decide": frozenset({"admin", "compliance"}),
    "sandbox.view": frozenset(ROLES),
    "sandbox.operate": frozenset({"admin", "support"}),
}


def allowed(role: str, action: str) -> bool:
    """Whether `role` may perform `action` (an action missing from the table is a programming error)."""
    if action not in PERMISSIONS:
        raise ValueError(f"unknown operator action {action!r}")
    return role in PERMISSIONS[action]


def require(role: str, action: str) -> None:
    """Refuse with `forbidden` unless `role` may perform `action`."""
    if not allowed(role, action):
        raise ZentraError("forbidden", f"the {role} role may not perform {action}")


def actions_for(role: str) -> frozenset[str]:
    """Every action `role` may perform: what the operations room shows that role."""
    return frozenset(action for action, roles in PERMISSIONS.items() if role in roles)
