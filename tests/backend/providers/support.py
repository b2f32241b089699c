"""Sending signed provider callbacks to the API under test, as a provider would."""

from __future__ import annotations

import secrets
import time
from datetime import datetime, timezone

import httpx
import orjson

from backend.providers.verification import sign
from tests.conftest import Api


def register(api: Api, name: str = "Acme Pay") -> dict:
    """A new provider in `api`'s scope, with its secret."""
    r = api.post("/providers", {"name": name})
    assert r.status_code == 201, r.text
    return r.json()


def body(reference: str, type_: str = "hold.settled", sequence: int = 1, **extra) -> bytes:
    return orjson.dumps({"type": type_, "reference": reference, "sequence": sequence, "occurred_at": datetime.now(timezone.utc).isoformat(), **extra})


def signed_headers(secret: str, payload: bytes, webhook_id: str | None = None, timestamp: int | None = None) -> dict[str, str]:
    webhook_id = webhook_id or f"msg_{secrets.token_hex(8)}"
    stamp = int(time.time()) if timestamp is None else timestamp
    return {"webhook-id": webhook_id, "webhook-timestamp": str(stamp), "webhook-signature": sign(secret, webhook_id, stamp, payload), "content-type": "application/json"}


def send(api_url: str, provider_id: str, payload: bytes, headers: dict[str, str]) -> httpx.Response:
    return httpx.post(f"{api_url}/v1/providers/{provider_id}/callbacks", content=payload, headers=headers, timeout=60)


def deliver(api_url: str, provider: dict, payload: bytes, **sign_kw) -> httpx.Response:
    """Sign `payload` with the provider's secret and send it."""
    return send(api_url, provider["id"], payload, signed_headers(provider["secret"], payload, **sign_kw))
