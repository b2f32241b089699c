"""Signature and tolerance checks, without a database: they agree with the official Standard
Webhooks library both ways, and refuse everything else with the contract's two codes."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone

import pytest
from standardwebhooks import Webhook

from backend.db.tables import Provider
from backend.errors import ZentraError
from backend.providers.registry import verifying_secrets
from backend.providers.verification import new_secret, sign, verify

NOW = datetime(2026, 3, 1, 12, 0, tzinfo=timezone.utc)
BODY = b'{"type":"hold.settled","reference":"hold_1","sequence":1,"occurred_at":"2026-03-01T12:00:00Z"}'


def headers(secret: str, at: datetime = NOW, webhook_id: str = "msg_1", body: bytes = BODY) -> dict[str, str]:
    stamp = int(at.timestamp())
    return {"webhook-id": webhook_id, "webhook-timestamp": str(stamp), "webhook-signature": sign(secret, webhook_id, stamp, body)}


def code(secrets: list[str], sent: dict[str, str], body: bytes = BODY, now: datetime = NOW) -> str:
    with pytest.raises(ZentraError) as refused:
        verify(sent, body, secrets, now)
    return refused.value.code


def test_the_official_library_and_ours_accept_each_others_signatures():
    secret = new_secret()
    official = Webhook(secret).sign("msg_1", NOW, BODY.decode())
    assert verify({"webhook-id": "msg_1", "webhook-timestamp": str(int(NOW.timestamp())), "webhook-signature": official}, BODY, [secret], NOW) == "msg_1"
    ours = headers(secret, datetime.now(timezone.utc))
    assert Webhook(secret).verify(BODY, ours) is not None


def test_any_one_matching_v1_signature_among_several_passes():
    secret = new_secret()
    sent = headers(secret)
    sent["webhook-signature"] = f"v1a,c2lnbmF0dXJl v1,AAAA {sent['webhook-signature']}"
    assert verify({k.upper(): v for k, v in sent.items()}, BODY, [secret], NOW) == "msg_1"


def test_a_wrong_secret_a_changed_byte_or_a_changed_header_is_signature_invalid():
    secret = new_secret()
    assert code([new_secret()], headers(secret)) == "signature_invalid"
    assert code([secret], headers(secret), BODY.replace(b"hold_1", b"hold_2")) == "signature_invalid"
    assert code([secret], {**headers(secret), "webhook-id": "msg_2"}) == "signature_invalid"
    assert code([secret], {**headers(secret), "webhook-timestamp": str(int(NOW.timestamp()) + 1)}) == "signature_invalid"


@pytest.mark.parametrize("drop", ["webhook-id", "webhook-timestamp", "webhook-signature"])
def test_a_missing_header_is_signature_invalid(drop):
    secret = new_secret()
    assert code([secret], {k: v for k, v in headers(secret).items() if k != drop}) == "signature_invalid"


@pytest.mark.parametrize("stamp", ["-5", "1.5", "1e9", "9" * 13, "١٢٣"])
def test_a_timestamp_that_is_not_integer_seconds_is_signature_invalid(stamp):
    secret = new_secret()
    assert code([secret], {**headers(secret), "webhook-timestamp": stamp}) == "signature_invalid"


def test_an_unprintable_or_oversized_webhook_id_is_signature_invalid():
    secret = new_secret()
    assert code([secret], headers(secret, webhook_id="msg\t1")) == "signature_invalid"
    assert code([secret], headers(secret, webhook_id="m" * 256)) == "signature_invalid"


@pytest.mark.parametrize("offset,accepted", [(-300, True), (300, True), (-301, False), (301, False), (-86400, False)])
def test_the_tolerance_is_five_minutes_either_way(offset, accepted):
    secret = new_secret()
    sent = headers(secret, NOW + timedelta(seconds=offset))
    if accepted:
        assert verify(sent, BODY, [secret], NOW) == "msg_1"
    else:
        assert code([secret], sent) == "timestamp_out_of_tolerance"


def test_a_forgery_with_a_stale_timestamp_is_signature_invalid_not_a_clock_hint():
    assert code([new_secret()], headers(new_secret(), NOW - timedelta(hours=1))) == "signature_invalid"


def test_the_previous_secret_verifies_only_until_its_overlap_ends():
    provider = Provider(id="prv_1", tenant_id="ten_1", mode="sandbox", name="p", signing_secret="whsec_new", previous_secret="whsec_old", previous_secret_expires_at=NOW, created_at=NOW)
    assert verifying_secrets(provider, NOW - timedelta(seconds=1)) == ["whsec_new", "whsec_old"]
    assert verifying_secrets(provider, NOW) == ["whsec_new"]
