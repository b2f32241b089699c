"""Group commit keeps each request's own semantics while requests share a transaction."""

from __future__ import annotations

import secrets
from dataclasses import dataclass

import pytest

from backend.api.routes.ledger_entries import render_one
from backend.db import transactions
from backend.errors import ZentraError
from backend.ledger.accounts import create_account, get_account
from backend.ledger.commands import parse_posting
from backend.ledger.group_commit import GroupCommitter, PostingRequest
from tests.conftest import TenantKeys, make_tenant


def open_account(runtime, scope, **fields) -> str:
    body = {"customer": "c", "currency": "USD", "account_type": "t", **fields}
    return transactions.write(runtime.db, lambda s: create_account(s, scope, body, runtime.now()))["id"]


def posted(runtime, scope, account_id: str) -> int:
    return transactions.read(runtime.db, lambda s: get_account(s, scope, account_id, runtime.now()))["balances"]["posted"]


def request(runtime, raw_key: str, body: dict, key: str | None = None, render=render_one) -> PostingRequest:
    return PostingRequest(raw_key, "/v1/ledger-entries", key or secrets.token_hex(8), body, [parse_posting(body, runtime.now())], True, render, "req_test")


@dataclass
class Ledger:
    """A fresh tenant with a funding account (`src`) and a customer account (`dst`)."""

    tenant: TenantKeys
    src: str
    dst: str


def open_ledger(runtime, name: str = "Acme") -> Ledger:
    t = make_tenant(runtime, name)
    return Ledger(t, open_account(runtime, t.sandbox, allow_negative=True), open_account(runtime, t.sandbox))


@pytest.fixture
def ledger(runtime) -> Ledger:
    return open_ledger(runtime)


def commit_together(committer: GroupCommitter, *requests: PostingRequest) -> None:
    """Commit `requests` as one group, as the writer thread would after taking them."""
    for r in requests:
        assert r.future.set_running_or_notify_cancel()
    committer._commit(list(requests))


@pytest.fixture
def committer(runtime) -> GroupCommitter:
    return GroupCommitter(runtime.db, runtime.now)


def test_requests_of_two_tenants_and_a_duplicate_share_one_group(runtime, committer):
    ledger_a, ledger_b = open_ledger(runtime, "A"), open_ledger(runtime, "B")
    a, a_src, a_dst = ledger_a.tenant, ledger_a.src, ledger_a.dst
    b, b_src, b_dst = ledger_b.tenant, ledger_b.src, ledger_b.dst
    body_a = {"debit": a_src, "credit": a_dst, "amount_minor": 5}
    group = [
        request(runtime, a.sandbox_key, body_a, key="same"),
        request(runtime, b.sandbox_key, {"debit": b_src, "credit": b_dst, "amount_minor": 7}),
        request(runtime, a.sandbox_key, body_a, key="same"),
        request(runtime, b.sandbox_key, {"debit": a_src, "credit": b_dst, "amount_minor": 1}),
    ]
    commit_together(committer, *group)
    first, other, duplicate, cross = (r.future for r in group)
    assert first.result().status_code == 201 and not first.result().replayed
    assert duplicate.result().body == first.result().body and duplicate.result().replayed
    assert other.result().status_code == 201
    assert cross.result().status_code == 400 and b'"unknown_account"' in cross.result().body
    assert (posted(runtime, a.sandbox, a_dst), posted(runtime, b.sandbox, b_dst)) == (5, 7)


def test_a_request_that_breaks_fails_alone(runtime, committer, ledger):
    t, src, dst = ledger.tenant, ledger.src, ledger.dst

    def broken(_results):
        raise RuntimeError("renderer bug")

    good = request(runtime, t.sandbox_key, {"debit": src, "credit": dst, "amount_minor": 3})
    bad = request(runtime, t.sandbox_key, {"debit": src, "credit": dst, "amount_minor": 4}, render=broken)
    commit_together(committer, good, bad)
    assert good.future.result().status_code == 201
    with pytest.raises(ZentraError) as failure:
        bad.future.result()
    assert failure.value.code == "internal_error"
    assert posted(runtime, t.sandbox, dst) == 3


def test_a_cancelled_request_is_dropped_and_the_writer_keeps_serving(runtime, committer, ledger):
    t, src, dst = ledger.tenant, ledger.src, ledger.dst
    gone = request(runtime, t.sandbox_key, {"debit": src, "credit": dst, "amount_minor": 9})
    assert gone.future.cancel()
    committer.submit(gone)
    after = committer.submit(request(runtime, t.sandbox_key, {"debit": src, "credit": dst, "amount_minor": 2}))
    assert after.result(timeout=30).status_code == 201
    assert posted(runtime, t.sandbox, dst) == 2


def test_two_writers_racing_on_one_key_make_one_posting_and_replay_it(runtime, ledger):
    """Two worker processes each have a writer; the loser of a key race replays, never 500s."""
    import threading

    t, src, dst = ledger.tenant, ledger.src, ledger.dst
    writers = [GroupCommitter(runtime.db, runtime.now), GroupCommitter(runtime.db, runtime.now)]
    pairs = []
    for i in range(20):
        body = {"debit": src, "credit": dst, "amount_minor": 1}
        pairs.append([request(runtime, t.sandbox_key, body, key=f"race-{i}") for _ in writers])
    start = threading.Barrier(2)

    def feed(n: int) -> None:
        start.wait()
        for pair in pairs:
            writers[n].submit(pair[n])

    threads = [threading.Thread(target=feed, args=(n,)) for n in range(2)]
    for th in threads:
        th.start()
    for th in threads:
        th.join()
    for first, second in pairs:
        a, b = first.future.result(timeout=60), second.future.result(timeout=60)
        assert a.status_code == b.status_code == 201 and a.body == b.body and a.replayed != b.replayed
    assert posted(runtime, t.sandbox, dst) == 20


def test_a_malformed_duplicate_in_the_same_group_is_a_reused_key(runtime, committer, ledger):
    t, src, dst = ledger.tenant, ledger.src, ledger.dst
    good = request(runtime, t.sandbox_key, {"debit": src, "credit": dst, "amount_minor": 1}, key="K")
    bad = PostingRequest(t.sandbox_key, "/v1/ledger-entries", "K", {"debit": src, "credit": dst, "amount_minor": "1"}, [], True, render_one, "req", ZentraError("amount_not_integer", "x", "amount_minor"))
    commit_together(committer, good, bad)
    assert good.future.result().status_code == 201
    with pytest.raises(ZentraError) as refused:
        bad.future.result()
    assert refused.value.code == "idempotency_key_reused"


def test_a_pending_posting_that_expired_while_queued_is_refused(runtime, committer, ledger):
    from datetime import timedelta

    t, src, dst = ledger.tenant, ledger.src, ledger.dst
    soon = (runtime.now() + timedelta(milliseconds=50)).isoformat()
    late = request(runtime, t.sandbox_key, {"debit": src, "credit": dst, "amount_minor": 1, "pending": True, "expires_at": soon})
    import time

    time.sleep(0.1)
    commit_together(committer, late)
    with pytest.raises(ZentraError) as refused:
        late.future.result()
    assert (refused.value.code, refused.value.param) == ("validation_error", "expires_at")
