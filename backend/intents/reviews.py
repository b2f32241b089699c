"""The review queue: intents policy sent to a person, claimed, decided, with maker-checker.

Rules, as the contract states them: nobody approves an intent they created, and at or above the
dual-approval threshold two different people must approve. An intent with a screening list match
compliance has not decided cannot be approved: compliance clears the match (then the review goes
on as any other) or confirms it, which rejects the intent through this module's rejection. An approval is bound to the hash of
what the approver was shown when they claimed (`review_hash`): if the intent changed since (an
amendment bumps its revision), the approval is refused and the reviewer must look again. Every
action locks the review row first, so two reviewers racing on one item are decided in order; a
review of another tenant or mode is `not_found` before any role is considered.
"""

from __future__ import annotations

import hashlib
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

import orjson
from sqlalchemy import func, select
from sqlmodel import Session

from backend.clock import to_iso
from backend.db.tables import (
    Intent,
    OperatorMembership,
    Review,
    ReviewApproval,
    ScreeningResult,
)
from backend.encoding import canonical
from backend.errors import ZentraError
from backend.events.outbox import PendingEvent, record
from backend.inputs import choice, optional_str, reject_unknown, required_str
from backend.intents import intake, lifecycle
from backend.intents.lifecycle import Trace
from backend.money.amounts import parse_amount_minor
from backend.operators import roles
from backend.pagination import page
from backend.screening import results as screening_results
from backend.tenancy.scope import Scope

APPROVE_CODES = ("verified_customer", "verified_documents", "within_risk_appetite", "other")
REJECT_CODES = ("suspected_fraud", "policy_violation", "customer_request", "insufficient_documentation", "other")
REVIEWED_FIELDS = ("intent_id", "kind", "amount_minor", "currency", "source_account_id", "destination", "counterparty", "corridor", "policy_version", "revision")


@dataclass(frozen=True)
class Filters:
    """What the queue can be narrowed by; every filter has an index behind it or rides the scope's."""

    status: str = "open"
    reason: str | None = None
    assignee: str | None = None
    min_amount: int | None = None
    older_than_seconds: int | None = None


def review_hash(intent: Intent, matches: Sequence[ScreeningResult] = ()) -> str:
    """SHA-256 over the facts a reviewer decides on, and compliance's decision on each screening
    match shown; any amendment or screening decision changes it."""
    facts = {name: getattr(intent, name) for name in REVIEWED_FIELDS}
    facts["decision"] = orjson.loads(intent.decision_json)
    if matches:
        facts["screening"] = [[m.id, m.decision] for m in matches]
    return hashlib.sha256(canonical(facts)).hexdigest()


def _locked(session: Session, scope: Scope, review_id: str) -> tuple[Review, Intent]:
    where = (Review.id == review_id, Review.tenant_id == scope.tenant_id, Review.mode == scope.mode)
    review = session.execute(select(Review).where(*where).with_for_update()).scalar_one_or_none()
    if review is None:
        raise ZentraError("not_found", f"no review {review_id!r}", object_id=review_id)
    intent = session.execute(select(Intent).where(Intent.id == review.intent_row_id).with_for_update()).scalar_one()
    return review, intent


def locked_for_intent(session: Session, intent_row_id: str) -> tuple[Review | None, Intent]:
    """The intent's review (None if it has none) and the intent, locked in the queue's order."""
    review = session.execute(select(Review).where(Review.intent_row_id == intent_row_id).with_for_update()).scalar_one_or_none()
    intent = session.execute(select(Intent).where(Intent.id == intent_row_id).with_for_update()).scalar_one()
    return review, intent


def _open(review: Review) -> None:
    if review.status != "open":
        raise ZentraError("invalid_state_transition", f"review {review.id} is already {review.status}")


def _event(session: Session, trace: Trace, review: Review, event_type: str, **data) -> None:
    payload = {"review_id": review.id, "intent_id": review.intent_id, "assignee": review.assignee, **data}
    record(session, trace.scope, [PendingEvent(event_type, review.intent_id, payload, trace.now, review.intent_id)])


