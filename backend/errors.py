"""Typed errors with the contract's stable codes; every layer raises these, the edges render them."""

from __future__ import annotations

HTTP_STATUS = {
    "invalid_request": 400,
    "validation_error": 400,
    "amount_not_integer": 400,
    "amount_out_of_range": 400,
    "unknown_currency": 400,
    "currency_mismatch": 400,
    "unknown_account": 400,
    "insufficient_funds": 422,
    "idempotency_key_reused": 409,
    "request_in_progress": 409,
    "not_found": 404,
    "unauthorized": 401,
    "forbidden": 403,
    "rate_limited": 429,
    "invalid_state_transition": 409,
    "hold_expired": 409,
    "signature_invalid": 400,
    "timestamp_out_of_tolerance": 400,
    "internal_error": 500,
}


class ZentraError(Exception):
    """A refusal the caller can act on: a stable `code`, a human message and the offending `param`."""

    def __init__(self, code: str, message: str, param: str | None = None, *, retry_after: int | None = None, object_id: str | None = None):
        if code not in HTTP_STATUS:
            raise ValueError(f"unknown error code {code!r}")
        super().__init__(message)
        self.code = code
        self.message = message
        self.param = param
        self.retry_after = retry_after
        self.object_id = object_id  # the id a not_found/unknown_account names, for the denial audit

    @property
    def status(self) -> int:
        return HTTP_STATUS[self.code]

    def body(self, request_id: str | None) -> dict:
        """The contract's error object."""
        return {"error": {"code": self.code, "message": self.message, "param": self.param, "request_id": request_id}}
