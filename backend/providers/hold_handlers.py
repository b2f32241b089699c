"""`hold.settled` and `hold.failed`: a provider's word on an authorization, applied through the hold
services (capture, partly if `amount_minor` says so; release), never a second copy of their rules.

The hold's history keeps where each change came from: the reason names the callback type, the
provider and its sequence, and the source request is the callback's receipt id.
"""

from __future__ import annotations

from datetime import datetime

from sqlmodel import Session

from backend.db.tables import Hold
from backend.ledger.holds import capture_hold, release_hold
from backend.providers.handlers import Callback, Handler, register
from backend.tenancy.scope import Scope


def _provenance(callback: Callback) -> dict:
    return {"reason": f"{callback.type} from provider {callback.provider_id} (sequence {callback.sequence})", "source_request": callback.receipt_id}


def settle(session: Session, scope: Scope, callback: Callback, now: datetime) -> dict:
    return capture_hold(session, scope, callback.reference, {**callback.fields, **_provenance(callback)}, now)


def fail(session: Session, scope: Scope, callback: Callback, now: datetime) -> dict:
    return release_hold(session, scope, callback.reference, _provenance(callback), now)


register("hold.settled", Handler(Hold, settle, frozenset({"amount_minor"})))
register("hold.failed", Handler(Hold, fail))
