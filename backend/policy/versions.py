"""A tenant's policy versions, per mode: published whole, numbered 1, 2, 3…, never edited.

Before a tenant publishes anything its policy is version 0, the built-in `DEFAULT_RULES`. Each
version stores the complete normalised document (keys left out of the published body are filled
from the defaults), so a decision's version number alone says exactly which rules judged it.
"""

from __future__ import annotations

from datetime import datetime

import orjson
from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError
from sqlmodel import Session

from backend.clock import to_iso
from backend.db.tables import PolicyVersion
from backend.errors import ZentraError
from backend.events.outbox import PendingEvent, record
from backend.ids import new_id
from backend.inputs import optional_str, reject_unknown, whole_number
from backend.pagination import page
from backend.policy.rules import DEFAULT_RULES, PolicyRules, parse_rules
from backend.tenancy.scope import Scope

BUILT_IN_BY = "zentra"
BUILT_IN_NOTE = "Zentra's built-in policy; publish a version to replace it"


def _scoped(scope: Scope) -> tuple:
    return PolicyVersion.tenant_id == scope.tenant_id, PolicyVersion.mode == scope.mode


def _latest(session: Session, scope: Scope) -> PolicyVersion | None:
    query = select(PolicyVersion).where(*_scoped(scope)).order_by(PolicyVersion.version.desc()).limit(1)
    return session.execute(query).scalar_one_or_none()


def _rules(row: PolicyVersion) -> PolicyRules:
    return parse_rules(orjson.loads(row.rules_json))


def current_policy(session: Session, scope: Scope) -> tuple[int, PolicyRules]:
    """The version intents are judged by now, and its rules: the latest, or (0, the defaults)."""
    row = _latest(session, scope)
    return (0, DEFAULT_RULES) if row is None else (row.version, _rules(row))


def view(row: PolicyVersion) -> dict:
    return {
        "id": row.id,
        "object": "policy",
        "mode": row.mode,
        "version": row.version,
        "rules": orjson.loads(row.rules_json),
        "note": row.note,
        "created_by": row.created_by,
        "created_at": to_iso(row.created_at),
    }


def _built_in(scope: Scope) -> dict:
    return {"id": None, "object": "policy", "mode": scope.mode, "version": 0, "rules": DEFAULT_RULES.to_dict(), "note": BUILT_IN_NOTE, "created_by": BUILT_IN_BY, "created_at": None}


def _expected_version(body: dict, next_version: int) -> None:
    """An optional `version` is the number the caller means to publish: if someone else published
    it first, their rules are not silently replaced by an edit of the older ones."""
    wanted = body.get("version")
    if wanted is None:
        return
    if whole_number(wanted, "version", low=1) != next_version:
        raise ZentraError("invalid_state_transition", f"the next version is {next_version}, not {wanted}: the policy changed since it was read; reload it", "version")


def publish_policy(session: Session, scope: Scope, body: dict, now: datetime) -> dict:
    """Publish `body["rules"]` as the scope's next version (optional `note`, optional `version`
    to publish only if it is still the next one), with its `policy.updated` event."""
    reject_unknown(body, {"rules", "note", "version"})
    if "rules" not in body:
        raise ZentraError("validation_error", "rules is required", "rules")
    rules = parse_rules(body["rules"])
    note = optional_str(body, "note", max_length=500)
    latest = _latest(session, scope)
    version = 1 if latest is None else latest.version + 1
    _expected_version(body, version)
    row = PolicyVersion(id=new_id("pol"), tenant_id=scope.tenant_id, mode=scope.mode, version=version, rules_json=orjson.dumps(rules.to_dict()).decode(), note=note, created_by=scope.actor, created_at=now)
    try:
        with session.begin_nested():
            session.add(row)
            session.flush()
    except IntegrityError:
        raise ZentraError("invalid_state_transition", f"version {version} was published at the same moment; reload the policy", "version") from None
    shown = view(row)
    record(session, scope, [PendingEvent("policy.updated", row.id, shown, now)])
    return {**shown, "event": "policy.updated"}


def get_policy(session: Session, scope: Scope, version: int | None = None) -> dict:
    """The current version, or the given one (0: the built-in defaults)."""
    if version == 0:
        return _built_in(scope)
    if version is None:
        row = _latest(session, scope)
        return _built_in(scope) if row is None else view(row)
    row = session.execute(select(PolicyVersion).where(*_scoped(scope), PolicyVersion.version == version)).scalar_one_or_none()
    if row is None:
        raise ZentraError("not_found", f"no policy version {version} in this tenant and mode", "version")
    return view(row)


def list_versions(session: Session, scope: Scope, limit: int, offset: int) -> dict:
    """Published versions, newest first (version 0, the defaults, is not a published version)."""
    total = session.execute(select(func.count()).select_from(PolicyVersion).where(*_scoped(scope))).scalar_one()
    rows = session.execute(select(PolicyVersion).where(*_scoped(scope)).order_by(PolicyVersion.version.desc()).limit(limit).offset(offset)).scalars().all()
    return page([view(r) for r in rows], total, limit, offset)
