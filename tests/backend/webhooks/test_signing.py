"""Signatures as the Standard Webhooks spec defines them, checked against its published example
and the official `standardwebhooks` package."""

from __future__ import annotations

import base64
from datetime import datetime, timezone

from standardwebhooks.webhooks import Webhook

from backend.webhooks import signing
from tests.backend.webhooks.support import verify_v1a

# The example the spec's reference libraries test against.
SPEC_SECRET = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"
SPEC_MSG_ID = "msg_p5jXN8AQM9LWM0D4loKWxJek"
SPEC_TIMESTAMP = 1614265330
SPEC_BODY = b'{"test": 2432232314}'
SPEC_SIGNATURE = "v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE="


def test_the_signer_reproduces_the_specs_published_example():
    assert signing.sign(SPEC_SECRET, SPEC_MSG_ID, SPEC_TIMESTAMP, SPEC_BODY) == SPEC_SIGNATURE
    package = Webhook(SPEC_SECRET).sign(SPEC_MSG_ID, datetime.fromtimestamp(SPEC_TIMESTAMP, tz=timezone.utc), SPEC_BODY.decode())
    assert package == SPEC_SIGNATURE


def test_new_secrets_have_the_specs_shape_and_verify_with_the_package():
    secret = signing.new_hmac_secret()
    assert secret.startswith("whsec_") and len(base64.b64decode(secret[6:])) == 32
    now = int(datetime.now(timezone.utc).timestamp())
    headers = {"webhook-id": "msg_1", "webhook-timestamp": str(now), "webhook-signature": signing.signature_header([secret], "msg_1", now, b'{"a":1}')}
    assert Webhook(secret).verify(b'{"a":1}', headers) == {"a": 1}


def test_ed25519_signatures_are_v1a_over_the_same_content():
    secret_key = signing.new_ed25519_key()
    public_key = signing.public_key_of(secret_key)
    assert secret_key.startswith("whsk_") and public_key.startswith("whpk_")
    assert len(base64.b64decode(public_key[5:])) == 32
    header = signing.signature_header([secret_key], "msg_2", 1700000000, b"{}")
    assert header.startswith("v1a,")
    headers = {"webhook-id": "msg_2", "webhook-timestamp": "1700000000", "webhook-signature": header}
    assert verify_v1a(public_key, headers, b"{}") == 1
    assert verify_v1a(public_key, headers, b"{ }") == 0


def test_during_rotation_every_key_signs_and_each_verifies_alone():
    old, new = signing.new_hmac_secret(), signing.new_hmac_secret()
    now = int(datetime.now(timezone.utc).timestamp())
    header = signing.signature_header([new, old], "msg_3", now, b"{}")
    assert len(header.split(" ")) == 2
    headers = {"webhook-id": "msg_3", "webhook-timestamp": str(now), "webhook-signature": header}
    for secret in (old, new):
        Webhook(secret).verify(b"{}", headers)
