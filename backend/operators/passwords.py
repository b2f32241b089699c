"""Operator passwords: the policy, and Argon2id hashing that takes the same time whether or not
the account exists.

Parameters: argon2-cffi's `RFC_9106_LOW_MEMORY` profile, Argon2id with t=3 passes over m=64 MiB
and p=4 lanes (RFC 9106 section 4, the second recommended option, for machines that cannot spend
2 GiB per hash). The 64 MiB is what makes each guess expensive on GPUs and ASICs, whose cores
have little memory each; it costs about 0.15 s per sign-in on two shared cores, once per session.
At most `MAX_CONCURRENT_HASHES` hashes run at once, so a burst of sign-ins queues instead of
claiming 64 MiB apiece. Hashes made under older parameters still verify and are replaced at the
operator's next sign-in (`needs_rehash`).
"""

from __future__ import annotations

import threading

from argon2 import PasswordHasher, profiles
from argon2.exceptions import InvalidHashError, VerificationError

from backend.errors import ZentraError
from backend.inputs import storable_text

MIN_LENGTH = 12
MAX_LENGTH = 1024
MAX_CONCURRENT_HASHES = 4
# Verified in place of a hash when the email is unknown: a hash of a string no form can send, made
# with the current parameters (tests/backend/operators/test_passwords.py fails when they change).
DUMMY_HASH = "$argon2id$v=19$m=65536,t=3,p=4$Q1/QFhgn83zmTHZwdP5Okw$f0y0pBs7eXIf4vG9Zf8/3ob4oSyiPh+cm8V2wMZ91tg"

_hasher = PasswordHasher.from_parameters(profiles.RFC_9106_LOW_MEMORY)
_hash_slots = threading.BoundedSemaphore(MAX_CONCURRENT_HASHES)


def check_policy(password: object) -> str:
    """The password if it may be used (12 to 1024 characters of text), else `validation_error`."""
    if not isinstance(password, str) or not MIN_LENGTH <= len(password) <= MAX_LENGTH:
        raise ZentraError("validation_error", f"a password is {MIN_LENGTH} to {MAX_LENGTH} characters", "password")
    return storable_text(password, "password")


def hash_password(password: object) -> str:
    """The Argon2id hash (PHC string, salt included) of a password that meets the policy."""
    checked = check_policy(password)
    with _hash_slots:
        return _hasher.hash(checked)


def verify_password(stored_hash: str | None, password: object) -> bool:
    """Whether `password` matches `stored_hash`; with no hash (unknown email) a dummy hash is
    verified instead and the answer is False, so the time taken does not tell the two apart.
    Input no password can be (not text, too long) is refused at once, whoever it names."""
    if not isinstance(password, str) or len(password) > MAX_LENGTH:
        return False
    try:
        with _hash_slots:
            matched = _hasher.verify(stored_hash or DUMMY_HASH, password)
    except (VerificationError, InvalidHashError, UnicodeEncodeError):
        return False
    return matched and stored_hash is not None


def needs_rehash(stored_hash: str) -> bool:
    """Whether a hash was made with other parameters than today's (rehash it at sign-in)."""
    return _hasher.check_needs_rehash(stored_hash)

