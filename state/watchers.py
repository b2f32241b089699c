"""Which browser sessions of this backend worker watch which tenant and mode.

A session registers here each time its token is verified (and leaves when it signs out), so the
live feed pushes an event only to sessions of the event's own tenant and mode, and only to those
connected to this worker: with several workers, each pushes to its own clients. The push verifies
the session again before showing anything.
"""

from __future__ import annotations

_watching: dict[str, tuple[str, str]] = {}


def watch(client_token: str, tenant_id: str, mode: str) -> None:
    _watching[client_token] = (tenant_id, mode)


def forget(client_token: str) -> None:
    _watching.pop(client_token, None)


def watchers_of(tenant_id: str, mode: str) -> list[str]:
    """Client tokens whose verified session last acted in `tenant_id` and `mode`."""
    return [token for token, scope in _watching.items() if scope == (tenant_id, mode)]
