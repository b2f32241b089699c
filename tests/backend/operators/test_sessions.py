"""Session tokens: accepted only while every claim holds; each refusal is `unauthorized` or
`forbidden` and leaves an audit record; sign-in, sign-out and switch leave records too."""

from __future__ import annotations

import base64
import json
from dataclasses import replace
from datetime import timedelta

import jwt
import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from backend.db import transactions
from backend.db.tables import Operator
from backend.errors import ZentraError
from backend.operators import actions, directory, sessions, tokens
from tests.backend.operators.conftest import (
    at,
    make_operator,
    open_session,
    records,
    rid,
)
from tests.conftest import make_tenant


def refused(call, *args, **kwargs) -> ZentraError:
    with pytest.raises(ZentraError) as caught:
        call(*args, **kwargs)
    return caught.value


def denied_once(runtime, request_id: str) -> dict:
    [record] = records(runtime, request_id)
    assert record["policy"]["decision"] == "denied"
    return record


def test_sign_in_opens_a_session_the_server_recognises_and_records(runtime, tenant):
    op = make_operator(runtime, {tenant.tenant_id: "finance"})
    request_id = rid()
    signed = sessions.sign_in(runtime, op.email.upper(), op.password, request_id=request_id)
    me = sessions.current(runtime, signed.token)
    assert (me.operator_id, me.tenant_id, me.mode, me.role, me.email) == (op.operator_id, tenant.tenant_id, "sandbox", "finance", op.email)
    assert me.scope.actor == f"operator:{op.operator_id}" and me.scope.role == "finance"
    assert me.expires_at - me.issued_at == runtime.settings.session_lifetime_seconds == 12 * 3600
    header = jwt.get_unverified_header(signed.token)
    claims = jwt.decode(signed.token, options={"verify_signature": False})
    assert header["alg"] == "EdDSA" and set(claims) == {"iss", "sub", "tid", "mode", "role", "jti", "iat", "exp"} and claims["iss"] == "zentra"
    [record] = records(runtime, request_id)
    assert record == {
        "chain": tenant.tenant_id, "tenant": tenant.tenant_id, "mode": "sandbox", "actor": f"operator:{op.operator_id}", "role": "finance",
        "action": "session.sign_in", "object": me.session_id, "policy": {"decision": "allowed", "by": "role:finance"}, "detail": {},
    }


def test_a_token_signed_with_another_key_is_forged_and_recorded_in_the_platform_chain(runtime, tenant):
    op = make_operator(runtime, {tenant.tenant_id: "admin"})
    good = jwt.decode(open_session(runtime, op.operator_id, tenant.tenant_id), options={"verify_signature": False})
    forged = jwt.encode(good, Ed25519PrivateKey.generate(), algorithm="EdDSA")
    request_id = rid()
    err = refused(sessions.current, runtime, forged, request_id)
    assert err.code == "unauthorized"
    record = denied_once(runtime, request_id)
    assert (record["chain"], record["actor"], record["action"], record["detail"]) == ("platform", "anonymous", "session.denied", {"reason": "forged"})


def _tamper(token: str, **changes) -> str:
    header, payload, signature = token.split(".")
    claims = json.loads(base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4)))
    claims.update(changes)
    body = base64.urlsafe_b64encode(json.dumps(claims).encode()).rstrip(b"=").decode()
    return f"{header}.{body}.{signature}"


def test_tampered_claims_and_unsigned_tokens_are_forged(runtime, tenant):
    op = make_operator(runtime, {tenant.tenant_id: "viewer"})
    token = open_session(runtime, op.operator_id, tenant.tenant_id)
    unsigned = jwt.encode(jwt.decode(token, options={"verify_signature": False}), None, algorithm="none")
    hmac = jwt.encode(jwt.decode(token, options={"verify_signature": False}), "a shared secret of at least 32 bytes", algorithm="HS256")
    for bad in [_tamper(token, role="admin"), _tamper(token, exp=2**40), unsigned, hmac]:
        request_id = rid()
        assert refused(sessions.current, runtime, bad, request_id).code == "unauthorized"
        assert denied_once(runtime, request_id)["detail"] == {"reason": "forged"}
    assert sessions.current(runtime, token).role == "viewer"


