"""A switch that cuts this process's event relay off from NATS for a while: the `nats-outage`
rehearsal's fault. While it is on, the relay drops its connection and cannot open another, exactly
as if the server were unreachable; events wait in the outbox and go out, each once, when it ends.

Only instances started with `ZENTRA_SANDBOX_FAULTS=1` (what `zentra demo` sets) let the sandbox
turn it on: it stops publishing for every tenant of the process, so it belongs on rehearsal
instances only.
"""

from __future__ import annotations

import os
import time

FAULTS_SETTING = "ZENTRA_SANDBOX_FAULTS"
MAX_SECONDS = 120.0

_until = 0.0


def faults_allowed() -> bool:
    return os.environ.get(FAULTS_SETTING) == "1"


def partition_for(seconds: float) -> float:
    """Cut the relay off for `seconds` from now; answers when it heals (monotonic clock)."""
    global _until
    _until = time.monotonic() + min(max(seconds, 0.0), MAX_SECONDS)
    return _until


def remaining() -> float:
    """Seconds left in the current partition (0 when there is none)."""
    return max(_until - time.monotonic(), 0.0)


def check() -> None:
    """Raise `ConnectionError` while partitioned (the relay treats it as a NATS outage)."""
    left = remaining()
    if left:
        raise ConnectionError(f"sandbox fault: the relay is partitioned from NATS for {left:.1f} s more")
