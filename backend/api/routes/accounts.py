"""/v1/accounts: open accounts, read one with balances (now or `as_of`), list and search."""

from __future__ import annotations

from fastapi import APIRouter, Request, Response

from backend.api.mutations import mutate
from backend.api.requests import page_params, read_scoped, time_param
from backend.api.schemas import CreateAccount, body_doc
from backend.inputs import path_id, query_text
from backend.ledger import accounts
from backend.runtime import Runtime


def router(runtime: Runtime) -> APIRouter:
    api = APIRouter(tags=["accounts"])

    @api.post("/accounts", status_code=201, openapi_extra=body_doc(CreateAccount))
    async def create_account(request: Request) -> Response:
        return await mutate(request, runtime, accounts.create_account, "account.create")

    @api.get("/accounts")
    async def list_accounts(request: Request) -> Response:
        limit, offset = page_params(request)
        search = query_text(request.query_params.get("q"), "q")
        return await read_scoped(request, runtime, lambda s, scope: accounts.list_accounts(s, scope, runtime.now(), search=search, limit=limit, offset=offset))

    @api.get("/accounts/{account_id}")
    async def get_account(request: Request, account_id: str) -> Response:
        account_id = path_id(account_id, "account")
        as_of = time_param(request, "as_of")
        return await read_scoped(request, runtime, lambda s, scope: accounts.get_account(s, scope, account_id, runtime.now(), as_of))

    return api
