"""The JSON encodings Zentra stores and sends, done by orjson (they sit on the posting hot path).

Only values Zentra produced itself pass through here (amounts already checked to fit int64);
request bodies, which may hold any integer, are fingerprinted with the standard library.
"""

from __future__ import annotations

import orjson


def dumps(value: object) -> bytes:
    """Compact JSON, keys in the order given (answers keep the contract's field order)."""
    return orjson.dumps(value)


def canonical(value: object) -> bytes:
    """Compact JSON with sorted keys: the form that hashes and signatures are computed over."""
    return orjson.dumps(value, option=orjson.OPT_SORT_KEYS)
