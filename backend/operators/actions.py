"""The one way operator actions reach the services: verify the session, check the role, act, and
record it, all in one write transaction.

`perform` re-verifies the session inside the transaction that acts, so a sign-out, a role change
or a removed membership committed before it is never acted through. A refusal (bad session, wrong
role) rolls the transaction back and leaves only its audit record. An action that fails on its
own terms (a hold already captured, bad input) changes nothing and leaves no record, as in the
HTTP API; one that reached for another tenant's or mode's object is recorded as a denied attempt
in that object's chain (`backend.audit.denials.cross_scope`).

The operator functions at the bottom reuse the services the HTTP API calls, so a rule lives in
one place. `credential` is the session token, or an `OperatorScope` that `sessions.current`
returned during the same event (it is re-checked against the database either way).
"""

from __future__ import annotations

from datetime import datetime
from typing import Callable, TypeVar

from sqlmodel import Session

from backend.audit.denials import cross_scope
from backend.audit.records import append
from backend.db import transactions
from backend.errors import ZentraError
from backend.ledger import accounts, holds
from backend.operators import audit, directory, tokens
from backend.operators.sessions import OperatorScope, verify
from backend.policy import versions
from backend.runtime import Runtime
from backend.tenancy.scope import Scope
from backend.webhooks import recovery

T = TypeVar("T")
Credential = str | OperatorScope
Action = Callable[[Session, Scope, datetime], T]

# Reads that leave a record when allowed (what left the building); other reads are only checked,
# so browsing does not flood the chain.
RECORDED_READS = frozenset({"evidence.export"})


def perform(runtime: Runtime, credential: Credential, action: str, fn: Action, *, object_id: str | Callable[[T], str] | None, detail: dict | None = None, request_id: str | None = None) -> T:
    """Run `fn(session, scope, now)` as the session's operator if their role may perform `action`,
    with the action's audit record in the same transaction. `object_id` is the object acted on, or
    a function of `fn`'s result for objects the action creates. Raises `unauthorized` (session
    over) or `forbidden` (role), both recorded, or whatever `fn` raises."""
    key, now = tokens.signing_key(runtime.settings), runtime.now()
    target = None if callable(object_id) else object_id
    acting: list[Scope] = []

    def unit(session: Session) -> T:
        operator = verify(session, key, credential, now, request_id)
        audit.require(operator.scope, action, target, now, request_id)
        acting.append(operator.scope)
        result = fn(session, operator.scope, now)
        recorded_id = object_id(result) if callable(object_id) else target
        append(session, [audit.allowed(operator.scope, action, recorded_id, now, request_id, detail)])
        return result

    try:
        with audit.recorded(runtime.db):
            return transactions.write(runtime.db, unit)
    except ZentraError as err:
        if acting and err.object_id:
            _record_cross_scope(runtime, acting[-1], err, now, request_id)
        raise


def _record_cross_scope(runtime: Runtime, scope: Scope, err: ZentraError, now: datetime, request_id: str | None) -> None:
    def unit(session: Session) -> None:
        denial = cross_scope(session, scope, err, audit.ROOM, request_id, now)
        append(session, [denial] if denial else [])

    transactions.write(runtime.db, unit)


def check(runtime: Runtime, credential: Credential, action: str, *, object_id: str | None = None, request_id: str | None = None) -> OperatorScope:
    """Verify the session and that its role may perform the read `action` (to open a page or
    export); returns the operator. Allowed reads in `RECORDED_READS` are recorded; refusals always
    are. Raises `unauthorized` or `forbidden`."""
    key, now = tokens.signing_key(runtime.settings), runtime.now()

    def unit(session: Session) -> OperatorScope:
        operator = verify(session, key, credential, now, request_id)
        audit.require(operator.scope, action, object_id, now, request_id)
        if action in RECORDED_READS:
            append(session, [audit.allowed(operator.scope, action, object_id, now, request_id)])
        return operator

    run = transactions.write if action in RECORDED_READS else transactions.read
    with audit.recorded(runtime.db):
        return run(runtime.db, unit)


def create_account(runtime: Runtime, credential: Credential, body: dict, request_id: str | None = None) -> dict:
    """Open an account (`accounts.create`); `body` as `POST /v1/accounts` without the key."""
    return perform(runtime, credential, "accounts.create", lambda s, scope, now: accounts.create_account(s, scope, body, now), object_id=lambda r: r["id"], detail=body, request_id=request_id)


