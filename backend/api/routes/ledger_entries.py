"""/v1/ledger-entries: post (one, many legs, or a batch), resolve pending postings, reverse."""

from __future__ import annotations

import asyncio
from datetime import datetime

from fastapi import APIRouter, Request, Response
from sqlmodel import Session

from backend.api.mutations import mutate, mutation_input
from backend.api.requests import (
    page_params,
    read_scoped,
    request_id,
    respond,
)
from backend.api.schemas import (
    CreateBatch,
    CreatePosting,
    PostPending,
    Reverse,
    VoidPending,
    body_doc,
)
from backend.errors import ZentraError
from backend.inputs import (
    optional_bool,
    optional_str,
    path_id,
    query_text,
    reject_unknown,
    required_str,
)
from backend.ledger import postings
from backend.ledger.commands import PostingCommand, parse_posting
from backend.ledger.group_commit import GroupCommitter, PostingRequest
from backend.ledger.queries import postings_for_account
from backend.runtime import Runtime
from backend.tenancy.scope import Scope

MAX_BATCH = 1000


def parse_batch(body: dict, now: datetime) -> tuple[list[PostingCommand | ZentraError], bool]:
    """The batch's postings, all-or-nothing when `atomic` (the default): then the first malformed
    posting refuses the batch; otherwise each malformed posting takes its error's place."""
    reject_unknown(body, {"postings", "atomic"})
    atomic = optional_bool(body, "atomic", True)
    items = body.get("postings")
    if not isinstance(items, list) or not 1 <= len(items) <= MAX_BATCH:
        raise ZentraError("validation_error", f"postings must be a list of 1 to {MAX_BATCH} postings", "postings")
    commands: list[PostingCommand | ZentraError] = []
    for i, item in enumerate(items):
        try:
            commands.append(parse_posting(item, now, prefix=f"postings[{i}]."))
        except ZentraError as err:
            if atomic:
                raise
            commands.append(err)
    return commands, atomic


def render_one(results: list) -> tuple[int, dict]:
    return 201, results[0]


def render_batch(atomic: bool):
    def render(results: list) -> tuple[int, dict]:
        answers = [
            {"status": r.status, "error": {"code": r.code, "message": r.message, "param": r.param}} if isinstance(r, ZentraError) else {"status": 201, "posting": r}
            for r in results
        ]
        return 200, {"object": "batch", "atomic": atomic, "results": answers}

    return render


async def _group_commit(request: Request, runtime: Runtime, committer: GroupCommitter, batch: bool) -> Response:
    """Parse in the request, then hand the postings to the group committer and await the commit."""
    raw_key, body, key = await mutation_input(request)
    commands, atomic, render, parse_error = [], True, render_one, None
    try:
        if batch:
            commands, atomic = parse_batch(body, runtime.now())
            render = render_batch(atomic)
        else:
            commands = [parse_posting(body, runtime.now())]
    except ZentraError as err:
        parse_error = err
    job = PostingRequest(raw_key, request.url.path, key, body, commands, atomic, render, request_id(request), parse_error)
    return respond(request, await asyncio.wrap_future(committer.submit(job)))


def router(runtime: Runtime) -> APIRouter:
    api = APIRouter(tags=["ledger entries"])
    committer = GroupCommitter(runtime.db, runtime.now)

    @api.post("/ledger-entries", status_code=201, openapi_extra=body_doc(CreatePosting))
    async def create(request: Request) -> Response:
        return await _group_commit(request, runtime, committer, batch=False)

    @api.post("/ledger-entries/batch", status_code=200, openapi_extra=body_doc(CreateBatch))
    async def batch(request: Request) -> Response:
        return await _group_commit(request, runtime, committer, batch=True)

    @api.get("/ledger-entries")
    async def list_for_account(request: Request) -> Response:
        limit, offset = page_params(request)
        account = query_text(request.query_params.get("account"), "account", 64)
        if not account:
            raise ZentraError("validation_error", "account is required", "account")
        return await read_scoped(request, runtime, lambda s, scope: postings_for_account(s, scope, account, limit=limit, offset=offset))

    @api.get("/ledger-entries/{posting_id}")
    async def get(request: Request, posting_id: str) -> Response:
        posting_id = path_id(posting_id, "posting")
        return await read_scoped(request, runtime, lambda s, scope: postings.read_posting(s, scope, posting_id))

    @api.post("/ledger-entries/{posting_id}/post", status_code=200, openapi_extra=body_doc(PostPending))
    async def post_pending(request: Request, posting_id: str) -> Response:
        posting_id = path_id(posting_id, "posting")
        def service(session: Session, scope: Scope, body: dict, now: datetime) -> dict:
            reject_unknown(body, {"amount_minor"})
            return postings.resolve_pending(session, scope, posting_id, "post", body.get("amount_minor"), now)

        return await mutate(request, runtime, service, "ledger.entry.post", status_code=200)

    @api.post("/ledger-entries/{posting_id}/void", status_code=200, openapi_extra=body_doc(VoidPending))
    async def void_pending(request: Request, posting_id: str) -> Response:
        posting_id = path_id(posting_id, "posting")
        def service(session: Session, scope: Scope, body: dict, now: datetime) -> dict:
            reject_unknown(body, {"reason"})
            return postings.resolve_pending(session, scope, posting_id, "void", None, now, optional_str(body, "reason", max_length=500))

        return await mutate(request, runtime, service, "ledger.entry.void", status_code=200)

    @api.post("/ledger-entries/{posting_id}/reverse", status_code=201, openapi_extra=body_doc(Reverse))
    async def reverse(request: Request, posting_id: str) -> Response:
        posting_id = path_id(posting_id, "posting")
        def service(session: Session, scope: Scope, body: dict, now: datetime) -> dict:
            reject_unknown(body, {"reason"})
            return postings.reverse(session, scope, posting_id, required_str(body, "reason", max_length=500), now)

        return await mutate(request, runtime, service, "ledger.entry.reverse")

    return api
