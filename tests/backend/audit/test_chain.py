"""The chain's hashing: each link commits to its body and to every link before it."""

from __future__ import annotations

from backend.audit.chain import GENESIS, Link, first_break, link_hash, record_digest


def _body(seq: int, action: str = "account.create") -> dict:
    return {
        "tenant": "ten_1", "mode": "sandbox", "actor": "api_key:key_1", "role": "api_key", "action": action,
        "object": f"acct_{seq}", "scope": "POST /v1/accounts", "policy": {}, "detail": {}, "request_id": "req_1",
        "occurred_at": "2026-11-21T00:00:00.000000Z",
    }


def _chain(n: int) -> list[Link]:
    links, prev = [], GENESIS
    for seq in range(1, n + 1):
        digest = record_digest(_body(seq))
        links.append(Link(seq, digest, prev, link_hash(seq, prev, digest)))
        prev = links[-1].hash
    return links


def test_an_intact_chain_has_no_break():
    assert first_break(_chain(5)) is None
    assert first_break(_chain(5)[2:], start_hash=_chain(5)[1].hash) is None


def test_a_changed_body_changes_the_digest():
    assert record_digest(_body(1)) != record_digest(_body(1, action="account.delete"))


def test_a_body_missing_a_field_cannot_be_digested():
    body = _body(1)
    del body["policy"]
    try:
        record_digest(body)
    except KeyError as missing:
        assert "policy" in str(missing)
    else:
        raise AssertionError("a body without every field must not hash")


def test_each_kind_of_break_is_named():
    links = _chain(4)
    edited = Link(2, record_digest(_body(2, "hold.capture")), links[1].prev_hash, links[1].hash)
    assert "seq 2: hash does not match" in first_break([links[0], edited, *links[2:]]).reason
    assert first_break([links[0], links[2], links[3]]).seq == 2
    assert "seq 2 is missing" in first_break([links[0], links[2], links[1], links[3]]).reason
    assert "out of order" in first_break([links[0], links[1], links[2], links[1]]).reason
    relinked = Link(3, links[2].record_digest, GENESIS, link_hash(3, GENESIS, links[2].record_digest))
    assert "seq 3: prev_hash" in first_break([links[0], links[1], relinked]).reason
    assert "seq 1: prev_hash" in first_break(_chain(2), start_hash="f" * 64).reason