def claim(session: Session, trace: Trace, review_id: str, body: dict) -> dict:
    """Take an open review for yourself; claiming your own claim again answers it unchanged."""
    reject_unknown(body, set())
    review, intent = _locked(session, trace.scope, review_id)
    roles.require(trace.scope.role, "reviews.decide")
    _open(review)
    if review.assignee not in (None, trace.scope.actor):
        raise ZentraError("invalid_state_transition", f"review {review.id} is claimed by {review.assignee}; it must be released or reassigned first")
    if review.assignee is None:
        review.assignee, review.assigned_at = trace.scope.actor, trace.now
        _event(session, trace, review, "review.assigned", by=trace.scope.actor)
    return view(session, review, intent)


def assign(session: Session, trace: Trace, review_id: str, body: dict) -> dict:
    """Give an open review to an operator of the tenant whose role decides reviews."""
    reject_unknown(body, {"operator_id"})
    operator_id = required_str(body, "operator_id", max_length=40)
    review, intent = _locked(session, trace.scope, review_id)
    roles.require(trace.scope.role, "reviews.assign")
    member = session.get(OperatorMembership, (operator_id, trace.scope.tenant_id))
    if member is None or not roles.allowed(member.role, "reviews.decide"):
        raise ZentraError("validation_error", f"operator {operator_id} is not a member of this tenant who may decide reviews", "operator_id")
    _open(review)
    review.assignee, review.assigned_at = f"operator:{operator_id}", trace.now
    _event(session, trace, review, "review.assigned", by=trace.scope.actor)
    return view(session, review, intent)


def release(session: Session, trace: Trace, review_id: str, body: dict) -> dict:
    """Put a claimed review back in the queue (its assignee, or an admin, may)."""
    reject_unknown(body, set())
    review, intent = _locked(session, trace.scope, review_id)
    roles.require(trace.scope.role, "reviews.decide")
    _open(review)
    if review.assignee is None:
        raise ZentraError("invalid_state_transition", f"review {review.id} is not claimed")
    if review.assignee != trace.scope.actor and trace.scope.role != "admin":
        raise ZentraError("forbidden", f"review {review.id} is claimed by {review.assignee}; only they or an admin may release it")
    review.assignee, review.assigned_at = None, None
    _event(session, trace, review, "review.released", by=trace.scope.actor)
    return view(session, review, intent)


def approve(session: Session, trace: Trace, review_id: str, body: dict) -> dict:
    """Approve as the review's assignee, bound to `reviewed_hash`; the last approval needed moves
    the intent on to `controlled` and reserves its funds."""
    reject_unknown(body, {"reviewed_hash", "reason_code", "note"})
    reviewed_hash = required_str(body, "reviewed_hash", max_length=64)
    code = choice(body, "reason_code", APPROVE_CODES)
    note = optional_str(body, "note", max_length=500)
    review, intent = _locked(session, trace.scope, review_id)
    roles.require(trace.scope.role, "reviews.decide")
    _open(review)
    _may_approve(session, trace.scope, review, intent, reviewed_hash)
    session.add(ReviewApproval(review_id=review.id, approver=trace.scope.actor, role=trace.scope.role, reviewed_hash=reviewed_hash, reason_code=code, at=trace.now))
    session.flush()
    approvals = _approvals(session, review.id)
    if len(approvals) < review.required_approvals:
        review.assignee, review.assigned_at = None, None
        _event(session, trace, review, "review.approval_added", approvals=len(approvals), required=review.required_approvals)
        return view(session, review, intent)
    review.status, review.decided_at, review.decided_by, review.decision_code, review.decision_note = "approved", trace.now, trace.scope.actor, code, note
    lifecycle.move(session, trace, intent, "controlled", reason=f"approved: {code}", data={"review_id": review.id, "approvers": [a.approver for a in approvals]})
    intake.reserve_funds(session, trace, intent)
    return view(session, review, intent)


