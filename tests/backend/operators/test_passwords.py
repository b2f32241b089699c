"""Passwords: Argon2id with the stated parameters, a policy, the same answer and about the same
time for an unknown email as for a wrong password, and a rehash at sign-in when parameters change."""

from __future__ import annotations

import time

import pytest
from argon2 import PasswordHasher
from sqlalchemy import func, select

from backend.db import transactions
from backend.db.tables import Operator
from backend.errors import ZentraError
from backend.operators import directory, passwords, sessions
from tests.backend.operators.conftest import make_operator, records, rid


def test_hash_is_argon2id_with_the_stated_parameters_and_verifies_only_the_password():
    stored = passwords.hash_password("a long enough password")
    assert stored.startswith("$argon2id$v=19$m=65536,t=3,p=4$")
    assert passwords.verify_password(stored, "a long enough password")
    assert not passwords.verify_password(stored, "a long enough passworD")
    assert not passwords.verify_password(stored, None)


def test_the_dummy_hash_uses_todays_parameters():
    """Otherwise an unknown email would verify faster or slower than a known one."""
    assert not passwords.needs_rehash(passwords.DUMMY_HASH)
    assert not passwords.verify_password(None, "\x00unknown operator\x00")


@pytest.mark.parametrize("bad", ["short", "", " " * 11, None, 123456789012345, "x" * 1025, "twelve chars\x00"])
def test_policy_refuses_bad_passwords(bad):
    with pytest.raises(ZentraError) as refused:
        passwords.hash_password(bad)
    assert refused.value.code == "validation_error" and refused.value.param == "password"


def test_wrong_password_and_unknown_email_get_the_same_answer_and_are_recorded(runtime, tenant):
    op = make_operator(runtime, {tenant.tenant_id: "viewer"})
    answers = []
    for email, password in [(op.email, "not the password at all"), ("nobody-" + op.email, op.password), (op.email.upper(), "")]:
        request_id = rid()
        with pytest.raises(ZentraError) as refused:
            sessions.sign_in(runtime, email, password, request_id=request_id)
        answers.append((refused.value.code, refused.value.message))
        [record] = records(runtime, request_id)
        assert record["chain"] == "platform" and record["actor"] == "anonymous" and record["action"] == "session.sign_in"
        assert record["policy"] == {"decision": "denied", "reason": "bad_credentials"} and record["detail"]["email"] == email.lower()
    assert len(set(answers)) == 1 and answers[0][0] == "unauthorized"


def test_an_unknown_email_still_verifies_a_hash(runtime, tenant, monkeypatch):
    op = make_operator(runtime, {tenant.tenant_id: "viewer"})
    seen = []
    real = passwords.verify_password
    monkeypatch.setattr(passwords, "verify_password", lambda stored, pw: seen.append(stored) or real(stored, pw))

    def timed(email: str) -> float:
        start = time.perf_counter()
        with pytest.raises(ZentraError):
            transactions.read(runtime.db, lambda s: directory.authenticate(s, email, "wrong password here"))
        return time.perf_counter() - start

    known, unknown = timed(op.email), timed("nobody@example.com")
    assert seen[0].startswith("$argon2id$") and seen[1] is None
    assert unknown > known * 0.5


def test_a_disabled_operator_cannot_sign_in(runtime, tenant):
    op = make_operator(runtime, {tenant.tenant_id: "admin"})

    def disable(session) -> None:
        session.get(Operator, op.operator_id).disabled_at = runtime.now()

    transactions.write(runtime.db, disable)
    with pytest.raises(ZentraError) as refused:
        sessions.sign_in(runtime, op.email, op.password)
    assert refused.value.code == "unauthorized" and refused.value.message == "wrong email or password"


def test_sign_in_rehashes_a_password_hashed_with_older_parameters(runtime, tenant):
    op = make_operator(runtime, {tenant.tenant_id: "viewer"})
    old = PasswordHasher(time_cost=1, memory_cost=8192, parallelism=1).hash(op.password)

    def weaken(session) -> None:
        session.get(Operator, op.operator_id).password_hash = old

    transactions.write(runtime.db, weaken)
    sessions.sign_in(runtime, op.email, op.password)
    stored = transactions.read(runtime.db, lambda s: s.get(Operator, op.operator_id).password_hash)
    assert stored != old and not passwords.needs_rehash(stored) and passwords.verify_password(stored, op.password)


def test_emails_are_normalised_validated_and_unique(runtime):
    now = runtime.now()
    op = transactions.write(runtime.db, lambda s: directory.create_operator(s, "  Mixed.Case+tag@Example.COM ", "Mixed", "long enough password", now))
    assert op.email == "mixed.case+tag@example.com"
    def count() -> int:
        return transactions.read(runtime.db, lambda s: s.execute(select(func.count()).select_from(Operator)).scalar_one())

    before = count()
    for email in ["MIXED.case+tag@example.com", "no-at-sign", "a@b", "a b@example.com", "", None, "x@" + "a" * 250 + ".com"]:
        with pytest.raises(ZentraError) as refused:
            transactions.write(runtime.db, lambda s: directory.create_operator(s, email, "Someone", "long enough password", now))
        assert refused.value.code == "validation_error" and refused.value.param == "email"
    assert count() == before
