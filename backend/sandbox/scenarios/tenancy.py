"""`cross-tenant-probe`: the demo tenant's key reaches for a neighbouring tenant's account and
hold by id. Every probe must answer `404 not_found`, change nothing, and leave an
`access.denied` record in the owner's audit chain."""

from __future__ import annotations

from backend.sandbox.scenarios.rehearsal import Rehearsal, until
from backend.sandbox.scenarios.verdict import Verdict

FUNDS, HELD = 30_000, 5_000


def cross_tenant_probe(r: Rehearsal, v: Verdict) -> None:
    owner = r.client(r.cast.neighbour_sandbox_api_key)
    account = r.funded_customer("USD", FUNDS, owner)
    hold = owner.ok(owner.post("/holds", {"account": account, "amount_minor": HELD, "ttl_seconds": 3600, "reason": "probe target", "source_request": "sandbox_rehearsal"}))
    before = owner.ok(owner.get(f"/accounts/{account}"))["balances"]
    probes = {
        f"GET /v1/accounts/{account}": lambda: r.api.get(f"/accounts/{account}"),
        f"GET /v1/holds/{hold['id']}": lambda: r.api.get(f"/holds/{hold['id']}"),
        f"POST /v1/holds/{hold['id']}/release": lambda: r.api.post(f"/holds/{hold['id']}/release", {"reason": "probe", "source_request": "probe"}),
        f"POST /v1/holds/{hold['id']}/capture": lambda: r.api.post(f"/holds/{hold['id']}/capture", {"amount_minor": HELD, "reason": "probe", "source_request": "probe"}),
        f"GET /v1/evidence/{account}": lambda: r.api.get(f"/evidence/{account}"),
    }
    answers = {name: probe() for name, probe in probes.items()}
    refused = {name: (a.status_code, a.json().get("error", {}).get("code")) for name, a in answers.items()}
    v.check("every probe answered 404 not_found", all(answer == (404, "not_found") for answer in refused.values()), f"{refused}")
    after = owner.ok(owner.get(f"/accounts/{account}"))["balances"]
    held = owner.ok(owner.get(f"/holds/{hold['id']}"))["status"]
    v.check("nothing changed", after == before and held == "active", f"neighbour balances {after} (before {before}), hold {held}")
    denied = until(lambda: _denials(owner, (account, hold["id"])), lambda found: len(found) >= len(probes), 15)
    v.check("denials in the owner's audit chain", len(denied) >= len(probes), f"{len(denied)} access.denied records for {len(probes)} probes")
    v.evidence.update({"neighbour_account": account, "neighbour_hold": hold["id"]})


def _denials(owner, object_ids: tuple[str, ...]) -> list[dict]:
    found = []
    for object_id in object_ids:
        found += owner.ok(owner.get("/audit", action="access.denied", object=object_id, limit=100))["data"]
    return found
