"""The live push on one browser session, with Reflex's real state tree and pusher but no server,
database or browser: each push verifies the session at most once (reusing a push's verification
for at most `PUSH_RECHECK_SECONDS`), a session that ended stops receiving data within that bound
(at once when it signs out here), and the event timeline prepends without duplicates."""

from __future__ import annotations

import asyncio
from concurrent.futures import ThreadPoolExecutor
from contextlib import asynccontextmanager
from datetime import datetime, timezone
from types import SimpleNamespace

import pytest
import reflex as rx
from reflex.istate.data import RouterData, SessionData

from backend.errors import ZentraError
from backend.operators import sessions
from backend.operators.sessions import OperatorScope
from state import session as session_module
from state import watchers
from state.display import PAGE_SIZE
from state.events import EventsState
from state.live import LiveState
from state.reconciliation import ReconciliationState
from state.session import SessionState
from zentra_ui import live_push

NOW = datetime(2026, 11, 21, 10, 0, tzinfo=timezone.utc)
OPERATOR = OperatorScope("opr_1", "ada@zentra.test", "Ada", "ten_1", "Acme", "sandbox", "support", "ses_1", int(NOW.timestamp()) - 60, int(NOW.timestamp()) + 3600)


def _run(coro):
    """Run `coro` on a loop of its own thread: Playwright's sync API keeps a loop running in this
    process once a browser test ran."""
    with ThreadPoolExecutor(1) as pool:
        return pool.submit(asyncio.run, coro).result()


class Verifier:
    """`sessions.current` as the session state calls it: counts the database reads; `ended` makes
    it refuse as the server does for a session signed out, expired or demoted elsewhere."""

    def __init__(self):
        self.reads, self.ended = 0, False

    async def call(self, fn, token: str, *args):
        assert fn is sessions.current and token == "tok_1"
        self.reads += 1
        if self.ended:
            raise ZentraError("unauthorized", "The session is over.")
        return OPERATOR


@pytest.fixture
def verifier(monkeypatch) -> Verifier:
    verifier = Verifier()
    monkeypatch.setattr(session_module, "call", verifier.call)
    monkeypatch.setattr(session_module, "current", lambda: SimpleNamespace(now=lambda: NOW))
    return verifier


@pytest.fixture
def clock(monkeypatch) -> list[float]:
    now = [1_000.0]
    monkeypatch.setattr(watchers, "_clock", lambda: now[0])
    return now


@pytest.fixture
def root(monkeypatch):
    """One signed-in session's whole state tree, on /events, its client watching ten_1 sandbox."""
    # Reading the deprecated `RouterData.page` fails the test.
    monkeypatch.setattr(RouterData, "page", property(lambda _: pytest.fail("RouterData.page is deprecated: use route_id")))
    state = rx.State(_reflex_internal_init=True)
    state.router = RouterData(session=SessionData(client_token="client_1"), route_id="/events")
    _in(state, SessionState)._token = "tok_1"
    watchers.watch("client_1", "ten_1", "sandbox")
    yield state
    watchers.forget("client_1")


def _in(root, cls):
    return root.get_substate(cls.get_full_name().split("."))


def _event(n: int, tenant: str = "ten_1") -> dict:
    return {"id": f"evt_{n:04d}", "type": "account.created", "object": f"acc_{n}", "occurred_at": "2026-11-21T09:59:00Z", "data": {"n": n}, "tenant": tenant, "mode": "sandbox"}


def _absorb(root, events: list[dict]) -> None:
    _run(_in(root, LiveState).absorb(events))


def _shown(root) -> list[str]:
    return [row["id"] for row in _in(root, EventsState).rows]


def test_pushes_within_a_second_verify_the_session_once(root, verifier, clock):
    _absorb(root, [_event(1)])
    clock[0] += 0.5
    _absorb(root, [_event(2)])
    clock[0] += 0.49
    _absorb(root, [_event(3), _event(4, tenant="ten_other")])
    assert verifier.reads == 1
    assert _shown(root) == ["evt_0003", "evt_0002", "evt_0001"]  # another tenant's event is never shown
    assert _in(root, LiveState).live_events == 3
    clock[0] += watchers.PUSH_RECHECK_SECONDS
    _absorb(root, [_event(5)])
    assert verifier.reads == 2


def test_the_page_refresh_of_a_push_reuses_its_verification_and_an_event_of_the_page_does_not(root, verifier, clock, monkeypatch):
    allowed = []

    async def refresh(self, events):
        allowed.append(await self._allowed("intents.view"))

    monkeypatch.setattr(LiveState, "_refresh_page", refresh)
    _absorb(root, [_event(1)])
    assert verifier.reads == 1 and allowed == [(OPERATOR, None)]
    _run(_in(root, SessionState)._operator())  # the operator's own events always read the session
    assert verifier.reads == 2


