"""/v1/ledger-entries: post (one, many legs, or a batch), resolve pending postings, reverse."""

from __future__ import annotations

from datetime import datetime

from fastapi import APIRouter, Request, Response
from sqlmodel import Session

from backend.api.mutations import mutate
from backend.api.requests import page_params, read_scoped
from backend.api.schemas import CreateBatch, CreatePosting, PostPending, Reverse, VoidPending, body_doc
from backend.errors import ZentraError
from backend.inputs import optional_bool, reject_unknown, required_str
from backend.ledger import postings
from backend.ledger.commands import parse_posting
from backend.ledger.queries import postings_for_account
from backend.runtime import Runtime
from backend.tenancy.scope import Scope

MAX_BATCH = 1000


def create_one(session: Session, scope: Scope, body: dict, now: datetime) -> dict:
    return postings.create_postings(session, scope, [parse_posting(body, now)], atomic=True, now=now)[0]


def create_batch(session: Session, scope: Scope, body: dict, now: datetime) -> dict:
    """All-or-nothing when `atomic` (the default); otherwise each posting stands alone."""
    reject_unknown(body, {"postings", "atomic"})
    atomic = optional_bool(body, "atomic", True)
    items = body.get("postings")
    if not isinstance(items, list) or not 1 <= len(items) <= MAX_BATCH:
        raise ZentraError("validation_error", f"postings must be a list of 1 to {MAX_BATCH} postings", "postings")
    commands, errors = [], {}
    for i, item in enumerate(items):
        try:
            commands.append(parse_posting(item, now, prefix=f"postings[{i}]."))
        except ZentraError as err:
            if atomic:
                raise
            errors[i] = err
    applied = iter(postings.create_postings(session, scope, commands, atomic=atomic, now=now))
    results = []
    for i in range(len(items)):
        outcome = errors.get(i) or next(applied)
        if isinstance(outcome, ZentraError):
            results.append({"status": outcome.status, "error": {"code": outcome.code, "message": outcome.message, "param": outcome.param}})
        else:
            results.append({"status": 201, "posting": outcome})
    return {"object": "batch", "atomic": atomic, "results": results}


def router(runtime: Runtime) -> APIRouter:
    api = APIRouter(tags=["ledger entries"])

    @api.post("/ledger-entries", status_code=201, openapi_extra=body_doc(CreatePosting))
    async def create(request: Request) -> Response:
        return await mutate(request, runtime, create_one)

    @api.post("/ledger-entries/batch", status_code=200, openapi_extra=body_doc(CreateBatch))
    async def batch(request: Request) -> Response:
        return await mutate(request, runtime, create_batch, status_code=200)

    @api.get("/ledger-entries")
    async def list_for_account(request: Request) -> Response:
        limit, offset = page_params(request)
        account = request.query_params.get("account")
        if not account:
            raise ZentraError("validation_error", "account is required", "account")
        return await read_scoped(request, runtime, lambda s, scope: postings_for_account(s, scope, account, limit=limit, offset=offset))

    @api.get("/ledger-entries/{posting_id}")
    async def get(request: Request, posting_id: str) -> Response:
        return await read_scoped(request, runtime, lambda s, scope: postings.read_posting(s, scope, posting_id))

    @api.post("/ledger-entries/{posting_id}/post", status_code=200, openapi_extra=body_doc(PostPending))
    async def post_pending(request: Request, posting_id: str) -> Response:
        def service(session: Session, scope: Scope, body: dict, now: datetime) -> dict:
            reject_unknown(body, {"amount_minor"})
            return postings.resolve_pending(session, scope, posting_id, "post", body.get("amount_minor"), now)

        return await mutate(request, runtime, service, status_code=200)

    @api.post("/ledger-entries/{posting_id}/void", status_code=200, openapi_extra=body_doc(VoidPending))
    async def void_pending(request: Request, posting_id: str) -> Response:
        def service(session: Session, scope: Scope, body: dict, now: datetime) -> dict:
            reject_unknown(body, {"reason"})
            return postings.resolve_pending(session, scope, posting_id, "void", None, now, body.get("reason"))

        return await mutate(request, runtime, service, status_code=200)

    @api.post("/ledger-entries/{posting_id}/reverse", status_code=201, openapi_extra=body_doc(Reverse))
    async def reverse(request: Request, posting_id: str) -> Response:
        def service(session: Session, scope: Scope, body: dict, now: datetime) -> dict:
            reject_unknown(body, {"reason"})
            return postings.reverse(session, scope, posting_id, required_str(body, "reason", max_length=500), now)

        return await mutate(request, runtime, service)

    return api
