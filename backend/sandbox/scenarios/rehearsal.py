"""A rehearsal's hands: the cast's API keys and operator sessions against one running instance,
with the few moves every scenario makes (fund a customer, open a sandbox provider on a route of
its own, wait for an intent, fetch and verify its evidence offline).

Each scenario routes its own corridor (ISO 3166 user-assigned codes, `XA`..`XZ`), so a rehearsal
never changes how the tenant's real corridors are routed.
"""

from __future__ import annotations

import secrets
import time
from collections.abc import Callable
from typing import Any

import httpx

from backend.evidence.verification import verify_packet
from backend.sandbox.cast import Cast

TIMEOUT_SECONDS = 30.0
POLL_SECONDS = 0.25


class ScenarioError(RuntimeError):
    """The instance answered something a scenario cannot go on from (named in the message)."""


class Client:
    """One credential (API key or operator token) on the instance's `/v1`."""

    def __init__(self, base_url: str, credential: str):
        self.http = httpx.Client(base_url=base_url.rstrip("/") + "/v1", headers={"Authorization": f"Bearer {credential}"}, timeout=TIMEOUT_SECONDS)

    def post(self, path: str, body: dict | None = None, key: str | None = None) -> httpx.Response:
        payload = {**(body or {}), "idempotency_key": key or f"rehearsal_{secrets.token_hex(8)}"}
        return self.http.post(path, json=payload)

    def get(self, path: str, **params: Any) -> httpx.Response:
        return self.http.get(path, params=params or None)

    def ok(self, response: httpx.Response, *expected: int) -> dict:
        """The JSON of an answer with one of the `expected` statuses (default 200/201)."""
        if response.status_code not in (expected or (200, 201)):
            raise ScenarioError(f"{response.request.method} {response.request.url.path} answered {response.status_code}: {response.text[:300]}")
        return response.json()

    def close(self) -> None:
        self.http.close()


class Rehearsal:
    """The cast on one instance: `api` is the demo tenant's sandbox key."""

    def __init__(self, base_url: str, cast: Cast):
        self.base_url, self.cast = base_url.rstrip("/"), cast
        self.api = Client(self.base_url, cast.sandbox_api_key)
        self._clients: list[Client] = [self.api]

    def client(self, credential: str) -> Client:
        client = Client(self.base_url, credential)
        self._clients.append(client)
        return client

    def as_player(self, part: str) -> Client:
        """A session of the cast's `part` (maker, checker, …), signed in over HTTP."""
        player = self.cast.player(part)
        signed = self.api.ok(httpx.post(f"{self.base_url}/v1/operator-sessions", json={"email": player.email, "password": player.password, "tenant_id": self.cast.tenant_id, "mode": "sandbox"}, timeout=TIMEOUT_SECONDS))
        return self.client(signed["token"])

    def close(self) -> None:
        for client in self._clients:
            client.close()

    def account(self, currency: str, customer: str, account_type: str, client: Client | None = None, **extra: Any) -> str:
        body = {"customer": customer, "currency": currency, "account_type": account_type, **extra}
        return (client or self.api).ok((client or self.api).post("/accounts", body))["id"]

    def funded_customer(self, currency: str, amount_minor: int, client: Client | None = None) -> str:
        """A new customer account holding `amount_minor`, funded from a new funding account."""
        client = client or self.api
        funding = self.account(currency, "rehearsal_treasury", "funding", client, allow_negative=True)
        customer = self.account(currency, f"rehearsal_customer_{secrets.token_hex(3)}", "customer_wallet", client)
        client.ok(client.post("/ledger-entries", {"debit": funding, "credit": customer, "amount_minor": amount_minor, "description": "rehearsal funding"}))
        return customer

    def provider(self, name: str, **behaviour: Any) -> dict:
        return self.api.ok(self.api.post("/providers", {"name": name, "kind": "sandbox", "behaviour": {"latency_ms": 50, **behaviour}}))

    def route(self, corridor: str, *providers: dict) -> None:
        self.api.ok(self.api.post("/routes", {"corridor": corridor, "providers": [p["id"] for p in providers]}))

    def intent(self, intent_id: str) -> dict:
        return self.api.ok(self.api.get(f"/runtime/intents/{intent_id}"))

    def balances(self, account_id: str) -> dict:
        return self.api.ok(self.api.get(f"/accounts/{account_id}"))["balances"]

    def wait_for(self, intent_id: str, states: set[str], timeout: float = 60.0) -> dict:
        """The intent once its status is one of `states` (or, at the timeout, as it stands)."""
        return until(lambda: self.intent(intent_id), lambda i: i["status"] in states, timeout)

    def verified_packet(self, intent_id: str) -> tuple[bool, str, dict]:
        """(valid, what `zentra verify` would say, contents) for the intent's evidence packet,
        checked offline against the instance's published key."""
        raw = self.api.get(f"/evidence/{intent_id}")
        if raw.status_code != 200:
            return False, f"GET /v1/evidence/{intent_id} answered {raw.status_code}", {}
        key = self.api.ok(self.api.get("/evidence/public-key"))
        verdict = verify_packet(raw.content, key.get("public_key"))
        return verdict.ok, verdict.summary if verdict.ok else verdict.problem, raw.json()["packet"]["contents"]


def until(read: Callable[[], Any], done: Callable[[Any], bool], timeout: float) -> Any:
    """Poll `read` until `done` holds or `timeout` seconds pass; answers the last reading."""
    deadline = time.monotonic() + timeout
    value = read()
    while not done(value) and time.monotonic() < deadline:
        time.sleep(POLL_SECONDS)
        value = read()
    return value
