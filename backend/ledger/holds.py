"""Holds: the operator's view of funds reserved by a pending posting.

A hold debits a credit-normal account's pending bucket towards the tenant's `holds` system account
for that currency (Customer -> Reserved in the seed pages), so `available` drops at once while
`posted` does not move. Capture posts it (partly, the rest released), release voids it, extend moves
its expiry, and it expires by itself; every change keeps its reason and source request.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy import func, select
from sqlmodel import Session

from backend.db.tables import Hold, HoldAction
from backend.errors import ZentraError
from backend.events.outbox import PendingEvent, record
from backend.ids import new_id
from backend.inputs import reject_unknown, required_str, timestamp, whole_number
from backend.ledger import views
from backend.ledger.accounts import get_account_row, system_account
from backend.ledger.book import Book
from backend.ledger.commands import PostingCommand
from backend.ledger.expiry import lock_releasing_due
from backend.ledger.journal import legs_of, lock_pending
from backend.ledger.legs import Leg
from backend.ledger.postings import create_postings, resolve
from backend.money.amounts import parse_amount_minor
from backend.pagination import page
from backend.tenancy.lookup import get_scoped
from backend.tenancy.scope import Scope

MAX_TTL = timedelta(days=30)
ACTION_FIELDS = {"reason", "source_request"}


def _expiry(body: dict, now: datetime) -> datetime:
    """`expires_at` or `ttl_seconds` (exactly one), in the future and within 30 days."""
    if ("expires_at" in body) == ("ttl_seconds" in body):
        raise ZentraError("validation_error", "send exactly one of expires_at or ttl_seconds", "expires_at")
    if "ttl_seconds" in body:
        ttl = whole_number(body["ttl_seconds"], "ttl_seconds", low=1)
        if ttl > MAX_TTL.total_seconds():
            raise ZentraError("validation_error", "a hold lasts at most 30 days", "ttl_seconds")
        return now + timedelta(seconds=ttl)
    expires_at = timestamp(body["expires_at"], "expires_at")
    if expires_at <= now or expires_at - now > MAX_TTL:
        raise ZentraError("validation_error", "expires_at must be in the future and within 30 days", "expires_at")
    return expires_at


def create_hold(session: Session, scope: Scope, body: dict, now: datetime) -> dict:
    reject_unknown(body, {"account", "amount_minor", "expires_at", "ttl_seconds"} | ACTION_FIELDS)
    account_id = required_str(body, "account", max_length=40)
    amount = parse_amount_minor(body.get("amount_minor"))
    expires_at = _expiry(body, now)
    reason = required_str(body, "reason", max_length=500)
    source_request = required_str(body, "source_request")
    try:
        account = get_account_row(session, scope, account_id)
    except ZentraError:
        raise ZentraError("unknown_account", f"no account {account_id!r} in this tenant and mode", "account", object_id=account_id) from None
    if account.normal_balance != "credit" or account.system_role:
        raise ZentraError("validation_error", "holds reserve funds of credit-normal customer accounts", "account")
    reserved = system_account(session, scope, "holds", account.currency, now)
    command = PostingCommand(
        legs=(Leg(account_id, "debit", amount, "account"), Leg(reserved, "credit", amount, "account")),
        pending=True,
        expires_at=expires_at,
        correlation_id=source_request,
        description=f"hold: {reason}",
    )
    posting = create_postings(session, scope, [command], atomic=True, now=now)[0]
    hold = Hold(
        id=new_id("hold"),
        tenant_id=scope.tenant_id,
        mode=scope.mode,
        account_id=account_id,
        posting_id=posting["posting_id"],
        currency=account.currency,
        amount_minor=amount,
        reason=reason,
        source_request=source_request,
        expires_at=expires_at,
        created_at=now,
        updated_at=now,
    )
    session.add(hold)
    session.flush()
    return _act(session, scope, hold, "created", now, amount_minor=amount, reason=reason, source_request=source_request, expires_at=expires_at, posting_id=posting["posting_id"])


def _act(session: Session, scope: Scope, hold: Hold, action: str, now: datetime, **details) -> dict:
    """Record a hold action, its event, and answer with the hold and its history."""
    session.add(HoldAction(hold_id=hold.id, action=action, at=now, **details))
    session.flush()
    view = get_hold(session, scope, hold.id)
    record(session, scope, [PendingEvent(f"hold.{action}", hold.id, view, now, hold.source_request)])
    return {**view, "event": f"hold.{action}"}


def _active(session: Session, scope: Scope, hold_id: str, now: datetime) -> Hold:
    hold = get_scoped(session, Hold, hold_id, scope, "hold")
    if hold.status == "expired" or (hold.status == "active" and hold.expires_at <= now):
        raise ZentraError("hold_expired", f"hold {hold_id} expired at {hold.expires_at.isoformat()}")
    if hold.status != "active":
        raise ZentraError("invalid_state_transition", f"hold {hold_id} is already {hold.status}")
    return hold


def capture_hold(session: Session, scope: Scope, hold_id: str, body: dict, now: datetime) -> dict:
    """Post the hold's pending posting, fully or partly (the remainder is released)."""
    reject_unknown(body, {"amount_minor"} | ACTION_FIELDS)
    reason, source = required_str(body, "reason", max_length=500), required_str(body, "source_request")
    hold = _active(session, scope, hold_id, now)
    posted = resolve(session, scope, hold.posting_id, "post", body.get("amount_minor"), now, reason)
    hold.status, hold.captured_minor, hold.updated_at = "captured", posted.posted_amount_minor, now
    return _act(session, scope, hold, "captured", now, amount_minor=hold.captured_minor, reason=reason, source_request=source, posting_id=posted.resolution_posting_id)