def _may_approve(session: Session, scope: Scope, review: Review, intent: Intent, reviewed_hash: str) -> None:
    """Maker-checker and the hash binding; each refusal says what to do instead."""
    if scope.actor == review.created_by:
        raise ZentraError("forbidden", "maker-checker: nobody approves an intent they created")
    waiting = screening_results.undecided(session, intent.id)
    if waiting:
        raise ZentraError("invalid_state_transition", f"{waiting} screening match(es) on intent {intent.intent_id} wait for compliance to clear or confirm them")
    if review.assignee != scope.actor:
        raise ZentraError("invalid_state_transition", f"claim review {review.id} before approving it" if review.assignee is None else f"review {review.id} is claimed by {review.assignee}")
    if any(a.approver == scope.actor for a in _approvals(session, review.id)):
        raise ZentraError("forbidden", "maker-checker: you already approved this intent; a second approval must come from someone else")
    if reviewed_hash != review_hash(intent, screening_results.of_intent(session, intent.id)):
        raise ZentraError("invalid_state_transition", f"intent {intent.intent_id} changed since it was reviewed (now revision {intent.revision}): claim it again and review what it is now", "reviewed_hash")


def reject(session: Session, trace: Trace, review_id: str, body: dict) -> dict:
    """Refuse the intent for good (no money had moved: review comes before any reservation)."""
    reject_unknown(body, {"reason_code", "note"})
    code = choice(body, "reason_code", REJECT_CODES)
    note = optional_str(body, "note", max_length=500)
    review, intent = _locked(session, trace.scope, review_id)
    roles.require(trace.scope.role, "reviews.decide")
    _open(review)
    if review.assignee != trace.scope.actor:
        raise ZentraError("invalid_state_transition", f"claim review {review.id} before rejecting it" if review.assignee is None else f"review {review.id} is claimed by {review.assignee}")
    return close_rejected(session, trace, review, intent, code, note)


def close_rejected(session: Session, trace: Trace, review: Review, intent: Intent, code: str, note: str | None) -> dict:
    """Decide an open review (locked by the caller) as rejected and end its intent `rejected`:
    a reviewer's rejection, or compliance confirming a screening match."""
    review.status, review.decided_at, review.decided_by, review.decision_code, review.decision_note = "rejected", trace.now, trace.scope.actor, code, note
    intent.failure_code, intent.failure_message = code, note or "rejected in review"
    lifecycle.move(session, trace, intent, "rejected", reason=f"rejected: {code}", data={"review_id": review.id})
    return view(session, review, intent)


def amend(session: Session, trace: Trace, intent_id: str, body: dict) -> dict:
    """Change the amount of an intent waiting in review (its creator only). The policy judges it
    again: approvals given so far were for other facts and are dropped, and an intent that no
    longer needs review goes on (or is refused) at once."""
    reject_unknown(body, {"amount_minor"})
    amount = parse_amount_minor(body.get("amount_minor"))
    where = (Intent.tenant_id == trace.scope.tenant_id, Intent.mode == trace.scope.mode, Intent.intent_id == intent_id)
    intent = session.execute(select(Intent).where(*where).with_for_update()).scalar_one_or_none()
    if intent is None:
        raise ZentraError("not_found", f"no intent {intent_id!r}", object_id=intent_id)
    if intent.created_by != trace.scope.actor:
        raise ZentraError("forbidden", "only the intent's creator may amend it")
    review = session.execute(select(Review).where(Review.intent_row_id == intent.id).with_for_update()).scalar_one_or_none()
    if intent.status != "review" or review is None or review.status != "open":
        raise ZentraError("invalid_state_transition", f"only an intent waiting in review can be amended; {intent.intent_id} is {intent.status}")
    intent.amount_minor, intent.revision = amount, intent.revision + 1
    review.amount_minor = amount
    for approval in _approvals(session, review.id):
        session.delete(approval)
    decision = intake.judge(session, trace, intent)
    policy = intake.policy_summary(decision)
    if decision.outcome == "review":
        review.reason, review.required_approvals = decision.reason or review.reason, decision.required_approvals
        lifecycle.move(session, trace, intent, "review", reason=f"amended to revision {intent.revision}", policy=policy)
    elif decision.outcome == "reject":
        review.status, review.decided_at, review.decided_by, review.decision_code = "withdrawn", trace.now, trace.scope.actor, "amended"
        intent.failure_code, intent.failure_message = decision.reason, "refused by policy after amendment"
        lifecycle.move(session, trace, intent, "rejected", reason=decision.reason, policy=policy)
    else:
        review.status, review.decided_at, review.decided_by, review.decision_code = "withdrawn", trace.now, trace.scope.actor, "amended"
        lifecycle.move(session, trace, intent, "controlled", reason="amended below review", policy=policy)
        intake.reserve_funds(session, trace, intent)
    session.flush()
    return {"intent_id": intent.intent_id, "status": intent.status, "revision": intent.revision}


