"""Deferred writes run once, at the outermost commit, in rank order, and die with their savepoint."""

from __future__ import annotations

import pytest
from sqlmodel import Session

from backend.db import commit_tail, transactions


class Boom(Exception):
    pass


def _steps(ran: list) -> tuple[commit_tail.Step, commit_tail.Step]:
    late = commit_tail.Step("late", rank=20, run=lambda s, items: ran.append(("late", items)))
    early = commit_tail.Step("early", rank=10, run=lambda s, items: ran.append(("early", items)))
    return early, late


def test_deferred_writes_run_at_commit_in_rank_order_each_step_once_with_its_items_in_order(runtime):
    ran: list = []
    early, late = _steps(ran)

    def unit(session: Session) -> None:
        commit_tail.defer(session, late, "l1")
        commit_tail.defer(session, early, "e1")
        commit_tail.defer(session, late, "l2")
        assert ran == []  # nothing runs before the commit

    transactions.write(runtime.db, unit)
    assert ran == [("early", ["e1"]), ("late", ["l1", "l2"])]


def test_a_write_deferred_in_a_rolled_back_savepoint_is_dropped_and_one_in_a_released_savepoint_is_kept(runtime):
    ran: list = []
    early, _ = _steps(ran)

    def unit(session: Session) -> list:
        commit_tail.defer(session, early, "outer")
        with session.begin_nested():
            commit_tail.defer(session, early, "released")
        with pytest.raises(Boom):
            with session.begin_nested():
                commit_tail.defer(session, early, "rolled back")
                with session.begin_nested():
                    commit_tail.defer(session, early, "inside the rolled back one")
                raise Boom
        commit_tail.defer(session, early, "after")
        return commit_tail.pending(session, early)

    standing = transactions.write(runtime.db, unit)
    assert standing == ["outer", "released", "after"]
    assert ran == [("early", ["outer", "released", "after"])]


def test_a_rolled_back_transaction_runs_nothing_and_leaves_nothing_for_the_next_one(runtime):
    ran: list = []
    early, _ = _steps(ran)

    def failing(session: Session) -> None:
        commit_tail.defer(session, early, "lost")
        raise Boom

    with pytest.raises(Boom):
        transactions.write(runtime.db, failing)
    transactions.write(runtime.db, lambda s: commit_tail.defer(s, early, "next"))
    assert ran == [("early", ["next"])]


def test_a_savepoint_release_does_not_run_the_tail(runtime):
    ran: list = []
    early, _ = _steps(ran)

    def unit(session: Session) -> None:
        with session.begin_nested():
            commit_tail.defer(session, early, "x")
        assert ran == []

    transactions.write(runtime.db, unit)
    assert ran == [("early", ["x"])]
