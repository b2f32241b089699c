"""Accounts: creation, the tenant's system accounts, and reading balances now or `as_of`."""

from __future__ import annotations

import hashlib
import weakref
from datetime import datetime

from sqlalchemy import Engine, func, or_, select
from sqlmodel import Session

from backend.db.conflicts import insert_for
from backend.db.tables import Account, Entry, PendingPosting
from backend.errors import ZentraError
from backend.events.outbox import PendingEvent, record
from backend.ids import new_id
from backend.inputs import choice, optional_bool, reject_unknown, required_str
from backend.ledger import views
from backend.ledger.balances import AccountBalance
from backend.ledger.book import balance_of
from backend.money.currencies import parse_currency
from backend.pagination import page
from backend.tenancy.lookup import get_scoped
from backend.tenancy.scope import Scope

ACCOUNT_FIELDS = {"customer", "currency", "account_type", "normal_balance", "allow_negative"}


def create_account(session: Session, scope: Scope, body: dict, now: datetime) -> dict:
    """Open an account from a request body; answers with the contract's `account.created` shape."""
    reject_unknown(body, ACCOUNT_FIELDS)
    row = Account(
        id=new_id("acct"),
        tenant_id=scope.tenant_id,
        mode=scope.mode,
        customer=required_str(body, "customer"),
        currency=parse_currency(body.get("currency")),
        account_type=required_str(body, "account_type", max_length=64),
        normal_balance=choice(body, "normal_balance", ("credit", "debit"), "credit"),
        allow_negative=optional_bool(body, "allow_negative", False),
        created_at=now,
        debits_posted=0,
        credits_posted=0,
        debits_pending=0,
        credits_pending=0,
    )
    session.add(row)
    session.flush()
    view = views.account(row, balance_of(row))
    record(session, scope, [PendingEvent("account.created", row.id, view, now)])
    return {**view, "event": "account.created", "evidence": {"account_id": row.id}}


# Per database (its engine), the system accounts known to be committed: every intent's money
# steps name three or four of them, and an insert that finds its row each time is wasted.
# Accounts are never deleted, so an id once known stays known as long as the engine.
_committed: weakref.WeakKeyDictionary[Engine, set[str]] = weakref.WeakKeyDictionary()
_INSERTED = "zentra.system_accounts_inserted"  # session.info: ids this session inserted itself


def system_account(session: Session, scope: Scope, role: str, currency: str, now: datetime) -> str:
    """The id of the tenant's `role` account for `currency`, created on first use.

    The id is derived from (tenant, mode, role, currency) so concurrent first uses insert the
    same row and `ON CONFLICT DO NOTHING` keeps exactly one. An insert that finds a row this
    session did not insert itself found a committed one, which is then remembered. Like
    TigerBeetle's operator accounts, these clearing accounts carry no balance limit: money only
    passes through them on the intent runtime's fixed paths, so every intent's steps need not
    queue for their rows (see backend.ledger.book).
    """
    digest = hashlib.sha256(f"{scope.tenant_id}|{scope.mode}|{role}|{currency}".encode()).hexdigest()[:30]
    account_id = f"acct_sys{digest}"
    engine = session.get_bind()
    known = _committed.setdefault(engine, set())
    if account_id in known:
        return account_id
    inserted = session.execute(
        insert_for(session, Account)
        .values(
            id=account_id,
            tenant_id=scope.tenant_id,
            mode=scope.mode,
            customer=f"system:{role}",
            currency=currency,
            account_type=role,
            normal_balance="credit",
            allow_negative=True,
            status="active",
            system_role=role,
            created_at=now,
            debits_posted=0,
            credits_posted=0,
            debits_pending=0,
            credits_pending=0,
        )
        .on_conflict_do_nothing(index_elements=["id"])
        .returning(Account.id)
    ).first() is not None
    mine = session.info.setdefault(_INSERTED, set())
    if inserted:
        mine.add(account_id)
    elif account_id not in mine:
        known.add(account_id)
    return account_id


def get_account_row(session: Session, scope: Scope, account_id: str) -> Account:
    return get_scoped(session, Account, account_id, scope, "account")


def get_account(session: Session, scope: Scope, account_id: str, now: datetime, as_of: datetime | None = None) -> dict:
    """The account with balances now, or at `as_of` (which may not lie in the future)."""
    row = get_account_row(session, scope, account_id)
    if as_of is not None and as_of > now:
        raise ZentraError("validation_error", "as_of cannot be in the future", "as_of")
    at = as_of or now
    balance = balance_at(session, row, as_of) if as_of is not None else balance_of(row)
    view = views.account(row, release_due(session, {row.id: balance}, at)[row.id])
    if as_of is not None:
        view["balances"]["as_of"] = at.isoformat()
    return view


def balance_at(session: Session, row: Account, at: datetime) -> AccountBalance:
    """The four totals as the journal stood at `at`: the sum of entries effective by then."""
    sums = session.execute(
        select(Entry.direction, Entry.bucket, func.coalesce(func.sum(Entry.amount_minor), 0))
        .where(Entry.account_id == row.id, Entry.effective_at <= at)
        .group_by(Entry.direction, Entry.bucket)
    ).all()
    totals = {f"{d}s_{b}": int(s) for d, b, s in sums}
    return AccountBalance(row.id, row.currency, row.normal_balance, row.allow_negative, **totals)


def release_due(session: Session, balances: dict[str, AccountBalance], at: datetime) -> dict[str, AccountBalance]:
    """Balances with pending postings already due at `at` treated as released (not yet swept)."""
    if not balances:
        return balances
    rows = session.execute(
        select(Entry.account_id, Entry.direction, func.sum(Entry.amount_minor))
        .join(PendingPosting, PendingPosting.posting_id == Entry.posting_id)
        .where(
            Entry.account_id.in_(list(balances)),
            Entry.bucket == "pending",
            PendingPosting.status == "pending",
            PendingPosting.expires_at <= at,
        )
        .group_by(Entry.account_id, Entry.direction)
    ).all()
    adjusted = dict(balances)
    for account_id, direction, amount in rows:
        b = adjusted[account_id]
        name = f"{direction}s_pending"
        adjusted[account_id] = AccountBalance(**{**b.__dict__, name: getattr(b, name) - int(amount)})
    return adjusted


def list_accounts(session: Session, scope: Scope, now: datetime, *, search: str | None = None, include_system: bool = True, limit: int = 25, offset: int = 0) -> dict:
    """A page of accounts, newest first, searchable by id, customer, type or currency."""
    where = [Account.tenant_id == scope.tenant_id, Account.mode == scope.mode]
    if not include_system:
        where.append(Account.system_role.is_(None))
    if search:
        pattern = f"%{search.strip().lower()}%"
        where.append(
            or_(
                func.lower(Account.id).like(pattern),
                func.lower(Account.customer).like(pattern),
                func.lower(Account.account_type).like(pattern),
                func.lower(Account.currency).like(pattern),
            )
        )
    total = session.execute(select(func.count()).select_from(Account).where(*where)).scalar_one()
    rows = session.execute(select(Account).where(*where).order_by(Account.created_at.desc(), Account.id.desc()).limit(limit).offset(offset)).scalars().all()
    balances = release_due(session, {r.id: balance_of(r) for r in rows}, now)
    return page([views.account(r, balances[r.id]) for r in rows], total, limit, offset)
