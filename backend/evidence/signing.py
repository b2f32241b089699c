"""The evidence signing key and the signature format that `zentra verify` checks offline.

The key is an ed25519 key generated on first use in the data directory (shared by every process
through `backend.keyfiles`). Its public half is written `ed25519:<base64 of the raw 32 bytes>`,
and named by a key id, the first 16 hex digits of SHA-256 over those 32 bytes. A packet's
signature is over the 64 ASCII characters of its digest, the SHA-256 of the canonical JSON of
the packet body, so anyone can check it with any ed25519 library.

This module imports nothing from the database side: the offline verifier depends on it.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
from functools import lru_cache
from pathlib import Path
from typing import TYPE_CHECKING

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import (
    Ed25519PrivateKey,
    Ed25519PublicKey,
)

from backend.encoding import canonical
from backend.keyfiles import load_or_create_ed25519

if TYPE_CHECKING:
    from backend.config import Settings

ALGORITHM = "ed25519"
KEY_FILE = "evidence_signing_key.pem"
PUBLIC_KEY_PREFIX = "ed25519:"


class KeyFormatError(ValueError):
    """A public key or signature that is not in the format this module writes."""


def signing_key(settings: Settings) -> Ed25519PrivateKey:
    """The deployment's evidence signing key, created in the data directory on first use."""
    return _load(settings.data_dir / KEY_FILE)


@lru_cache(maxsize=8)
def _load(path: Path) -> Ed25519PrivateKey:
    return load_or_create_ed25519(path)


def packet_digest(packet: dict) -> str:
    """SHA-256 (hex) of the canonical JSON of a packet body: what the signature covers."""
    return hashlib.sha256(canonical(packet)).hexdigest()


def public_key_text(key: Ed25519PublicKey) -> str:
    raw = key.public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)
    return PUBLIC_KEY_PREFIX + base64.b64encode(raw).decode()


def key_id(public_key: str) -> str:
    """The short name of a public key (`ed25519:...` text), as packets and the CLI print it."""
    return hashlib.sha256(_raw_public_key(public_key)).hexdigest()[:16]


def public_key_info(key: Ed25519PrivateKey) -> dict:
    """What `GET /v1/evidence/public-key` publishes for pinning."""
    text = public_key_text(key.public_key())
    return {"alg": ALGORITHM, "key_id": key_id(text), "public_key": text}


def signature_block(key: Ed25519PrivateKey, digest: str) -> dict:
    """The `signature` object of a packet whose digest is `digest`."""
    return {**public_key_info(key), "value": base64.b64encode(key.sign(digest.encode("ascii"))).decode()}


def signature_valid(public_key: str, digest: str, value: str) -> bool:
    """Whether `value` (base64) is `public_key`'s signature of `digest`; raises
    `KeyFormatError` if either is malformed."""
    signature = _strict_b64decode(value, "signature value")
    try:
        Ed25519PublicKey.from_public_bytes(_raw_public_key(public_key)).verify(signature, digest.encode("ascii"))
    except InvalidSignature:
        return False
    return True


def _raw_public_key(text: str) -> bytes:
    if not text.startswith(PUBLIC_KEY_PREFIX):
        raise KeyFormatError(f"public key must start with {PUBLIC_KEY_PREFIX!r}")
    raw = _strict_b64decode(text[len(PUBLIC_KEY_PREFIX) :], "public key")
    if len(raw) != 32:
        raise KeyFormatError(f"public key must be 32 bytes, not {len(raw)}")
    return raw


def _strict_b64decode(text: str, what: str) -> bytes:
    """Decode base64 that must be exactly as this module writes it: a changed padding bit that
    decodes to the same bytes is still a changed byte."""
    try:
        raw = base64.b64decode(text.encode("ascii"), validate=True)
    except (binascii.Error, UnicodeEncodeError):
        raise KeyFormatError(f"{what} is not base64") from None
    if base64.b64encode(raw).decode() != text:
        raise KeyFormatError(f"{what} is not in canonical base64")
    return raw


def resolve_public_key(value: str) -> str:
    """A key given on the command line as `ed25519:...` text, or a file holding that text or a
    PEM public key, as `ed25519:...` text; raises `KeyFormatError` naming what is wrong."""
    if value.startswith(PUBLIC_KEY_PREFIX):
        _raw_public_key(value)  # refused here, by name, rather than never matching later
        return value
    path = Path(value)
    if not path.is_file():
        raise KeyFormatError(f"{value!r} is neither an {PUBLIC_KEY_PREFIX}... key nor a readable file")
    content = path.read_bytes().strip()
    if content.startswith(PUBLIC_KEY_PREFIX.encode()):
        return resolve_public_key(content.decode("ascii", errors="replace"))
    try:
        key = serialization.load_pem_public_key(content)
    except ValueError:
        raise KeyFormatError(f"{value} holds neither an {PUBLIC_KEY_PREFIX}... key nor a PEM public key") from None
    if not isinstance(key, Ed25519PublicKey):
        raise KeyFormatError(f"{value} holds a public key that is not ed25519")
    return public_key_text(key)
