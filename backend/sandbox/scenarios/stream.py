"""`nats-outage`: the instance's event relay loses NATS for a while. Intents keep being accepted
and move money (the outbox holds their events), stall before evidence (evidence waits for
publication), and all reach `evidenced` once NATS is back: nothing lost, nothing twice."""

from __future__ import annotations

from backend.sandbox.scenarios.rehearsal import Rehearsal, until
from backend.sandbox.scenarios.steps import AMOUNT, pay
from backend.sandbox.scenarios.verdict import Verdict

OUTAGE_SECONDS = 8
INTENTS = 3
WAIT_SECONDS = 90


def nats_outage(r: Rehearsal, v: Verdict) -> None:
    r.route("XN-XO", r.provider("Rehearsal provider"))
    cut = r.api.http.post(f"{r.base_url}/sandbox/faults/nats-partition", json={"seconds": OUTAGE_SECONDS})
    if not v.check("relay cut off from NATS", cut.status_code == 200, f"{cut.status_code} {cut.text[:200]}"):
        return
    made = [pay(r, "XN-XO") for _ in range(INTENTS)]
    ids = [created["intent_id"] for created, _ in made]
    v.evidence["intent_ids"] = ids
    during = [r.intent(i)["status"] for i in ids]
    v.check("accepted during the outage, not yet evidenced", all(s not in ("evidenced", "failed") for s in during), f"statuses while cut off: {during}")
    final = until(lambda: [r.intent(i)["status"] for i in ids], lambda statuses: all(s == "evidenced" for s in statuses), WAIT_SECONDS)
    v.check("all evidenced after NATS is back", all(s == "evidenced" for s in final), f"statuses: {final}")
    posted = [r.balances(merchant)["posted"] for _, merchant in made]
    v.check("one ledger effect each", posted == [AMOUNT] * INTENTS, f"merchants posted {posted}")
    verified = [r.verified_packet(i)[0] for i in ids]
    v.check("evidence verifies offline", all(verified), f"{sum(verified)} of {INTENTS} packets verify")
