"""`intent.settled`, `intent.failed` and `intent.reversed`: a provider's word on an intent routed to
it, applied through the intent's lifecycle and the ledger's services.

The callback runtime (backend/providers/callbacks.py) has already verified the signature, locked
the intent's row and settled duplicates and order; here only the provider the intent was routed
to is heard. A settlement may arrive before the router recorded the provider's acceptance (the
provider is fast, the router's commit slow): the callback itself proves the routing, so the intent
is marked `routed` by it first. A callback for a state already left is refused as
`invalid_state_transition`, which the runtime records as `stale` without changing anything.
Each handler locks the limited accounts its money step touches, in id order, before the ledger's
services do (see `money.lock_accounts`).
"""

from __future__ import annotations

from datetime import datetime

from sqlmodel import Session

from backend.db.tables import Intent
from backend.errors import ZentraError
from backend.intents import lifecycle, money
from backend.intents.lifecycle import Trace
from backend.providers.handlers import Callback, Handler, register
from backend.reconciliation import settlements
from backend.tenancy.scope import Scope


def _trace(scope: Scope, callback: Callback, now: datetime) -> Trace:
    return Trace(scope, now, callback.receipt_id, f"/v1/providers/{callback.provider_id}/callbacks")


def _routed_intent(session: Session, callback: Callback) -> Intent:
    intent = session.get(Intent, callback.reference)
    if intent.provider_id is not None and intent.provider_id != callback.provider_id:
        raise ZentraError("validation_error", f"intent {intent.intent_id} is routed to provider {intent.provider_id}, not {callback.provider_id}")
    return intent


def _ensure_routed(session: Session, trace: Trace, intent: Intent, provider_id: str) -> None:
    """A callback about a `ledgered` intent proves its provider took it."""
    if intent.status == "ledgered":
        intent.provider_id, intent.next_action_at = provider_id, None
        lifecycle.move(session, trace, intent, "routed", reason=f"confirmed by {provider_id}'s callback", data={"provider_id": provider_id})


def settled(session: Session, scope: Scope, callback: Callback, now: datetime) -> dict:
    """The provider moved the money: capture the hold and settle through to the destination."""
    trace = _trace(scope, callback, now)
    intent = _routed_intent(session, callback)
    money.lock_accounts(session, [intent], settling=True)
    _ensure_routed(session, trace, intent, callback.provider_id)
    lifecycle.move(session, trace, intent, "synchronized", reason=f"{callback.type} (sequence {callback.sequence})", data={"provider_id": callback.provider_id})
    why = f"{callback.type} from provider {callback.provider_id} (sequence {callback.sequence})"
    amount = callback.fields.get("amount_minor", intent.amount_minor)
    created = money.settle(session, scope, intent, amount, why, callback.receipt_id, now)
    settlements.expect(session, intent, callback.provider_id, created[0], amount, now)
    intent.next_action_at = now
    return {"intent_id": intent.intent_id, "status": intent.status, "postings": created}


def failed(session: Session, scope: Scope, callback: Callback, now: datetime) -> dict:
    """The provider could not move the money: release the reservation and end the intent."""
    trace = _trace(scope, callback, now)
    intent = _routed_intent(session, callback)
    money.lock_accounts(session, [intent], settling=False)
    _ensure_routed(session, trace, intent, callback.provider_id)
    reason = str(callback.fields.get("failure_reason") or "failed_at_provider")[:200]
    lifecycle.move(session, trace, intent, "failed", reason=reason, data={"provider_id": callback.provider_id})
    money.release(session, scope, intent, f"{callback.type} from provider {callback.provider_id}: {reason}", callback.receipt_id, now)
    intent.failure_code, intent.failure_message, intent.next_action_at = "provider_failed", reason, None
    return {"intent_id": intent.intent_id, "status": intent.status}


def reversed_(session: Session, scope: Scope, callback: Callback, now: datetime) -> dict:
    """The provider took the money back (a refund or chargeback): swap every settled posting."""
    trace = _trace(scope, callback, now)
    intent = _routed_intent(session, callback)
    money.lock_accounts(session, [intent], settling=True)
    reason = str(callback.fields.get("reason") or "reversed_by_provider")[:200]
    lifecycle.move(session, trace, intent, "reversed", reason=reason, data={"provider_id": callback.provider_id})
    created = money.reverse(session, scope, intent, f"{callback.type} from provider {callback.provider_id}: {reason}", now)
    intent.next_action_at = None
    return {"intent_id": intent.intent_id, "status": intent.status, "postings": created}


register("intent.settled", Handler(Intent, settled, frozenset({"amount_minor"})))
register("intent.failed", Handler(Intent, failed, frozenset({"failure_reason"})))
register("intent.reversed", Handler(Intent, reversed_, frozenset({"reason"})))