def release_hold(session: Session, scope: Scope, hold_id: str, body: dict, now: datetime) -> dict:
    """Void the hold's pending posting: the reserved funds become available again."""
    reject_unknown(body, ACTION_FIELDS)
    reason, source = required_str(body, "reason", max_length=500), required_str(body, "source_request")
    hold = _active(session, scope, hold_id, now)
    voided = resolve(session, scope, hold.posting_id, "void", None, now, reason)
    hold.status, hold.updated_at = "released", now
    return _act(session, scope, hold, "released", now, amount_minor=hold.amount_minor, reason=reason, source_request=source, posting_id=voided.resolution_posting_id)


def extend_hold(session: Session, scope: Scope, hold_id: str, body: dict, now: datetime) -> dict:
    """Move an active hold's expiry later (never earlier: that would be a partial release)."""
    reject_unknown(body, {"expires_at", "ttl_seconds"} | ACTION_FIELDS)
    reason, source = required_str(body, "reason", max_length=500), required_str(body, "source_request")
    expires_at = _expiry(body, now)
    hold = _active(session, scope, hold_id, now)
    if expires_at > hold.created_at + MAX_TTL:
        raise ZentraError("validation_error", "a hold lasts at most 30 days from its creation", "expires_at")
    book = Book(session, scope, now)
    lock_releasing_due(book, {leg.account_id for leg in legs_of(session, hold.posting_id, "pending")})
    book.flush()
    pending = lock_pending(session, hold.posting_id)
    if pending.status == "expired" or pending.expires_at <= now:
        raise ZentraError("hold_expired", f"hold {hold_id} expired at {pending.expires_at.isoformat()}")
    if pending.status != "pending":
        raise ZentraError("invalid_state_transition", f"hold {hold_id} is already {pending.status}")
    if expires_at <= pending.expires_at:
        raise ZentraError("validation_error", "an extension must move expires_at later", "expires_at")
    pending.expires_at = hold.expires_at = expires_at
    hold.updated_at = now
    return _act(session, scope, hold, "extended", now, reason=reason, source_request=source, expires_at=expires_at)


def get_hold(session: Session, scope: Scope, hold_id: str) -> dict:
    hold = get_scoped(session, Hold, hold_id, scope, "hold")
    actions = session.execute(select(HoldAction).where(HoldAction.hold_id == hold.id).order_by(HoldAction.seq)).scalars().all()
    return views.hold(hold, list(actions))


def list_holds(session: Session, scope: Scope, *, account_id: str | None = None, status: str | None = None, expiring_before: datetime | None = None, limit: int = 25, offset: int = 0) -> dict:
    """Holds newest first; with `expiring_before`, the active ones that expire by then, soonest
    first (what the review queue surfaces for extend, capture or release)."""
    where = [Hold.tenant_id == scope.tenant_id, Hold.mode == scope.mode]
    if account_id:
        where.append(Hold.account_id == account_id)
    if status:
        where.append(Hold.status == status)
    order = (Hold.created_at.desc(),)
    if expiring_before is not None:
        where += [Hold.status == "active", Hold.expires_at <= expiring_before]
        order = (Hold.expires_at, Hold.id)
    total = session.execute(select(func.count()).select_from(Hold).where(*where)).scalar_one()
    rows = session.execute(select(Hold).where(*where).order_by(*order).limit(limit).offset(offset)).scalars().all()
    return page([views.hold(h) for h in rows], total, limit, offset)
