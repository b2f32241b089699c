"""What a live push does to one browser session: verify it, keep only its own scope's events,
and refresh the page it is on from the database (pages never trust pushed data for money).

A push verifies the session once (`_operator_for_push`: a database read at most once a second per
session, see state/session.py) and its page refresh reuses that verification."""

from __future__ import annotations

from state.account import AccountState
from state.accounts import AccountsState
from state.events import EventsState
from state.evidence import EvidenceState
from state.finance import FinanceState
from state.home import HomeState
from state.intents import IntentsState
from state.pushed import any_of_type
from state.reconciliation import ReconciliationState
from state.reviews import ExpiringHoldsState, ReviewsState
from state.sandbox import SandboxState
from state.screening import ScreeningState
from state.session import SessionState
from state.webhooks import EndpointState, WebhooksState


class LiveState(SessionState):
    """The session's share of the event stream: a count for the header and the page refresh."""

    live_events: int = 0

    async def absorb(self, events: list[dict]) -> None:
        """Apply events pushed by this worker's feed; a session that no longer verifies, or that
        moved to another tenant or mode, takes none of them."""
        operator = await self._operator_for_push()
        if operator is None:
            return
        mine = [e for e in events if (e.get("tenant"), e.get("mode")) == (operator.tenant_id, operator.mode)]
        if not mine:
            return
        self.live_events += len(mine)
        with self._pushed(operator):
            await self._refresh_page(mine)

    async def _refresh_page(self, events: list[dict]) -> None:
        page = str(self.router.route_id or "")  # the matched route, e.g. `/accounts/[account_id]`
        if page == "/index":  # Reflex's name for the `/` route
            await (await self.get_state(HomeState)).refresh_live(events)
        elif page == "/events":
            (await self.get_state(EventsState)).prepend(events)
        elif page == "/accounts":
            await (await self.get_state(AccountsState))._fetch()
        elif page.startswith("/accounts/"):
            await (await self.get_state(AccountState))._fetch()
        elif page == "/evidence":
            await (await self.get_state(EvidenceState)).refresh_live()
        elif page == "/intents":
            await (await self.get_state(IntentsState)).refresh_live(events)
        elif page == "/reviews":
            await (await self.get_state(ReviewsState)).refresh_live(events)
            await (await self.get_state(ExpiringHoldsState)).refresh_live(events)
        elif page == "/finance":
            await (await self.get_state(FinanceState)).refresh_live(events)
        elif page == "/sandbox":
            await (await self.get_state(SandboxState)).refresh_live(events)
        elif page == "/webhooks":
            await (await self.get_state(WebhooksState))._fetch()
        elif page.startswith("/webhooks/"):
            await (await self.get_state(EndpointState))._fetch()
        elif page == "/screening":
            await (await self.get_state(ScreeningState)).refresh_live(events)
        elif page == "/reconciliation" and any_of_type(events, "reconciliation."):
            await (await self.get_state(ReconciliationState))._fetch()
