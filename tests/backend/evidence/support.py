"""Helpers for evidence tests: a history with something to prove, fetching packets over HTTP,
running `zentra verify` as the operator does, and rewriting packets the way a forger would."""

from __future__ import annotations

from pathlib import Path
from typing import Callable

import orjson
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from backend.cli import main
from backend.encoding import canonical
from backend.evidence.packets import sign_packet
from tests.conftest import Api


def history(api: Api, intruder: Api) -> dict:
    """A pending posting with an unrelated posting's record between its own records, posted in
    part, and reached for by `intruder` (a denied attempt, recorded in the owner's chain)."""
    funding, customer = api.funded_account(10_000)
    merchant, other = api.account(), api.account()
    pending = api.post("/ledger-entries", {"debit": customer, "credit": merchant, "amount_minor": 4_000, "pending": True, "correlation_id": "order_7"}).json()["posting_id"]
    unrelated = api.post("/ledger-entries", {"debit": funding, "credit": other, "amount_minor": 5}).json()["posting_id"]
    assert api.post(f"/ledger-entries/{pending}/post", {"amount_minor": 2_500}).status_code == 200
    assert intruder.get(f"/ledger-entries/{pending}").status_code == 404
    return {"funding": funding, "customer": customer, "merchant": merchant, "pending": pending, "unrelated": unrelated}


def fetch(api: Api, object_id: str) -> bytes:
    """The packet exactly as the API sends it: the bytes an operator saves."""
    response = api.get(f"/evidence/{object_id}")
    assert response.status_code == 200, response.text
    return response.content


def verify(raw: bytes, tmp_path: Path, capsys, *options: str) -> tuple[int, str]:
    """`zentra verify` on `raw` saved to a file: its exit code and the line it printed."""
    path = tmp_path / "packet.json"
    path.write_bytes(raw)
    code = main(["verify", str(path), *options])
    return code, capsys.readouterr().out.strip()


def rewrite(raw: bytes, change: Callable[[dict], None]) -> bytes:
    """The packet after `change` edits its parsed form, written back canonically (a careful
    forger keeps the layout, so only the edit itself can give it away)."""
    document = orjson.loads(raw)
    change(document)
    return canonical(document)


def resign(raw: bytes, key: Ed25519PrivateKey, change: Callable[[dict], None] = lambda packet: None) -> bytes:
    """The packet body after `change`, with a fresh digest and `key`'s signature."""
    body = orjson.loads(raw)["packet"]
    change(body)
    return canonical(sign_packet(body, key))