def _approvals(session: Session, review_id: str) -> list[ReviewApproval]:
    return list(session.execute(select(ReviewApproval).where(ReviewApproval.review_id == review_id).order_by(ReviewApproval.seq)).scalars())


def view(session: Session, review: Review, intent: Intent | None = None) -> dict:
    """The review as the queue shows it; `review_hash` is what an approval must quote."""
    intent = intent or session.get(Intent, review.intent_row_id)
    matches = screening_results.of_intent(session, intent.id)
    return {
        "id": review.id,
        "object": "review",
        "intent_id": review.intent_id,
        "intent_status": intent.status,
        "kind": intent.kind,
        "reason": review.reason,
        "amount_minor": review.amount_minor,
        "currency": review.currency,
        "counterparty": intent.counterparty,
        "created_by": review.created_by,
        "required_approvals": review.required_approvals,
        "approvals": [{"approver": a.approver, "role": a.role, "reason_code": a.reason_code, "at": to_iso(a.at)} for a in _approvals(session, review.id)],
        "status": review.status,
        "assignee": review.assignee,
        "assigned_at": to_iso(review.assigned_at),
        "due_at": to_iso(review.due_at),
        "created_at": to_iso(review.created_at),
        "decided_at": to_iso(review.decided_at),
        "decided_by": review.decided_by,
        "decision_code": review.decision_code,
        "decision_note": review.decision_note,
        "revision": intent.revision,
        "screening": screening_results.views(session, matches),
        "review_hash": review_hash(intent, matches),
    }


def get_review(session: Session, scope: Scope, review_id: str) -> dict:
    review = session.get(Review, review_id)
    if review is None or review.tenant_id != scope.tenant_id or review.mode != scope.mode:
        raise ZentraError("not_found", f"no review {review_id!r}", object_id=review_id)
    return view(session, review)


def list_reviews(session: Session, scope: Scope, filters: Filters, now: datetime, limit: int, offset: int) -> dict:
    """The queue, oldest first (the one closest to breaching its SLA leads)."""
    where = [Review.tenant_id == scope.tenant_id, Review.mode == scope.mode, Review.status == filters.status]
    if filters.reason:
        where.append(Review.reason == filters.reason)
    if filters.assignee == "unassigned":
        where.append(Review.assignee.is_(None))
    elif filters.assignee:
        where.append(Review.assignee == filters.assignee)
    if filters.min_amount is not None:
        where.append(Review.amount_minor >= filters.min_amount)
    if filters.older_than_seconds is not None:
        where.append(Review.created_at <= now - timedelta(seconds=filters.older_than_seconds))
    total = session.execute(select(func.count()).select_from(Review).where(*where)).scalar_one()
    rows = session.execute(select(Review).where(*where).order_by(Review.created_at, Review.id).limit(limit).offset(offset)).scalars().all()
    return page([view(session, r) for r in rows], total, limit, offset)
