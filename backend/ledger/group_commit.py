"""Group commit: concurrent posting requests share one transaction, as TigerBeetle batches them.

A single writer thread per process takes every posting request waiting in its queue, applies them
in order in one transaction (authentication, idempotency lookups and account locks done once for
all), and commits once; each request is then answered. Under load the queue fills while the
previous transaction commits, so a lone request pays one commit and a thousand share one.

Each request keeps its own semantics: a refusal rolls back only its own work (in memory, before
anything is written), idempotency is per request (a duplicate inside the same group replays the
first), and an answer is sent only after the commit that made it durable. If a group's
transaction fails unexpectedly, every request in it is retried alone, so one bad request cannot
fail the others.
"""

from __future__ import annotations

import logging
import queue
import threading
from concurrent.futures import Future
from dataclasses import dataclass, field
from datetime import datetime
from typing import Callable

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlmodel import Session

from backend.audit.denials import cross_scope
from backend.audit.records import AuditEntry, append, for_scope
from backend.db import transactions
from backend.db.bulk import insert_rows
from backend.db.engine import Database
from backend.db.tables import IdempotencyRecord
from backend.errors import ZentraError
from backend.idempotency import keys
from backend.ledger.book import Book
from backend.ledger.commands import PostingCommand
from backend.ledger.expiry import lock_releasing_due
from backend.ledger.postings import post_all
from backend.tenancy.api_keys import authenticate_many
from backend.tenancy.scope import Scope

log = logging.getLogger("zentra.group_commit")

MAX_POSTINGS_PER_GROUP = 2000
Render = Callable[[list], tuple[int, dict]]


@dataclass
class PostingRequest:
    """One HTTP request's postings: `commands` holds parse errors in place for non-atomic batches."""

    raw_key: str
    endpoint: str
    idempotency_key: str
    body: dict
    commands: list[PostingCommand | ZentraError]
    atomic: bool
    render: Render
    request_id: str
    parse_error: ZentraError | None = None
    future: Future = field(default_factory=Future)

    @property
    def size(self) -> int:
        return max(1, len(self.commands))


class GroupCommitter:
    """The writer thread; `submit` from any thread, await the returned future's `keys.Answer`."""

    def __init__(self, db: Database, now: Callable[[], datetime]):
        self.db = db
        self.now = now
        self._queue: queue.SimpleQueue[PostingRequest] = queue.SimpleQueue()
        self._thread = threading.Thread(target=self._run, name="zentra-group-commit", daemon=True)
        self._thread.start()

    def submit(self, request: PostingRequest) -> Future:
        self._queue.put(request)
        return request.future

    def _run(self) -> None:
        while True:
            group = self._next_group()
            try:
                self._commit(group)
            except Exception:  # noqa: BLE001 - the writer must outlive any one group
                log.exception("group commit failed outside its transaction")
                for request in group:
                    if not request.future.done():
                        request.future.set_exception(ZentraError("internal_error", "internal error; quote the request_id to support"))

    def _next_group(self) -> list[PostingRequest]:
        """Block for one request, then take whatever else is waiting, up to the group limit.

        A request whose caller has gone (its future cancelled) is dropped before it runs; one
        that is taken can no longer be cancelled, so its answer always lands.
        """
        group: list[PostingRequest] = []
        size = 0
        while not group or size < MAX_POSTINGS_PER_GROUP:
            try:
                request = self._queue.get() if not group else self._queue.get_nowait()
            except queue.Empty:
                break
            if request.future.set_running_or_notify_cancel():
                group.append(request)
                size += request.size
        return group

    def _commit(self, group: list[PostingRequest], races_left: int = 3) -> None:
        try:
            outcomes = transactions.write(self.db, lambda s: _apply(s, group, self.now()))
        except IntegrityError:
            # Another writer (another worker process) committed one of these keys first:
            # run the requests again, alone, and their lookups will replay its answers.
            if races_left:
                for request in group:
                    self._commit([request], races_left - 1)
                return
            raise
        except Exception as exc:  # noqa: BLE001 - isolate the request that broke the group
            if len(group) > 1:
                for request in group:
                    self._commit([request])
                return
            if not isinstance(exc, ZentraError):
                log.exception("posting request %s failed", group[0].request_id)
                exc = ZentraError("internal_error", "internal error; quote the request_id to support")
            group[0].future.set_exception(exc)
            return
        for request, outcome in zip(group, outcomes):
            if isinstance(outcome, ZentraError):
                request.future.set_exception(outcome)
            else:
                request.future.set_result(outcome)


def _ident(scope: Scope, request: PostingRequest) -> tuple[str, str, str, str]:
    return scope.tenant_id, scope.mode, request.endpoint, request.idempotency_key


def _stored(session: Session, idents: list[tuple[str, str, str, str]]) -> dict[tuple, IdempotencyRecord]:
    if not idents:
        return {}
    rows = session.execute(
        select(IdempotencyRecord).where(
            IdempotencyRecord.key.in_({i[3] for i in idents}), IdempotencyRecord.tenant_id.in_({i[0] for i in idents})
        )
    ).scalars()
    return {(r.tenant_id, r.mode, r.endpoint, r.key): r for r in rows}


