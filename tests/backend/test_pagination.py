"""A room's table counts only so far past its page: exact below the cap, a lower bound above it."""

from __future__ import annotations

from sqlalchemy import select

from backend import pagination
from backend.db import transactions
from backend.db.tables import Account
from backend.intents.views import table_page
from tests.backend.intents.support import payment, rails


def test_a_capped_count_is_exact_below_the_cap_and_a_lower_bound_above_it(api, runtime, tenant, monkeypatch):
    for _ in range(5):
        api.account()
    rows = select(Account.id).where(Account.tenant_id == tenant.tenant_id).order_by(Account.id)
    total = len(transactions.read(runtime.db, lambda s: s.execute(rows).all()))

    def counted(offset: int, ahead: int) -> tuple[int, bool]:
        monkeypatch.setattr(pagination, "COUNT_AHEAD", ahead)
        answer = transactions.read(runtime.db, lambda s: s.execute(pagination.capped_count_query(rows, offset)).scalar_one())
        return pagination.capped_total(answer, offset)

    assert counted(0, total) == (total, True)
    assert counted(0, total + 10) == (total, True)
    assert counted(0, total - 1) == (total - 1, False)
    assert counted(2, total - 3) == (total - 1, False)
    assert counted(2, total - 2) == (total, True)


def test_the_rooms_intent_table_says_when_its_total_is_a_lower_bound(api, runtime, tenant, monkeypatch):
    rails_ = rails(api)
    for i in range(4):
        payment(rails_, 1_000 + i)
    assert transactions.read(runtime.db, lambda s: table_page(s, tenant.sandbox, limit=2))["total_exact"] is True
    monkeypatch.setattr(pagination, "COUNT_AHEAD", 2)
    first = transactions.read(runtime.db, lambda s: table_page(s, tenant.sandbox, limit=2))
    assert (first["total"], first["total_exact"], first["has_more"], len(first["data"])) == (2, False, True, 2)
    second = transactions.read(runtime.db, lambda s: table_page(s, tenant.sandbox, limit=2, offset=2))
    assert (second["total"], second["total_exact"], len(second["data"])) == (4, True, 2)
