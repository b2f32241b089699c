"""Taking an intent in: validate it against the ledger, judge it by the tenant's policy, and reserve
its funds, all in the request's transaction.

An intent the policy accepts leaves this module `ledgered` (or `failed` if its source cannot cover
it), one sent to a person waits in `review`, one refused ends `rejected`; in every case nothing
moves before the policy decided. Compliance screening (KYC status, list matches) is looked up
here and judged by the policy with everything else. The source account's row is locked first, so
two intents from one account are judged one after the other and a velocity limit cannot be raced
past.
"""

from __future__ import annotations

from datetime import timedelta

import orjson
from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError
from sqlmodel import Session

from backend.db.tables import Account, Intent, Review
from backend.errors import ZentraError
from backend.ids import new_id
from backend.intents import lifecycle, money
from backend.intents.lifecycle import Trace
from backend.intents.requests import ACCOUNT_DESTINATIONS, IntentRequest
from backend.policy.rules import Decision, IntentFacts, Velocity, evaluate
from backend.policy.versions import current_policy
from backend.screening.screen import screen_intent
from backend.tenancy.scope import Scope

# How long a held intent may wait before its review is overdue.
REVIEW_SLA = timedelta(hours=4)
NOT_COUNTED = ("rejected", "failed")


def create_intent(session: Session, trace: Trace, request: IntentRequest) -> Intent:
    """Accept `request` as a new intent and take it as far as policy and funds allow."""
    source = _locked_account(session, trace.scope, request.source, "source", request.currency)
    destination = _destination(session, trace.scope, request, source)
    intent = _insert(session, trace, request, destination)
    lifecycle.enter(session, trace, intent)
    decision = judge(session, trace, intent)
    _route_decision(session, trace, intent, decision)
    return intent


def _locked_account(session: Session, scope: Scope, account_id: str, param: str, currency: str) -> Account:
    where = (Account.id == account_id, Account.tenant_id == scope.tenant_id, Account.mode == scope.mode)
    account = session.execute(select(Account).where(*where).with_for_update()).scalar_one_or_none()
    if account is None:
        raise ZentraError("unknown_account", f"no account {account_id!r} in this tenant and mode", param, object_id=account_id)
    if account.currency != currency:
        raise ZentraError("currency_mismatch", f"{param} account {account_id} holds {account.currency}, the intent is in {currency}", param)
    if account.system_role:
        raise ZentraError("validation_error", f"{param} must be a customer account, not the tenant's {account.system_role} account", param)
    return account


def _destination(session: Session, scope: Scope, request: IntentRequest, source: Account) -> Account | None:
    if request.kind not in ACCOUNT_DESTINATIONS:
        return None
    if request.destination == source.id:
        raise ZentraError("validation_error", "destination must differ from source", "destination")
    where = (Account.id == request.destination, Account.tenant_id == scope.tenant_id, Account.mode == scope.mode)
    account = session.execute(select(Account).where(*where)).scalar_one_or_none()
    if account is None:
        raise ZentraError("unknown_account", f"no account {request.destination!r} in this tenant and mode", "destination", object_id=request.destination)
    if account.currency != request.currency:
        raise ZentraError("currency_mismatch", f"destination account {account.id} holds {account.currency}, the intent is in {request.currency}", "destination")
    if account.system_role:
        raise ZentraError("validation_error", "destination must be a customer account", "destination")
    return account


def _insert(session: Session, trace: Trace, request: IntentRequest, destination: Account | None) -> Intent:
    """The intent row, inserted in a savepoint so a public id already taken (even by a racing
    request) is a typed refusal rather than a failed transaction."""
    scope = trace.scope
    intent = Intent(
        id=new_id("int"),
        tenant_id=scope.tenant_id,
        mode=scope.mode,
        intent_id=request.intent_id,
        kind=request.kind,
        status="accepted",
        amount_minor=request.amount_minor,
        currency=request.currency,
        source_account_id=request.source,
        destination=request.destination,
        destination_account_id=destination.id if destination else None,
        counterparty=request.counterparty or (destination.customer if destination else request.destination),
        corridor=request.corridor,
        scope_label=request.scope_label,
        money_model=request.money_model,
        primitives_json=orjson.dumps(list(request.primitives)).decode(),
        created_by=scope.actor,
        created_role=scope.role,
        created_at=trace.now,
        updated_at=trace.now,
    )
    taken = ZentraError("validation_error", f"intent_id {request.intent_id!r} is already used in this tenant and mode", "intent_id")
    where = (Intent.tenant_id == scope.tenant_id, Intent.mode == scope.mode, Intent.intent_id == request.intent_id)
    if session.execute(select(Intent.id).where(*where)).first() is not None:
        raise taken
    try:
        with session.begin_nested():
            session.add(intent)
            session.flush()
    except IntegrityError:
        raise taken from None
    return intent