def test_a_session_ended_elsewhere_gets_no_data_after_the_bound(root, verifier, clock):
    _absorb(root, [_event(1)])
    verifier.ended = True  # signed out in another tab, or demoted by an admin
    clock[0] += watchers.PUSH_RECHECK_SECONDS
    _absorb(root, [_event(2)])
    assert _shown(root) == ["evt_0001"]
    assert _in(root, LiveState).live_events == 1
    assert _in(root, SessionState).tenant_id == ""  # the page is signed out
    assert "client_1" not in watchers.watchers_of("ten_1", "sandbox")  # and the feed stops pushing to it
    clock[0] += 0.1
    _absorb(root, [_event(3)])
    assert _shown(root) == ["evt_0001"] and verifier.reads == 2


def test_signing_out_here_stops_the_pushes_at_once(root, verifier, clock, monkeypatch):
    monkeypatch.setattr(session_module, "call", _signed_out(verifier))
    _absorb(root, [_event(1)])
    _run(SessionState.sign_out.fn(_in(root, SessionState)))
    clock[0] += 0.1  # well inside the bound
    _absorb(root, [_event(2)])
    assert _shown(root) == ["evt_0001"]
    assert "client_1" not in watchers.watchers_of("ten_1", "sandbox")


def _signed_out(verifier: Verifier):
    """`call` for a session that verifies, then signs out (`sessions.sign_out` succeeds)."""

    async def call(fn, token, *args):
        return None if fn is sessions.sign_out else await verifier.call(fn, token, *args)

    return call


def test_an_expired_session_is_verified_again_inside_the_bound(root, verifier, clock, monkeypatch):
    _absorb(root, [_event(1)])
    later = datetime.fromtimestamp(OPERATOR.expires_at, timezone.utc)
    monkeypatch.setattr(session_module, "current", lambda: SimpleNamespace(now=lambda: later))
    verifier.ended = True
    clock[0] += 0.1
    _absorb(root, [_event(2)])
    assert verifier.reads == 2 and _shown(root) == ["evt_0001"]


def test_the_timeline_prepends_newest_first_without_duplicates_and_keeps_one_page(root, verifier, clock):
    _absorb(root, [_event(n) for n in range(1, 4)])
    _absorb(root, [_event(2), _event(4), _event(4), _event(5)])  # a redelivery, and a repeat in the burst
    assert _shown(root) == ["evt_0005", "evt_0004", "evt_0003", "evt_0002", "evt_0001"]
    _absorb(root, [_event(n) for n in range(6, 6 + 2 * PAGE_SIZE)])
    shown = _shown(root)
    assert len(shown) == PAGE_SIZE and shown[0] == f"evt_{5 + 2 * PAGE_SIZE:04d}" and len(set(shown)) == PAGE_SIZE
    events = _in(root, EventsState)
    assert events.has_more and events.live_count == 3 + 4 + 2 * PAGE_SIZE


def test_a_later_page_only_counts_what_arrived(root, verifier, clock):
    events = _in(root, EventsState)
    events.page_number = 2
    _absorb(root, [_event(1)])
    assert (_shown(root), events.live_count) == ([], 1)


def test_the_reconciliation_room_reads_again_on_its_own_events_only(root, verifier, clock, monkeypatch):
    reads = []

    async def fetch(self):
        reads.append(self.router.route_id)

    monkeypatch.setattr(ReconciliationState, "_fetch", fetch)
    root.router = RouterData(session=SessionData(client_token="client_1"), route_id="/reconciliation")
    _absorb(root, [_event(1)])
    assert reads == []  # an account event moves nothing in the room
    _absorb(root, [{**_event(2), "type": "reconciliation.exception_updated"}])
    assert reads == ["/reconciliation"]


class App:
    """What the pusher uses of `rx.App`: connected clients and `modify_state`, on one tree."""

    def __init__(self, root):
        self.root = root
        self.event_namespace = SimpleNamespace(token_to_sid={"client_1": "sid_1"})

    @asynccontextmanager
    async def modify_state(self, token):
        assert token.ident == "client_1"
        yield self.root


def test_the_pusher_stops_offering_to_a_session_that_ended(root, verifier, clock, monkeypatch):
    monkeypatch.setattr(live_push, "MIN_GAP", 0)
    pusher = live_push.Pusher(App(root))

    async def stream(batches):
        for batch in batches:
            for event in batch:
                pusher.offer(event)
            while pusher.tasks:
                await asyncio.gather(*pusher.tasks.values())
            clock[0] += watchers.PUSH_RECHECK_SECONDS
            verifier.ended = True  # ended after the first push

    _run(stream([[_event(1), _event(2)], [_event(3)], [_event(4)]]))
    assert _shown(root) == ["evt_0002", "evt_0001"]
    assert verifier.reads == 2  # the second push found the session over; nothing was offered after
