"""Public object identifiers: a type prefix plus a time-ordered random part (like a ULID).

48 bits of milliseconds then 64 random bits, in lower-case hex, so ids sort by creation time and
are minted in about a microsecond (ids are minted on hot paths; Python 3.11's base32 codec is
pure Python and twenty times slower).
"""

from __future__ import annotations

import os
import time


def new_id(prefix: str) -> str:
    """Return `prefix_` + 28 hex characters; later ids sort after earlier ones."""
    return f"{prefix}_{(time.time_ns() // 1_000_000).to_bytes(6, 'big').hex()}{os.urandom(8).hex()}"
