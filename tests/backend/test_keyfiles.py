"""Signing key files: created once, mode 0600, PEM PKCS#8, and one key when processes race."""

from __future__ import annotations

import stat
import subprocess
import sys
from pathlib import Path

from cryptography.hazmat.primitives import serialization

from backend.keyfiles import load_or_create_ed25519

RACE = """
import sys
from pathlib import Path
from cryptography.hazmat.primitives import serialization
from backend.keyfiles import load_or_create_ed25519
sys.stdin.readline()
key = load_or_create_ed25519(Path(sys.argv[1]))
print(key.public_key().public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw).hex())
"""


def public_hex(key) -> str:
    return key.public_key().public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw).hex()


def test_the_key_is_created_private_and_then_reused(tmp_path: Path):
    path = tmp_path / "keys" / "signing.pem"
    first = load_or_create_ed25519(path)
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert path.read_bytes().startswith(b"-----BEGIN PRIVATE KEY-----")
    assert public_hex(load_or_create_ed25519(path)) == public_hex(first)
    assert [p.name for p in path.parent.iterdir()] == ["signing.pem"]


def test_processes_starting_at_once_end_up_with_one_key(tmp_path: Path):
    path = tmp_path / "race.pem"
    racers = [subprocess.Popen([sys.executable, "-c", RACE, str(path)], stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True) for _ in range(8)]
    for racer in racers:  # all are started and waiting; release them together
        racer.stdin.write("go\n")
        racer.stdin.flush()
    keys = {racer.communicate(timeout=60)[0].strip() for racer in racers}
    assert all(racer.returncode == 0 for racer in racers)
    assert keys == {public_hex(load_or_create_ed25519(path))}
    assert [p.name for p in tmp_path.iterdir()] == ["race.pem"]


def test_a_process_that_loses_the_race_loads_the_winners_key(tmp_path: Path, monkeypatch):
    path = tmp_path / "lost.pem"
    winner = public_hex(load_or_create_ed25519(path))
    monkeypatch.setattr(Path, "exists", lambda self: False)  # it looked before the winner wrote
    assert public_hex(load_or_create_ed25519(path)) == winner
    assert [p.name for p in tmp_path.iterdir()] == ["lost.pem"]
