"""Request body shapes for the OpenAPI document.

Bodies are parsed and refused by the service layer's own readers (so bad input gets the
contract's typed codes, not a framework's 422); these models only describe them to integrators.
"""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, Field


class Idempotent(BaseModel):
    idempotency_key: str = Field(description="Or the Idempotency-Key header. Scope: tenant + mode + endpoint; kept 72 h.")


class CreateAccount(Idempotent):
    customer: str
    currency: str = Field(description="ISO 4217 code, e.g. USD, JPY, BHD")
    account_type: str
    normal_balance: Literal["credit", "debit"] = "credit"
    allow_negative: bool = False


class Line(BaseModel):
    account: str
    direction: Literal["debit", "credit"]
    amount_minor: int = Field(gt=0, le=2**63 - 1)


class CreatePosting(Idempotent):
    debit: str | None = None
    credit: str | None = None
    amount_minor: int | None = Field(default=None, gt=0, le=2**63 - 1, description="Integer minor units")
    lines: list[Line] | None = Field(default=None, description="Several legs instead of debit/credit/amount_minor")
    pending: bool = False
    expires_at: str | None = Field(default=None, description="ISO 8601 with offset; pending postings only")
    correlation_id: str | None = None
    description: str | None = None
    metadata: dict[str, str | int | bool] = {}


class CreateBatch(Idempotent):
    postings: list[dict] = Field(description="1 to 1000 postings, each shaped like POST /v1/ledger-entries without idempotency_key")
    atomic: bool = True


class PostPending(Idempotent):
    amount_minor: int | None = Field(default=None, description="Post part of a two-leg pending posting; the rest is released")


class VoidPending(Idempotent):
    reason: str | None = None


class Reverse(Idempotent):
    reason: str


class HoldAction(Idempotent):
    reason: str
    source_request: str


class CreateHold(HoldAction):
    account: str
    amount_minor: int = Field(gt=0, le=2**63 - 1)
    expires_at: str | None = None
    ttl_seconds: int | None = Field(default=None, gt=0, le=30 * 86400)


class CaptureHold(HoldAction):
    amount_minor: int | None = None


class ExtendHold(HoldAction):
    expires_at: str | None = None
    ttl_seconds: int | None = None


def body_doc(model: type[BaseModel]) -> dict:
    """`openapi_extra` that documents `model` as the JSON request body."""
    return {"requestBody": {"required": True, "content": {"application/json": {"schema": model.model_json_schema(ref_template="#/components/schemas/{model}")}}}}