SIGNED_BUT_WRONG = [
    {"iss": "zentra"},
    {"iss": "zentra", "sub": "op_1", "tid": "ten_1", "mode": "staging", "role": "admin", "jti": "ses_1", "iat": 1, "exp": 2**40},
    {"iss": "zentra", "sub": "op_1", "tid": "ten_1", "mode": "live", "role": "admin", "jti": "ses_1", "iat": 1, "exp": "never"},
    {"iss": "someone", "sub": "op_1", "tid": "ten_1", "mode": "live", "role": "admin", "jti": "ses_1", "iat": 1, "exp": 2**40},
]


@pytest.mark.parametrize("bad", ["", "not.a.token", "a" * 5000, None, *SIGNED_BUT_WRONG])
def test_malformed_tokens_are_refused_and_recorded(runtime, bad):
    token = jwt.encode(bad, tokens.signing_key(runtime.settings), algorithm="EdDSA") if isinstance(bad, dict) else bad
    request_id = rid()
    assert refused(sessions.current, runtime, token, request_id).code == "unauthorized"
    record = denied_once(runtime, request_id)
    assert record["chain"] == "platform" and record["detail"] == {"reason": "malformed"}


def test_an_expired_token_is_refused_and_recorded_in_its_tenant(runtime, tenant):
    op = make_operator(runtime, {tenant.tenant_id: "support"})
    token = open_session(runtime, op.operator_id, tenant.tenant_id)
    later = at(runtime, runtime.now() + timedelta(hours=12, seconds=1))
    assert sessions.current(at(runtime, runtime.now() + timedelta(hours=11, minutes=59)), token).role == "support"
    request_id = rid()
    err = refused(sessions.current, later, token, request_id)
    assert err.code == "unauthorized" and "expired" in err.message
    record = denied_once(runtime, request_id)
    assert (record["chain"], record["actor"], record["role"], record["detail"]) == (tenant.tenant_id, f"operator:{op.operator_id}", "support", {"reason": "expired"})


def test_a_signed_out_token_is_revoked(runtime, tenant):
    op = make_operator(runtime, {tenant.tenant_id: "viewer"})
    token = open_session(runtime, op.operator_id, tenant.tenant_id)
    out = rid()
    sessions.sign_out(runtime, token, out)
    assert [r["action"] for r in records(runtime, out)] == ["session.sign_out"]
    request_id = rid()
    assert refused(sessions.current, runtime, token, request_id).code == "unauthorized"
    record = denied_once(runtime, request_id)
    assert (record["chain"], record["detail"]) == (tenant.tenant_id, {"reason": "revoked"})
    assert refused(sessions.sign_out, runtime, token).code == "unauthorized"


def test_a_removed_membership_a_changed_role_and_a_disabled_operator_end_the_session(runtime, tenant):
    admin = make_operator(runtime, {tenant.tenant_id: "admin"})
    admin_token = open_session(runtime, admin.operator_id, tenant.tenant_id)
    removed, demoted, disabled = (make_operator(runtime, {tenant.tenant_id: "support"}) for _ in range(3))
    tokens_ = {op.operator_id: open_session(runtime, op.operator_id, tenant.tenant_id) for op in (removed, demoted, disabled)}
    actions.remove_operator(runtime, admin_token, removed.operator_id)
    actions.change_role(runtime, admin_token, demoted.operator_id, "viewer")

    def disable(session) -> None:
        session.get(Operator, disabled.operator_id).disabled_at = runtime.now()

    transactions.write(runtime.db, disable)
    for op, reason in [(removed, "not_member"), (demoted, "role_changed"), (disabled, "disabled")]:
        request_id = rid()
        assert refused(sessions.current, runtime, tokens_[op.operator_id], request_id).code == "unauthorized"
        record = denied_once(runtime, request_id)
        assert (record["chain"], record["actor"], record["detail"]) == (tenant.tenant_id, f"operator:{op.operator_id}", {"reason": reason})
    relogged = sessions.sign_in(runtime, demoted.email, demoted.password)
    assert relogged.operator.role == "viewer"


