"""Public object identifiers: a type prefix plus a time-ordered random part (like a ULID).

48 bits of milliseconds then 80 random bits, base32-encoded with an ASCII-sorted alphabet, so ids
sort by creation time; the encoding is done by the C base32 codec (ids are minted on hot paths).
"""

from __future__ import annotations

import base64
import os
import time

_TO_SORTED = bytes.maketrans(b"ABCDEFGHIJKLMNOPQRSTUVWXYZ234567", b"0123456789abcdefghjkmnpqrstvwxyz")


def new_id(prefix: str) -> str:
    """Return `prefix_` + 26 base32 characters; later ids sort after earlier ones."""
    raw = (time.time_ns() // 1_000_000).to_bytes(6, "big") + os.urandom(10)
    return f"{prefix}_{base64.b32encode(raw).translate(_TO_SORTED)[:26].decode()}"
