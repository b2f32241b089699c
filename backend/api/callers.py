"""Who is calling: an API key (a machine, full access to its tenant and mode) or, on the endpoints
a person may use, an operator's session token, whose role must allow the endpoint's permission.

Operator tokens reach the API so that people act under their own name where the contract needs a
person: maker-checker compares who created an intent with who approves it, and an API key is
nobody. An endpoint without a permission takes API keys only.
"""

from __future__ import annotations

from sqlmodel import Session

from backend.operators import audit, tokens
from backend.operators.sessions import verify
from backend.runtime import Runtime
from backend.tenancy.api_keys import KEY_PREFIXES, authenticate
from backend.tenancy.scope import Scope


def caller_scope(session: Session, runtime: Runtime, credential: str, permission: str | None, request_id: str | None) -> Scope:
    """The scope `credential` acts in; an operator refused (bad token, or a role without
    `permission`) raises `audit.Denied`, which callers record with `audit.recorded`."""
    if permission is None or credential.startswith(KEY_PREFIXES):
        return authenticate(session, credential)
    now = runtime.now()
    operator = verify(session, tokens.signing_key(runtime.settings), credential, now, request_id)
    audit.require(operator.scope, permission, None, now, request_id)
    return operator.scope
