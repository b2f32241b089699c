"""GET /v1/evidence: signed packets for postings and accounts, made through the API and checked
by `zentra verify` offline; the public key; and the same 404 as every read from another scope."""

from __future__ import annotations

import httpx
import orjson

from backend.encoding import canonical
from backend.evidence import contents
from tests.backend.evidence.support import fetch, history, verify
from tests.conftest import Api, make_tenant


def test_posting_packet_holds_the_posting_its_events_and_its_records_and_verifies(api, api_url, tenant, tmp_path, capsys):
    ids = history(api, Api(api_url, tenant.live_key))
    raw = fetch(api, ids["pending"])
    code, out = verify(raw, tmp_path, capsys)
    assert code == 0 and out.startswith(f"valid: posting {ids['pending']}"), out
    packet = orjson.loads(raw)["packet"]
    assert packet["subject"] == {"type": "posting", "id": ids["pending"]}
    assert (packet["tenant"], packet["mode"], packet["version"]) == (tenant.tenant_id, "sandbox", 1)
    assert packet["contents"]["posting"] == api.get(f"/ledger-entries/{ids['pending']}").json()
    events = packet["contents"]["events"]
    assert [e["type"] for e in events["data"]] == ["ledger.entry.created", "ledger.entry.posted"] and not events["truncated"]
    audit = packet["audit"]
    assert [r["action"] for r in audit["records"]] == ["ledger.entry.create", "ledger.entry.post", "access.denied"]
    assert audit["record_seqs"] == [r["seq"] for r in audit["records"]]
    link_seqs = [link["seq"] for link in audit["links"]]
    assert link_seqs == list(range(audit["record_seqs"][0], audit["record_seqs"][-1] + 1))
    assert set(link_seqs) - set(audit["record_seqs"]), "the unrelated posting's record is carried as a link only"
    assert ids["unrelated"] not in raw.decode()
    assert packet["chain_head"]["seq"] >= link_seqs[-1]


def test_account_packet_holds_balances_events_and_postings_and_verifies(api, tmp_path, capsys):
    funding, customer = api.funded_account(10_000)
    merchant = api.account()
    api.post("/ledger-entries", {"debit": customer, "credit": merchant, "amount_minor": 300})
    raw = fetch(api, customer)
    code, out = verify(raw, tmp_path, capsys)
    assert code == 0 and out.startswith(f"valid: account {customer}"), out
    packet = orjson.loads(raw)["packet"]
    assert packet["contents"]["account"] == api.get(f"/accounts/{customer}").json()
    assert [e["type"] for e in packet["contents"]["events"]["data"]] == ["account.created"]
    postings = packet["contents"]["postings"]
    assert (postings["total"], postings["truncated"], len(postings["data"])) == (2, False, 2)
    assert [r["action"] for r in packet["audit"]["records"]] == ["account.create"]


def test_an_account_packet_caps_its_postings_and_says_so(api, tmp_path, capsys, monkeypatch):
    monkeypatch.setattr(contents, "MAX_POSTINGS", 2)
    funding, customer = api.funded_account(10_000)
    merchant = api.account()
    newest = [api.post("/ledger-entries", {"debit": customer, "credit": merchant, "amount_minor": n}).json()["posting_id"] for n in (1, 2)]
    raw = fetch(api, customer)
    postings = orjson.loads(raw)["packet"]["contents"]["postings"]
    assert (postings["total"], postings["truncated"]) == (3, True)
    assert [p["posting_id"] for p in postings["data"]] == newest[::-1]
    assert verify(raw, tmp_path, capsys)[0] == 0