def _apply(session: Session, group: list[PostingRequest], now: datetime) -> list[keys.Answer | ZentraError]:
    scopes = authenticate_many(session, {r.raw_key for r in group})
    stored = _stored(session, [_ident(scopes[r.raw_key], r) for r in group if r.raw_key in scopes])
    outcomes: list[keys.Answer | ZentraError | None] = [None] * len(group)
    first_of: dict[tuple, int] = {}
    runnable: list[int] = []
    for i, request in enumerate(group):
        scope = scopes.get(request.raw_key)
        if scope is None:
            outcomes[i] = ZentraError("unauthorized", "invalid or revoked API key")
        elif _ident(scope, request) in stored:
            outcomes[i] = _replayed(lambda: keys.replay(stored[_ident(scope, request)], keys.fingerprint(request.endpoint, request.body)))
        elif _ident(scope, request) in first_of:
            continue  # a duplicate inside this group: answered from the first, below
        elif request.parse_error is not None:
            outcomes[i] = request.parse_error
        else:
            first_of[_ident(scope, request)] = i
            runnable.append(i)
    books = _lock(session, group, scopes, runnable, now)
    records = []
    audit: list[AuditEntry] = []
    for i in runnable:
        request = group[i]
        scope = scopes[request.raw_key]
        outcome = _run_one(books[_book_key(scope)], scope, request, audit)
        outcomes[i] = outcome
        if isinstance(outcome, keys.Answer):
            records.append(_record(scope, request, outcome, now))
    for i, request in enumerate(group):
        if outcomes[i] is None:
            outcomes[i] = _duplicate(group[first_of[_ident(scopes[request.raw_key], request)]], outcomes[first_of[_ident(scopes[request.raw_key], request)]], request)
    for book in books.values():
        book.flush()
    if records:
        insert_rows(session.connection(), IdempotencyRecord.__table__, records)
    append(session, audit)
    return outcomes


def _book_key(scope: Scope) -> tuple[str, str]:
    """Books are per tenant and mode (not per key): one in-memory copy of each account row."""
    return scope.tenant_id, scope.mode


def _lock(session: Session, group: list[PostingRequest], scopes: dict[str, Scope], runnable: list[int], now: datetime) -> dict[tuple[str, str], Book]:
    """One book per tenant and mode, each locking every account its requests name, once, in id order."""
    wanted: dict[tuple[str, str], set[str]] = {}
    for i in runnable:
        request = group[i]
        ids = wanted.setdefault(_book_key(scopes[request.raw_key]), set())
        ids.update(leg.account_id for c in request.commands if isinstance(c, PostingCommand) for leg in c.legs)
    books = {}
    for tenant_id, mode in sorted(wanted):
        book = books[(tenant_id, mode)] = Book(session, Scope(tenant_id, mode), now)
        lock_releasing_due(book, wanted[(tenant_id, mode)])
    return books


def _run_one(book: Book, scope: Scope, request: PostingRequest, audit: list[AuditEntry]) -> keys.Answer | ZentraError:
    """Apply one request's postings; its refusal rolls back only its own in-memory work.

    Each posting made adds its audit record to `audit`, and each refusal that hid another
    scope's account adds the denial's, to be written in the group's transaction.
    """
    mark = book.checkpoint()
    route = f"POST {request.endpoint}"
    try:
        results = post_all(book, request.commands, atomic=request.atomic)
        status_code, payload = request.render(results)
    except ZentraError as err:
        book.rollback_to(mark)
        results = [err]
        if err.code in keys.MALFORMED:
            return err
        status_code, payload = err.status, err.body(request.request_id)
    for result in results:
        if isinstance(result, ZentraError):
            denial = cross_scope(book.session, scope, result, route, request.request_id, book.now)
            audit.extend([denial] if denial else [])
        else:
            audit.append(for_scope(scope, "ledger.entry.create", result["posting_id"], route, book.now, request.request_id))
    return keys.Answer(status_code, keys.encode(payload))


def _record(scope: Scope, request: PostingRequest, answer: keys.Answer, now: datetime) -> dict:
    return {
        "tenant_id": scope.tenant_id,
        "mode": scope.mode,
        "endpoint": request.endpoint,
        "key": request.idempotency_key,
        "request_hash": keys.fingerprint(request.endpoint, request.body),
        "status_code": answer.status_code,
        "body": answer.body.decode(),
        "created_at": now,
    }


def _replayed(replay: Callable[[], keys.Answer]) -> keys.Answer | ZentraError:
    try:
        return replay()
    except ZentraError as err:
        return err


def _duplicate(first: PostingRequest, first_outcome, request: PostingRequest) -> keys.Answer | ZentraError:
    """A second request with the same key in the same group: the first's answer, replayed."""
    if keys.fingerprint(first.endpoint, first.body) != keys.fingerprint(request.endpoint, request.body):
        return ZentraError("idempotency_key_reused", "this idempotency key was used with a different request", "idempotency_key")
    if isinstance(first_outcome, keys.Answer):
        return keys.Answer(first_outcome.status_code, first_outcome.body, replayed=True)
    return first_outcome
