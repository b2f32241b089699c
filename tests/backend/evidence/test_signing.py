"""The evidence key (made once, kept in the data directory), the ways `--public-key` can be given,
and `build_packet`, the function the operations room exports packets with."""

from __future__ import annotations

import subprocess
import sys

import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from backend.config import Settings
from backend.errors import ZentraError
from backend.evidence.packets import build_packet, packet_bytes
from backend.evidence.signing import (
    KeyFormatError,
    public_key_info,
    resolve_public_key,
    signing_key,
)
from backend.evidence.verification import verify_packet
from backend.keyfiles import load_or_create_ed25519
from tests.conftest import make_tenant


def test_the_key_is_made_on_first_use_and_kept(tmp_path):
    settings = Settings(data_dir=tmp_path / "data", database_url="sqlite://", nats_url=None, redis_url=None)
    first = public_key_info(signing_key(settings))
    path = tmp_path / "data" / "evidence_signing_key.pem"
    assert path.stat().st_mode & 0o777 == 0o600
    assert public_key_info(load_or_create_ed25519(path)) == first


def test_a_public_key_can_be_given_as_text_or_in_a_file(tmp_path):
    key = Ed25519PrivateKey.generate()
    text = public_key_info(key)["public_key"]
    pem = tmp_path / "key.pem"
    pem.write_bytes(key.public_key().public_bytes(serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo))
    plain = tmp_path / "key.txt"
    plain.write_text(text + "\n")
    assert resolve_public_key(text) == resolve_public_key(str(pem)) == resolve_public_key(str(plain)) == text


@pytest.mark.parametrize("value", ["ed25519:AAAA", "ed25519:not base64!", "/no/such/file", "rsa:abc"])
def test_a_key_that_is_not_one_is_refused_by_name(value):
    with pytest.raises(KeyFormatError):
        resolve_public_key(value)


def test_a_pem_file_with_another_kind_of_key_is_refused(tmp_path):
    from cryptography.hazmat.primitives.asymmetric import ec

    path = tmp_path / "ec.pem"
    key = ec.generate_private_key(ec.SECP256R1()).public_key()
    path.write_bytes(key.public_bytes(serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo))
    with pytest.raises(KeyFormatError, match="not ed25519"):
        resolve_public_key(str(path))


def test_build_packet_seals_signs_and_verifies_for_the_operations_room(api, runtime, tenant):
    account = api.account()
    packet = build_packet(runtime.db, tenant.sandbox, account, runtime.now(), runtime.settings)
    assert [r["action"] for r in packet["packet"]["audit"]["records"]] == ["account.create"]
    verdict = verify_packet(packet_bytes(packet), public_key_info(signing_key(runtime.settings))["public_key"])
    assert verdict.ok and verdict.summary.startswith(f"account {account}"), verdict.problem


def test_build_packet_for_another_scope_is_not_found_naming_the_id(api, runtime, tenant):
    account = api.account()
    for scope in (tenant.live, make_tenant(runtime, "Other").sandbox):
        with pytest.raises(ZentraError) as refused:
            build_packet(runtime.db, scope, account, runtime.now(), runtime.settings)
        assert refused.value.code == "not_found" and refused.value.object_id == account


def test_the_verifier_loads_nothing_that_reaches_a_database():
    probe = "import sys, backend.evidence.verification; print(sorted(m for m in sys.modules if m.startswith(('sqlalchemy', 'sqlmodel', 'backend.db', 'psycopg'))))"
    done = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, check=True)
    assert done.stdout.strip() == "[]"
