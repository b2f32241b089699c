"""Posting money: single postings, batches, two-phase resolution (post or void, once) and reversals."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select, update
from sqlmodel import Session

from backend.db.tables import Hold, PendingPosting, Posting
from backend.encoding import canonical
from backend.errors import ZentraError
from backend.events.outbox import PendingEvent
from backend.ids import new_id
from backend.ledger import legs as legrules
from backend.ledger import views
from backend.ledger.book import Book
from backend.ledger.commands import PostingCommand
from backend.ledger.expiry import lock_releasing_due
from backend.ledger.journal import (
    entries_of,
    get_posting,
    legs_of,
    lock_pending,
    pending_of,
)
from backend.money.amounts import parse_amount_minor
from backend.tenancy.scope import Scope


def create_postings(session: Session, scope: Scope, commands: list[PostingCommand], *, atomic: bool, now: datetime) -> list[dict | ZentraError]:
    """Apply `commands` in order in one transaction.

    Atomic: any refusal raises and nothing is written. Not atomic: a refused posting leaves no
    trace and its error takes its place in the answer.
    """
    book = Book(session, scope, now)
    lock_releasing_due(book, {leg.account_id for c in commands for leg in c.legs})
    results = post_all(book, commands, atomic=atomic)
    book.flush()
    return results


def post_all(book: Book, commands: list[PostingCommand | ZentraError], *, atomic: bool) -> list[dict | ZentraError]:
    """Apply `commands` in order to a locked book; an error already in the list stands as it is.

    Atomic: the first refusal raises (the caller rolls the book back). Not atomic: a refused
    posting is rolled back in memory alone and its error takes its place.
    """
    results: list[dict | ZentraError] = []
    for command in commands:
        if isinstance(command, ZentraError):
            results.append(command)
            continue
        mark = book.checkpoint()
        try:
            results.append(post_one(book, command))
        except ZentraError as err:
            if atomic:
                raise
            book.rollback_to(mark)
            results.append(err)
    return results


def post_one(book: Book, command: PostingCommand) -> dict:
    """Apply one posting to a book whose accounts are locked; raises (changing nothing) if refused."""
    if command.expires_at is not None and command.expires_at <= book.now:
        raise ZentraError("validation_error", "expires_at must be in the future", command.param_prefix + "expires_at")
    posting_id = new_id("pst")
    currency = legrules.check_legs(command.legs, book.balances, command.param_prefix)
    bucket = "pending" if command.pending else "posted"
    book.move(legrules.movements(command.legs, bucket), {leg.account_id: leg.param for leg in command.legs}, posting_id, currency, book.now)
    row = {
        "id": posting_id,
        "kind": "pending" if command.pending else "standard",
        "currency": currency,
        "amount_minor": legrules.total(command.legs),
        "correlation_id": command.correlation_id,
        "description": command.description,
        "metadata_json": canonical(command.metadata).decode(),
        "entry_hash": legrules.entry_hash(posting_id, currency, command.legs),
    }
    book.add_posting(**row)
    pending = None
    if command.pending:
        book.add_pending(posting_id, command.expires_at)
        pending = {"status": "pending", "expires_at": command.expires_at}
    entries = [{"account_id": leg.account_id, "direction": leg.direction, "bucket": bucket, "amount_minor": leg.amount_minor} for leg in command.legs]
    view = views.posting({**row, "created_at": book.now}, entries, pending)
    book.add_event(PendingEvent("ledger.entry.created", posting_id, view, book.now, command.correlation_id))
    if not command.pending:
        book.add_event(PendingEvent("ledger.entry.posted", posting_id, {"posting_id": posting_id}, book.now, command.correlation_id))
    return {**view, "event": "ledger.entry.created"}


def read_posting(session: Session, scope: Scope, posting_id: str) -> dict:
    row = get_posting(session, scope, posting_id)
    return render(session, [row])[0]


def render(session: Session, rows: list[Posting]) -> list[dict]:
    """Views of several postings with their entries and lifecycle, in two queries."""
    ids = [r.id for r in rows]
    entries = entries_of(session, ids)
    pending = pending_of(session, ids)
    return [views.posting(r.model_dump(), entries[r.id], pending.get(r.id)) for r in rows]


@dataclass(frozen=True)
class Resolution:
    """What resolving a pending posting did: its new posting and the amount posted (0 if voided)."""

    resolution_posting_id: str
    posted_amount_minor: int
    event: str


def resolve_pending(session: Session, scope: Scope, posting_id: str, action: str, amount_minor: object, now: datetime, reason: str | None = None) -> dict:
    """Post (fully, or partly with the rest released) or void a pending posting, exactly once;
    answers the posting as it now reads.

    A pending posting that backs a hold is resolved only through the hold, so the hold's status
    and history never disagree with its money.
    """
    hold_id = session.execute(select(Hold.id).where(Hold.posting_id == posting_id)).scalar_one_or_none()
    if hold_id is not None:
        get_posting(session, scope, posting_id)  # another scope's posting is not_found, not named
        raise ZentraError("invalid_state_transition", f"posting {posting_id} backs hold {hold_id}: capture or release it through /v1/holds/{hold_id}")
    resolution = resolve(session, scope, posting_id, action, amount_minor, now, reason)
    return {**read_posting(session, scope, posting_id), "event": resolution.event}


def resolve(session: Session, scope: Scope, posting_id: str, action: str, amount_minor: object, now: datetime, reason: str | None = None) -> Resolution:
    """`resolve_pending`'s money step without the answer, for a hold's capture or release (whose
    answer is the hold)."""
    posting = get_posting(session, scope, posting_id)
    if posting.kind != "pending":
        raise ZentraError("invalid_state_transition", f"posting {posting_id} is not pending (kind {posting.kind})")
    legs = legs_of(session, posting_id, "pending")
    book = Book(session, scope, now)
    lock_releasing_due(book, {leg.account_id for leg in legs})
    pending = lock_pending(session, posting_id)
    if pending.status == "expired" or (pending.status == "pending" and pending.expires_at is not None and pending.expires_at <= now):
        raise ZentraError("hold_expired", f"pending posting {posting_id} expired at {pending.expires_at.isoformat()}")
    if pending.status != "pending":
        raise ZentraError("invalid_state_transition", f"pending posting {posting_id} is already {pending.status}")
    posted = _posted_amount(legs, amount_minor) if action == "post" else 0
    resolution_id = new_id("pst")
    moves = legrules.movements(legs, "pending", -1)
    posted_legs = _scaled(legs, posted)
    if posted:
        moves += legrules.movements(posted_legs, "posted")
    book.move(moves, {leg.account_id: "amount_minor" for leg in legs}, resolution_id, posting.currency, now)
    book.add_posting(
        id=resolution_id,
        kind="post_pending" if action == "post" else "void_pending",
        currency=posting.currency,
        amount_minor=posted or posting.amount_minor,
        pending_posting_id=posting_id,
        correlation_id=posting.correlation_id,
        reason=reason,
        entry_hash=legrules.entry_hash(resolution_id, posting.currency, posted_legs or legrules.swapped(legs)),
    )
    status = "posted" if action == "post" else "voided"
    session.execute(
        update(PendingPosting)
        .where(PendingPosting.posting_id == posting_id, PendingPosting.status == "pending")
        .values(status=status, resolved_at=now, resolution_posting_id=resolution_id, posted_amount_minor=posted if posted else None)
    )
    event_type = "ledger.entry.posted" if action == "post" else "ledger.entry.voided"
    data = {"posting_id": posting_id, "resolution_posting_id": resolution_id, "posted_amount_minor": posted}
    book.add_event(PendingEvent(event_type, posting_id, data, now, posting.correlation_id))
    book.flush()
    session.flush()
    return Resolution(resolution_id, posted, event_type)


def _posted_amount(legs: tuple[legrules.Leg, ...], amount_minor: object) -> int:
    full = legrules.total(legs)
    if amount_minor is None:
        return full
    amount = parse_amount_minor(amount_minor)
    if amount > full:
        raise ZentraError("amount_out_of_range", f"cannot post {amount}: only {full} is pending", "amount_minor")
    if amount < full and len(legs) != 2:
        raise ZentraError("validation_error", "a partial amount can only be posted on a two-leg posting", "amount_minor")
    return amount


def _scaled(legs: tuple[legrules.Leg, ...], amount: int) -> tuple[legrules.Leg, ...]:
    if not amount:
        return ()
    if amount == legrules.total(legs):
        return legs
    return tuple(legrules.Leg(leg.account_id, leg.direction, amount, leg.param) for leg in legs)


def reverse(session: Session, scope: Scope, posting_id: str, reason: str, now: datetime) -> dict:
    """A new posting with the posted legs of `posting_id` swapped, linked to it; once per posting."""
    posting = get_posting(session, scope, posting_id)
    source_id = _reversible_source(session, posting)
    legs = legs_of(session, source_id, "posted")
    book = Book(session, scope, now)
    lock_releasing_due(book, {leg.account_id for leg in legs})
    already = session.execute(select(Posting.id).where(Posting.reverses_posting_id == posting_id)).scalar_one_or_none()
    if already:
        raise ZentraError("invalid_state_transition", f"posting {posting_id} was already reversed by {already}")
    reversal_id = new_id("pst")
    reversed_legs = legrules.swapped(legs)
    book.move(legrules.movements(reversed_legs, "posted"), {leg.account_id: "posting_id" for leg in legs}, reversal_id, posting.currency, now)
    row = {
        "id": reversal_id,
        "kind": "reversal",
        "currency": posting.currency,
        "amount_minor": legrules.total(reversed_legs),
        "reverses_posting_id": posting_id,
        "correlation_id": posting.correlation_id,
        "reason": reason,
        "entry_hash": legrules.entry_hash(reversal_id, posting.currency, reversed_legs),
    }
    book.add_posting(**row)
    entries = [{"account_id": l.account_id, "direction": l.direction, "bucket": "posted", "amount_minor": l.amount_minor} for l in reversed_legs]
    view = views.posting({**row, "created_at": now}, entries)
    book.add_event(PendingEvent("ledger.entry.created", reversal_id, view, now, posting.correlation_id))
    book.add_event(PendingEvent("ledger.entry.reversed", posting_id, {"posting_id": posting_id, "reversal_posting_id": reversal_id, "reason": reason}, now, posting.correlation_id))
    book.flush()
    return {**view, "event": "ledger.entry.created"}


def _reversible_source(session: Session, posting: Posting) -> str:
    """The posting whose posted legs a reversal swaps: itself, or a pending posting's resolution."""
    if posting.kind == "standard":
        return posting.id
    if posting.kind == "pending":
        pending = session.get(PendingPosting, posting.id)
        if pending.status == "posted":
            return pending.resolution_posting_id
        raise ZentraError("invalid_state_transition", f"posting {posting.id} is {pending.status}: only posted money can be reversed; void a pending posting")
    raise ZentraError("invalid_state_transition", f"a {posting.kind} posting cannot be reversed")
