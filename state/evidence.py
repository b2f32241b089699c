"""The evidence room: the tenant's audit rail (filtered, keyset-paged, refreshed live), the chain's
verification status, and evidence packet export with its verification verdict.

Only roles that may `audit.view` open the room; exporting a packet is the recorded
`evidence.export` action. Each page of the rail is 25 records rendered to small string dicts.
"""

from __future__ import annotations

import asyncio

import orjson
import reflex as rx

from backend.audit.queries import AuditFilter, chain_status, records_page
from backend.audit.sealer import seal
from backend.errors import ZentraError
from backend.evidence.packets import build_packet, packet_bytes
from backend.evidence.signing import public_key_info, signing_key
from backend.evidence.verification import verify_packet
from backend.inputs import timestamp
from backend.operators import actions
from backend.runtime import current
from state.display import PAGE_SIZE, UTC, stamp, when
from state.keyset import KeysetPages
from state.session import HOME_ROUTE, SessionState, call, read


def record_row(record: dict, zone: str = UTC) -> dict[str, str]:
    """One audit record as the rail shows it: who, as what, did what to which object, where, why
    (its time in the operator's `zone`)."""
    policy = record.get("policy") or {}
    return {
        "seq": str(record["seq"]),
        **stamp("occurred_at", record["occurred_at"], zone),
        "actor": record["actor"],
        "role": record["role"],
        "action": record["action"],
        "object": record["object"] or "",
        "tenant": record["tenant"] or "",
        "mode": record["mode"] or "",
        "scope": record["scope"],
        "decision": str(policy.get("decision", "")),
        "policy": orjson.dumps(policy).decode() if policy else "",
        "request_id": record["request_id"] or "",
        "hash": record["hash"][:16],
        "denied": "yes" if policy.get("decision") == "denied" else "",
    }


class EvidenceState(KeysetPages, SessionState):
    records: list[dict[str, str]] = []
    loaded: bool = False
    live: bool = True
    filter_actor: str = ""
    filter_object: str = ""
    filter_action: str = ""
    filter_since: str = ""
    filter_until: str = ""
    filter_error: str = ""

    chain_state: str = ""
    sealed_seq: int = 0
    verified_seq: int = 0
    verified_at: str = ""
    broken_reason: str = ""

    export_id: str = ""
    export_error: str = ""
    export_verdict: str = ""
    export_summary: str = ""

    @rx.var(cache=True)
    def range_label(self) -> str:
        return f"page {self.page_number}" if self.records else ""

    def _filter(self) -> AuditFilter | None:
        """The typed filter, or None (with `filter_error` set) when a time does not parse."""
        try:
            since = timestamp(self.filter_since.strip(), "since") if self.filter_since.strip() else None
            until = timestamp(self.filter_until.strip(), "until") if self.filter_until.strip() else None
        except ZentraError as err:
            self.filter_error = f"{err.param}: use an ISO 8601 time such as 2026-11-21T09:00:00Z"
            return None
        self.filter_error = ""
        return AuditFilter(actor=_text(self.filter_actor), object_id=_text(self.filter_object), action=_text(self.filter_action), since=since, until=until)

    async def _fetch(self):
        operator = await self._operator()
        if operator is None:
            return self._to_signin()
        if not operator.can("audit.view"):
            return rx.redirect(HOME_ROUTE)
        wanted = self._filter()
        if wanted is None:
            return
        db, tenant_id, mode, before = current().db, operator.tenant_id, operator.mode, self._cursor()
        await asyncio.to_thread(seal, db, tenant_id)
        page, status = await read(lambda s: (records_page(s, tenant_id, mode, wanted, before=before, limit=PAGE_SIZE), chain_status(s, tenant_id)))
        self.records = [record_row(r, self.time_zone) for r in page["data"]]
        self._took(page)
        self.chain_state = status["status"]
        self.sealed_seq, self.verified_seq = status["sealed_seq"], status["verified_seq"]
        self.verified_at = when(status["verified_at"], self.time_zone)
        self.broken_reason = status["broken_reason"] or ""
        self.loaded = True

    @rx.event
    async def load(self):
        self._first_page()
        wanted = str(self.router.url.query_parameters.get("id", "") or "").strip()[:64]
        if wanted:  # `/evidence?id=intent_…` (the intents room's link) fills the export box
            self.export_id = wanted
        return await self._fetch()

    @rx.event
    async def tick(self, _moment: str = ""):
        """The live rail's clock: chain status and the first page refresh every few seconds."""
        return await self.refresh_live()

    async def refresh_live(self):
        """The first page follows new records while `live` is on; later pages stay put."""
        if self.live and self.page_number == 1 and self.tenant_id:
            return await self._fetch()

    @rx.event
    def set_live(self, value: bool):
        self.live = bool(value)

    @rx.event
    async def apply_filters(self, form_data: dict):
        for name in ("actor", "object", "action", "since", "until"):
            setattr(self, f"filter_{name}", str(form_data.get(name, "") or "")[:80])
        return await self.load()

    @rx.event
    async def clear_filters(self):
        self.filter_actor = self.filter_object = self.filter_action = self.filter_since = self.filter_until = ""
        return await self.load()

    @rx.event
    def set_export_id(self, value: str):
        self.export_id = value.strip()[:64]

    @rx.event
    async def export_for(self, object_id: str):
        self.export_id = object_id
        return await self.export()

    @rx.event
    async def export(self):
        """Build, sign and download the packet, and show the verdict of verifying it against
        this server's published key, exactly as `zentra verify --public-key` would."""
        self.export_error = self.export_verdict = self.export_summary = ""
        object_id = self.export_id
        if not object_id:
            self.export_error = "Enter an account or posting id."
            return
        try:
            operator = await call(actions.check, self._token, "evidence.export", object_id=object_id)
            raw = await asyncio.to_thread(_signed_packet, operator.scope, object_id)
        except ZentraError as err:
            if err.code == "unauthorized":
                return self._session_over()
            self.export_error = "No such account or posting in this tenant and mode." if err.code == "not_found" else err.message
            return
        verdict = await asyncio.to_thread(verify_packet, raw, public_key_info(signing_key(current().settings))["public_key"])
        self.export_verdict = "verified" if verdict.ok else "invalid"
        self.export_summary = verdict.summary if verdict.ok else verdict.problem
        return rx.download(data=raw, filename=f"evidence-{object_id}.json", mime_type="application/json")


def _text(value: str) -> str | None:
    return value.strip()[:80] or None


def _signed_packet(scope, object_id: str) -> bytes:
    runtime = current()
    return packet_bytes(build_packet(runtime.db, scope, object_id, runtime.now(), runtime.settings))