def judge(session: Session, trace: Trace, intent: Intent) -> Decision:
    """The current policy's decision on `intent` with its screening, kept on the intent (its
    evidence names the version and every rule checked)."""
    scope = trace.scope
    with session.no_autoflush:  # none of these reads depends on the intent's unflushed changes: they go out with the next write
        version, rules = current_policy(session, scope)
        velocity = _velocity(session, scope, intent, rules.velocity_window_seconds)
        screening = screen_intent(session, scope, intent, trace.now)
    facts = IntentFacts(kind=intent.kind, amount_minor=intent.amount_minor, currency=intent.currency, counterparty=intent.counterparty, corridor=intent.corridor, screening=screening)
    decision = evaluate(rules, version, facts, velocity)
    intent.policy_version, intent.decision_json = version, orjson.dumps(decision.to_dict()).decode()
    return decision


def _velocity(session: Session, scope: Scope, intent: Intent, window_seconds: int | None) -> Velocity:
    """Intents from the same source inside the window, before this one (rejected and failed ones
    moved no money and do not count)."""
    if window_seconds is None:
        return Velocity(count=0, amount_minor=0)
    where = (
        Intent.tenant_id == scope.tenant_id,
        Intent.mode == scope.mode,
        Intent.source_account_id == intent.source_account_id,
        Intent.created_at > intent.created_at - timedelta(seconds=window_seconds),
        Intent.id != intent.id,
        Intent.status.not_in(NOT_COUNTED),
    )
    count, total = session.execute(select(func.count(), func.coalesce(func.sum(Intent.amount_minor), 0)).where(*where, Intent.currency == intent.currency)).one()
    return Velocity(count=count, amount_minor=int(total))


def policy_summary(decision: Decision) -> dict:
    """What an audit record keeps of a decision: enough to read it without the packet."""
    return {"decision": decision.outcome, "reason": decision.reason, "version": decision.policy_version, "labels": [c.label() for c in decision.checks]}


def _route_decision(session: Session, trace: Trace, intent: Intent, decision: Decision) -> None:
    policy = policy_summary(decision)
    if decision.outcome == "reject":
        intent.failure_code, intent.failure_message = decision.reason, "refused by policy"
        lifecycle.move(session, trace, intent, "rejected", reason=decision.reason, policy=policy)
    elif decision.outcome == "review":
        lifecycle.move(session, trace, intent, "review", reason=decision.reason, policy=policy, data={"required_approvals": decision.required_approvals})
        open_review(session, trace, intent, decision)
    else:
        lifecycle.move(session, trace, intent, "controlled", reason="policy passed", policy=policy)
        reserve_funds(session, trace, intent)


def open_review(session: Session, trace: Trace, intent: Intent, decision: Decision) -> Review:
    review = Review(
        id=new_id("rev"),
        tenant_id=intent.tenant_id,
        mode=intent.mode,
        intent_row_id=intent.id,
        intent_id=intent.intent_id,
        reason=decision.reason or "review_required",
        amount_minor=intent.amount_minor,
        currency=intent.currency,
        created_by=intent.created_by,
        required_approvals=decision.required_approvals,
        due_at=trace.now + REVIEW_SLA,
        created_at=trace.now,
    )
    session.add(review)
    session.flush()
    return review


def reserve_funds(session: Session, trace: Trace, intent: Intent) -> None:
    """`controlled -> ledgered` with the hold placed, or `-> failed` with why (in a savepoint, so
    a refused reservation leaves no partial write)."""
    try:
        with session.begin_nested():
            hold = money.reserve(session, trace.scope, intent, trace.now)
    except ZentraError as err:
        intent.failure_code, intent.failure_message = err.code, err.message[:500]
        lifecycle.move(session, trace, intent, "failed", reason=err.code)
        return
    intent.next_action_at = trace.now
    lifecycle.move(session, trace, intent, "ledgered", reason="funds reserved", data={"hold_id": hold["id"], "posting_id": hold["posting_id"]})