def test_every_kind_of_posting_proves_its_entry_hash(api, tmp_path, capsys):
    """Resolutions hash other legs than the entries they journal; the verifier must agree with each."""
    _, customer = api.funded_account(10_000)
    merchant, fee = api.account(), api.account()
    made = []
    two_leg = {"debit": customer, "credit": merchant, "amount_minor": 100}
    lines = [
        {"account": customer, "direction": "debit", "amount_minor": 90},
        {"account": merchant, "direction": "credit", "amount_minor": 80},
        {"account": fee, "direction": "credit", "amount_minor": 10},
    ]
    standard = api.post("/ledger-entries", two_leg).json()
    made += [standard["posting_id"], api.post("/ledger-entries", {"lines": lines}).json()["posting_id"]]
    made.append(api.post(f"/ledger-entries/{standard['posting_id']}/reverse", {"reason": "refund"}).json()["posting_id"])
    for action, body in (("post", {"amount_minor": 40}), ("post", {}), ("void", {})):
        pending = api.post("/ledger-entries", {**two_leg, "pending": True}).json()["posting_id"]
        made += [pending, api.post(f"/ledger-entries/{pending}/{action}", body).json()["resolution_posting_id"]]
    hold = api.post("/holds", {"account": customer, "amount_minor": 50, "ttl_seconds": 600, "reason": "r", "source_request": "s"}).json()
    api.post(f"/holds/{hold['id']}/release", {"reason": "r", "source_request": "s"})
    released = api.get(f"/ledger-entries/{hold['posting_id']}").json()["resolution_posting_id"]
    made += [hold["posting_id"], released]
    for posting_id in made:
        code, out = verify(fetch(api, posting_id), tmp_path, capsys)
        assert code == 0, (posting_id, out)


def test_an_object_without_audit_records_still_has_a_verifiable_packet(api, tmp_path, capsys):
    """System accounts are opened by the postings that first need them, not by a request."""
    _, customer = api.funded_account(100)
    hold = api.post("/holds", {"account": customer, "amount_minor": 5, "ttl_seconds": 600, "reason": "r", "source_request": "s"}).json()
    entries = api.get(f"/ledger-entries/{hold['posting_id']}").json()["entries"]
    [reserved] = [e["account"] for e in entries if e["account"] != customer]
    raw = fetch(api, reserved)
    audit = orjson.loads(raw)["packet"]["audit"]
    assert (audit["records"], audit["links"]) == ([], [])
    code, out = verify(raw, tmp_path, capsys)
    assert code == 0 and ": 0 audit records, chain head seq" in out, out


def test_the_public_key_is_public_kept_in_the_data_dir_and_pins_the_packets(api, api_url, runtime, tmp_path, capsys):
    response = httpx.get(api_url + "/v1/evidence/public-key")
    assert response.status_code == 200
    published = response.json()
    assert published["alg"] == "ed25519" and published["public_key"].startswith("ed25519:") and len(published["key_id"]) == 16
    key_file = runtime.settings.data_dir / "evidence_signing_key.pem"
    assert key_file.stat().st_mode & 0o777 == 0o600
    raw = fetch(api, api.account())
    assert orjson.loads(raw)["signature"]["public_key"] == published["public_key"]
    code, out = verify(raw, tmp_path, capsys, "--public-key", published["public_key"])
    assert code == 0 and out.endswith(f"signed by key {published['key_id']} (pinned)"), out


def test_the_packet_is_sent_as_its_canonical_json(api):
    raw = fetch(api, api.account())
    assert raw == canonical(orjson.loads(raw))


def test_another_tenant_or_mode_gets_not_found_and_the_attempt_is_in_the_owners_packet(api, api_url, runtime, tenant, tmp_path, capsys):
    _, customer = api.funded_account(100)
    intruders = {"wrong_mode": Api(api_url, tenant.live_key), "wrong_tenant": Api(api_url, make_tenant(runtime, "Other").sandbox_key)}
    for intruder in intruders.values():
        response = intruder.get(f"/evidence/{customer}")
        assert response.status_code == 404 and response.json()["error"]["code"] == "not_found"
    raw = fetch(api, customer)
    records = orjson.loads(raw)["packet"]["audit"]["records"]
    assert [r["policy"].get("reason") for r in records if r["action"] == "access.denied"] == list(intruders)
    assert all(r["scope"] == "GET /v1/evidence/{object_id}" for r in records if r["action"] == "access.denied")
    assert verify(raw, tmp_path, capsys)[0] == 0


def test_unknown_ids_and_kinds_are_not_found_and_a_key_is_required(api, api_url):
    for object_id in ("pst_0000000000000000000000000000", "hold_0000000000000000000000000000", "nothing", "x" * 65):
        response = api.get(f"/evidence/{object_id}")
        assert response.status_code == 404 and response.json()["error"]["code"] == "not_found", object_id
    assert httpx.get(api_url + f"/v1/evidence/{api.account()}").status_code == 401