def capture_hold(runtime: Runtime, credential: Credential, hold_id: str, body: dict, request_id: str | None = None) -> dict:
    """Capture a hold (`holds.capture`); `body` holds `reason`, `source_request`, optional `amount_minor`."""
    return perform(runtime, credential, "holds.capture", lambda s, scope, now: holds.capture_hold(s, scope, hold_id, body, now), object_id=hold_id, detail=body, request_id=request_id)


def release_hold(runtime: Runtime, credential: Credential, hold_id: str, body: dict, request_id: str | None = None) -> dict:
    """Release a hold (`holds.release`); `body` holds `reason` and `source_request`."""
    return perform(runtime, credential, "holds.release", lambda s, scope, now: holds.release_hold(s, scope, hold_id, body, now), object_id=hold_id, detail=body, request_id=request_id)


def extend_hold(runtime: Runtime, credential: Credential, hold_id: str, body: dict, request_id: str | None = None) -> dict:
    """Extend a hold (`holds.extend`); `body` holds `expires_at` or `ttl_seconds`, `reason`, `source_request`."""
    return perform(runtime, credential, "holds.extend", lambda s, scope, now: holds.extend_hold(s, scope, hold_id, body, now), object_id=hold_id, detail=body, request_id=request_id)


def invite_operator(runtime: Runtime, credential: Credential, body: dict, request_id: str | None = None) -> dict:
    """Add an operator to the signed-in tenant (`operators.manage`); `body` holds `email`, `role`
    and, for someone new, `name`. The answer's `password` is set only for a new operator: show it
    once. The audit record never holds it."""
    def act(session: Session, scope: Scope, now: datetime) -> dict:
        return directory.invite(session, scope.tenant_id, body, now)

    detail = {"change": "invite", "email": body.get("email"), "role": body.get("role")}
    return perform(runtime, credential, "operators.manage", act, object_id=lambda r: r["operator_id"], detail=detail, request_id=request_id)


def change_role(runtime: Runtime, credential: Credential, operator_id: str, role: str, request_id: str | None = None) -> dict:
    """Set another operator's role in the signed-in tenant (`operators.manage`); their sessions
    there end. The tenant's last admin cannot be demoted (`validation_error`)."""
    def act(session: Session, scope: Scope, now: datetime) -> dict:
        return directory.change_role(session, scope.tenant_id, operator_id, role)

    return perform(runtime, credential, "operators.manage", act, object_id=operator_id, detail={"change": "role", "role": role}, request_id=request_id)


def remove_operator(runtime: Runtime, credential: Credential, operator_id: str, request_id: str | None = None) -> dict:
    """Take an operator out of the signed-in tenant (`operators.manage`); the last admin stays."""
    def act(session: Session, scope: Scope, now: datetime) -> dict:
        return directory.remove_membership(session, scope.tenant_id, operator_id)

    return perform(runtime, credential, "operators.manage", act, object_id=operator_id, detail={"change": "remove"}, request_id=request_id)


def resend_webhook(runtime: Runtime, credential: Credential, endpoint_id: str, message_id: str, request_id: str | None = None) -> dict:
    """Deliver one message again now (`webhooks.manage`), as `POST …/messages/{id}/resend`."""
    act = lambda s, scope, now: recovery.resend(s, scope, endpoint_id, message_id, {}, now)  # noqa: E731
    return perform(runtime, credential, "webhooks.manage", act, object_id=message_id, detail={"change": "resend", "endpoint": endpoint_id}, request_id=request_id)


def recover_webhooks(runtime: Runtime, credential: Credential, endpoint_id: str, body: dict, request_id: str | None = None) -> dict:
    """Count (`dry_run`) or send again what an endpoint missed since `since` (`webhooks.manage`)."""
    act = lambda s, scope, now: recovery.recover(s, scope, endpoint_id, body, now)  # noqa: E731
    return perform(runtime, credential, "webhooks.manage", act, object_id=endpoint_id, detail={"change": "recover", **body}, request_id=request_id)


def publish_policy(runtime: Runtime, credential: Credential, body: dict, request_id: str | None = None) -> dict:
    """Publish the scope's next policy version (`policy.manage`); `body` holds `rules`, optional
    `note` and optional `version` (publish only if it is still the next one)."""
    act = lambda s, scope, now: versions.publish_policy(s, scope, body, now)  # noqa: E731
    return perform(runtime, credential, "policy.manage", act, object_id=lambda r: r["id"], detail={"change": "publish", "note": body.get("note")}, request_id=request_id)