def test_an_operator_in_two_tenants_switches_tenant_and_mode(runtime, tenant):
    other = make_tenant(runtime, "Other Co")
    op = make_operator(runtime, {tenant.tenant_id: "admin", other.tenant_id: "compliance"})
    listed = transactions.read(runtime.db, lambda s: directory.memberships_of(s, op.operator_id))
    assert sorted((m.tenant_id, m.tenant_name, m.role) for m in listed) == sorted([(tenant.tenant_id, "Acme", "admin"), (other.tenant_id, "Other Co", "compliance")])
    first = sessions.sign_in(runtime, op.email, op.password, tenant_id=tenant.tenant_id)
    request_id = rid()
    moved = sessions.switch(runtime, first.token, other.tenant_id, "live", request_id)
    assert (moved.operator.tenant_id, moved.operator.tenant_name, moved.operator.mode, moved.operator.role) == (other.tenant_id, "Other Co", "live", "compliance")
    assert sessions.current(runtime, moved.token).session_id == moved.operator.session_id
    assert refused(sessions.current, runtime, first.token).code == "unauthorized"
    switch_records = records(runtime, request_id)
    assert [(r["chain"], r["action"], r["role"]) for r in switch_records] == [(tenant.tenant_id, "tenant.switch", "admin"), (other.tenant_id, "tenant.switch", "compliance")]
    assert switch_records[1]["detail"]["from"]["tenant"] == tenant.tenant_id
    back = sessions.switch(runtime, moved.token, other.tenant_id, "sandbox")
    assert (back.operator.tenant_id, back.operator.mode) == (other.tenant_id, "sandbox")


def test_switching_to_a_tenant_of_which_one_is_not_a_member_is_forbidden_and_recorded(runtime, tenant):
    stranger = make_tenant(runtime, "Stranger Inc")
    op = make_operator(runtime, {tenant.tenant_id: "viewer"})
    token = open_session(runtime, op.operator_id, tenant.tenant_id)
    for target in [stranger.tenant_id, "ten_does_not_exist"]:
        request_id = rid()
        err = refused(sessions.switch, runtime, token, target, "sandbox", request_id)
        assert err.code == "forbidden"
        record = denied_once(runtime, request_id)
        assert (record["chain"], record["action"], record["actor"], record["detail"]) == (tenant.tenant_id, "tenant.switch", f"operator:{op.operator_id}", {"reason": "not_member", "tenant": target})
    assert refused(sessions.switch, runtime, token, tenant.tenant_id, "staging").code == "validation_error"
    assert sessions.current(runtime, token).tenant_id == tenant.tenant_id


def test_signing_in_to_a_tenant_of_which_one_is_not_a_member_is_forbidden_and_recorded(runtime, tenant):
    stranger = make_tenant(runtime, "Stranger Inc")
    op = make_operator(runtime, {tenant.tenant_id: "viewer"})
    request_id = rid()
    assert refused(sessions.sign_in, runtime, op.email, op.password, tenant_id=stranger.tenant_id, request_id=request_id).code == "forbidden"
    record = denied_once(runtime, request_id)
    assert (record["chain"], record["actor"], record["action"]) == ("platform", f"operator:{op.operator_id}", "session.sign_in")
    lonely = make_operator(runtime, {})
    assert refused(sessions.sign_in, runtime, lonely.email, lonely.password).code == "forbidden"


def test_the_session_lifetime_is_a_setting(runtime, tenant):
    op = make_operator(runtime, {tenant.tenant_id: "viewer"})
    short = replace(runtime, settings=replace(runtime.settings, session_lifetime_seconds=60))
    signed = sessions.sign_in(short, op.email, op.password)
    assert signed.operator.expires_at - signed.operator.issued_at == 60
    assert refused(sessions.current, at(runtime, runtime.now() + timedelta(seconds=61)), signed.token).code == "unauthorized"


def test_the_signing_key_lives_in_the_data_dir(runtime):
    key = tokens.signing_key(runtime.settings)
    assert (runtime.settings.data_dir / tokens.KEY_FILE).exists() and key is tokens.signing_key(runtime.settings)
