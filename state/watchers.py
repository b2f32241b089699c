"""Which browser sessions of this backend worker watch which tenant and mode.

A session registers here each time its token is verified (and leaves when it signs out or its
verification fails), so the live feed pushes an event only to sessions of the event's own tenant
and mode, and only to those connected to this worker: with several workers, each pushes to its
own clients. The push verifies the session again before showing anything, trusting its own
previous verification of the same session token for at most `PUSH_RECHECK_SECONDS`.
"""

from __future__ import annotations

import time

from backend.operators.sessions import OperatorScope

# How long a live push's verification of a session stands for that session's next pushes: each
# verification is a database read (about 3 ms on PostgreSQL) and a session takes up to ten pushes
# a second. It bounds how long a session signed out elsewhere, expired, or demoted can still
# receive pushed data; the operator's own events always verify anew.
PUSH_RECHECK_SECONDS = 1.0

_watching: dict[str, tuple[str, str]] = {}
# client token -> (session token, monotonic time, operator) of the last push verification.
_verified: dict[str, tuple[str, float, OperatorScope]] = {}
_clock = time.monotonic


def watch(client_token: str, tenant_id: str, mode: str) -> None:
    _watching[client_token] = (tenant_id, mode)


def forget(client_token: str) -> None:
    _watching.pop(client_token, None)
    _verified.pop(client_token, None)


def watchers_of(tenant_id: str, mode: str) -> list[str]:
    """Client tokens whose verified session last acted in `tenant_id` and `mode`."""
    return [token for token, scope in _watching.items() if scope == (tenant_id, mode)]


def note_verified(client_token: str, session_token: str, operator: OperatorScope) -> None:
    """A live push to `client_token` has just verified `session_token` as `operator`."""
    _verified[client_token] = (session_token, _clock(), operator)


def verified_recently(client_token: str, session_token: str) -> OperatorScope | None:
    """The operator a push verified for this client and session token less than
    `PUSH_RECHECK_SECONDS` ago, or None (verify now)."""
    noted = _verified.get(client_token)
    if noted is None or noted[0] != session_token or _clock() - noted[1] >= PUSH_RECHECK_SECONDS:
        return None
    return noted[2]
