"""Signing keys kept as files in the data directory: created once, readable only by their owner.

Several processes (the API workers, the Reflex backend, the CLI) may start at the same moment on
a fresh data directory. Each writes its candidate key to a private temporary file and then
hard-links it to the final name: the link either creates the name or fails because it exists, so
exactly one candidate wins and every process, the losers included, loads the winner's key. A
rename would silently replace a key another process already signed with.
"""

from __future__ import annotations

import os
import secrets
from pathlib import Path

from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

KEY_FILE_MODE = 0o600


def load_or_create_ed25519(path: Path) -> Ed25519PrivateKey:
    """The ed25519 private key stored at `path` (PEM, PKCS#8), created there on first use."""
    if not path.exists():
        _create(path)
    key = serialization.load_pem_private_key(path.read_bytes(), password=None)
    if not isinstance(key, Ed25519PrivateKey):
        raise ValueError(f"{path} does not hold an ed25519 private key")
    return key


def _create(path: Path) -> None:
    """Publish a new key at `path` unless another process already did."""
    path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
    pem = Ed25519PrivateKey.generate().private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    )
    candidate = path.with_name(f".{path.name}.{os.getpid()}.{secrets.token_hex(8)}.tmp")
    fd = os.open(candidate, os.O_WRONLY | os.O_CREAT | os.O_EXCL, KEY_FILE_MODE)
    try:
        with os.fdopen(fd, "wb") as handle:
            handle.write(pem)
            handle.flush()
            os.fsync(handle.fileno())
        os.link(candidate, path)
        _fsync_directory(path.parent)
    except FileExistsError:
        pass
    finally:
        candidate.unlink(missing_ok=True)


def _fsync_directory(directory: Path) -> None:
    """Make the new name durable, so a crash cannot lose a key that already signed something."""
    fd = os.open(directory, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)
