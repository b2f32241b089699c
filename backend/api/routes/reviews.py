"""/v1/reviews: the review queue, for people. Deciding takes an operator's session token (an API
key is nobody, and maker-checker needs somebody); reading also accepts API keys."""

from __future__ import annotations

from fastapi import APIRouter, Request, Response
from pydantic import Field
from sqlmodel import Session

from backend.api.mutations import mutate
from backend.api.requests import page_params, read_scoped, request_id, route_of
from backend.api.schemas import Idempotent, body_doc
from backend.errors import ZentraError
from backend.inputs import path_id, query_text
from backend.intents import reviews
from backend.intents.lifecycle import Trace
from backend.money.amounts import MAX_AMOUNT
from backend.runtime import Runtime
from backend.tenancy.scope import Scope


class ReviewAction(Idempotent):
    pass


class AssignReview(Idempotent):
    operator_id: str


class ApproveReview(Idempotent):
    reviewed_hash: str = Field(description="The `review_hash` you were shown when you claimed the review")
    reason_code: str = Field(description=", ".join(reviews.APPROVE_CODES))
    note: str | None = None


class RejectReview(Idempotent):
    reason_code: str = Field(description=", ".join(reviews.REJECT_CODES))
    note: str | None = None


ACTIONS = {
    "claim": (reviews.claim, ReviewAction, "reviews.decide"),
    "assign": (reviews.assign, AssignReview, "reviews.assign"),
    "release": (reviews.release, ReviewAction, "reviews.decide"),
    "approve": (reviews.approve, ApproveReview, "reviews.decide"),
    "reject": (reviews.reject, RejectReview, "reviews.decide"),
}


def _filters(request: Request) -> reviews.Filters:
    params = request.query_params
    status = params.get("status", "open")
    if status not in ("open", "approved", "rejected", "withdrawn"):
        raise ZentraError("validation_error", "status must be open, approved, rejected or withdrawn", "status")
    return reviews.Filters(
        status=status,
        reason=query_text(params.get("reason"), "reason", 64),
        assignee=query_text(params.get("assignee"), "assignee", 80),
        min_amount=_int(params.get("min_amount"), "min_amount"),
        older_than_seconds=_int(params.get("older_than_seconds"), "older_than_seconds"),
    )


def _int(raw: str | None, name: str) -> int | None:
    if raw is None:
        return None
    if not (raw.isascii() and raw.isdigit()) or int(raw) > MAX_AMOUNT:
        raise ZentraError("validation_error", f"{name} must be a non-negative integer", name)
    return int(raw)


def router(runtime: Runtime) -> APIRouter:
    api = APIRouter(tags=["reviews"])

    @api.get("/reviews")
    async def list_reviews(request: Request) -> Response:
        limit, offset = page_params(request)
        filters = _filters(request)
        return await read_scoped(request, runtime, lambda s, scope: reviews.list_reviews(s, scope, filters, runtime.now(), limit, offset), permission="intents.view")

    @api.get("/reviews/{review_id}")
    async def get_review(request: Request, review_id: str) -> Response:
        review_id = path_id(review_id, "review")
        return await read_scoped(request, runtime, lambda s, scope: reviews.get_review(s, scope, review_id), permission="intents.view")

    for name, (service, schema, permission) in ACTIONS.items():
        api.add_api_route(f"/reviews/{{review_id}}/{name}", _action(runtime, service, f"review.{name}", permission), methods=["POST"], openapi_extra=body_doc(schema), name=f"{name}_review")
    return api


def _action(runtime: Runtime, service, action: str, permission: str):
    async def endpoint(request: Request, review_id: str) -> Response:
        review_id = path_id(review_id, "review")
        rid, route = request_id(request), route_of(request)

        def run(session: Session, scope: Scope, body: dict, now) -> dict:
            return service(session, Trace(scope, now, rid, route), review_id, body)

        return await mutate(request, runtime, run, action, status_code=200, permission=permission)

    return endpoint
