"""Tamper tests: a packet made through the API, changed the ways a forger or an accident would
change it; `zentra verify` must refuse every one and say what broke."""

from __future__ import annotations

import re

import orjson
import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from backend.encoding import canonical
from backend.evidence.signing import public_key_info
from backend.evidence.verification import verify_packet
from tests.backend.evidence.support import fetch, history, resign, rewrite, verify
from tests.conftest import Api

# Every refusal names the part that broke; a flipped byte can land anywhere, so any of these.
NAMED = re.compile(r"JSON|out of order|audit record seq \d+|chain link|audit chain|record_seqs|chain head|digest|signature|public key|key_id|field|posting|contents|version|subject|events")


@pytest.fixture
def packet(api, api_url, tenant) -> tuple[bytes, dict]:
    ids = history(api, Api(api_url, tenant.live_key))
    return fetch(api, ids["pending"]), ids


def records_of(document: dict) -> list[dict]:
    return document["packet"]["audit"]["records"]


def test_the_untouched_packet_verifies(packet, tmp_path, capsys):
    assert verify(packet[0], tmp_path, capsys)[0] == 0


def flips(raw: bytes, step: int = 1, masks: tuple[int, ...] = (0x01, 0x20, 0x80)):
    """Every packet with one byte changed: each `step`-th position, each bit pattern of `masks`
    (a neighbouring character, a letter's case, a byte that is no longer UTF-8)."""
    for position in range(0, len(raw), step):
        for mask in masks:
            flipped = bytearray(raw)
            flipped[position] ^= mask
            yield position, mask, bytes(flipped)


@pytest.mark.parametrize("subject", ["pending", "customer"])
def test_flipping_any_byte_anywhere_fails_and_names_what_broke(packet, api, subject):
    raw = packet[0] if subject == "pending" else fetch(api, packet[1][subject])
    accepted, unnamed = [], []
    for position, mask, flipped in flips(raw):
        verdict = verify_packet(flipped)
        if verdict.ok:
            accepted.append((position, mask))
        elif not NAMED.search(verdict.problem):
            unnamed.append((position, mask, verdict.problem))
    assert accepted == [] and unnamed == []


def test_flipped_bytes_fail_through_the_command(packet, tmp_path, capsys):
    for position, mask, flipped in flips(packet[0], step=13, masks=(0x01,)):
        code, out = verify(flipped, tmp_path, capsys)
        assert code == 1 and out.startswith("INVALID: ") and NAMED.search(out), (position, out)


@pytest.mark.parametrize(
    ("change", "message"),
    [
        (lambda d: records_of(d)[0].update(actor="api_key:someone_else"), r"audit record seq \d+: contents do not match its hash"),
        (lambda d: records_of(d)[1]["policy"].update(decision="denied"), r"audit record seq \d+: contents do not match its hash"),
        (lambda d: records_of(d)[0].update(hash="0" * 64), r"audit record seq \d+: its prev_hash or hash differs"),
        (lambda d: d["packet"]["audit"]["links"][1].update(record_digest="0" * 64), r"audit chain broken: record seq \d+: hash does not match"),
        (lambda d: d["packet"]["contents"]["posting"]["entries"][0].update(amount_minor=4001), r"posting pst_\w+: its entries do not match its entry_hash"),
        (lambda d: d["packet"]["contents"]["posting"].update(description="a different story"), r"packet digest does not match"),
        (lambda d: d["packet"]["contents"]["events"]["data"].pop(), r"contents events: total 2 and truncated False disagree"),
        (lambda d: d["packet"]["chain_head"].update(seq=1), r"chain head seq 1 is behind"),
        (lambda d: d["packet"].update(version=2), r"packet version 2"),
        (lambda d: d["packet"]["subject"].update(type="customer"), r"subject type 'customer' is not one this verifier knows"),
        (lambda d: d.update(digest="f" * 64), r"packet digest does not match its contents"),
        (lambda d: d["signature"].update(value=d["signature"]["value"][:-4] + "AAA="), r"signature (does not verify|is malformed)"),
        (lambda d: d["signature"].update(alg="rsa"), r"signature algorithm 'rsa'"),
        (lambda d: d["signature"].pop("key_id"), r"signature is missing field 'key_id'"),
        (lambda d: records_of(d)[0].pop("scope"), r"audit record seq \d+ is missing field 'scope'"),
        (lambda d: d.update(note="trust me"), r"unexpected field 'note'"),
    ],
)
def test_targeted_changes_fail_naming_what_changed(packet, tmp_path, capsys, change, message):
    code, out = verify(rewrite(packet[0], change), tmp_path, capsys)
    assert code == 1 and re.search(message, out), out


def test_a_record_moved_to_another_subject_is_refused(packet, tmp_path, capsys):
    raw, ids = packet
    moved = rewrite(raw, lambda d: d["packet"]["subject"].update(id=ids["merchant"]))
    code, out = verify(moved, tmp_path, capsys)
    assert code == 1 and f"not the subject '{ids['merchant']}'" in out, out


def test_layout_and_encoding_changes_fail_even_when_the_values_survive(packet, tmp_path, capsys):
    raw = packet[0]
    pretty = orjson.dumps(orjson.loads(raw), option=orjson.OPT_INDENT_2 | orjson.OPT_SORT_KEYS)
    for changed in (pretty, raw + b" ", raw.replace(b'"mode":"sandbox"', b'"mode":"\\u0073andbox"', 1)):
        code, out = verify(changed, tmp_path, capsys)
        assert code == 1 and "not the packet's canonical JSON" in out, out
    assert verify(raw + b"\n", tmp_path, capsys)[0] == 0  # an editor's final newline is not a change
    code, out = verify(raw[:-1], tmp_path, capsys)
    assert code == 1 and "not valid JSON" in out


def test_dropping_a_record_fails_naming_its_seq(packet, tmp_path, capsys):
    document = orjson.loads(packet[0])
    for index, record in enumerate(records_of(document)):
        dropped = rewrite(packet[0], lambda d, i=index: records_of(d).pop(i))
        code, out = verify(dropped, tmp_path, capsys)
        assert code == 1 and f"audit record seq {record['seq']} is missing" in out, out


def test_dropping_a_record_and_its_seq_still_fails(packet, tmp_path, capsys):
    def drop(d: dict) -> None:
        seq = records_of(d).pop(1)["seq"]
        d["packet"]["audit"]["record_seqs"].remove(seq)

    code, out = verify(rewrite(packet[0], drop), tmp_path, capsys)
    assert code == 1 and "packet digest does not match" in out, out


def test_dropping_a_link_fails_naming_the_gap(packet, tmp_path, capsys):
    document = orjson.loads(packet[0])
    links, recorded = document["packet"]["audit"]["links"], set(document["packet"]["audit"]["record_seqs"])
    for index, link in enumerate(links):
        code, out = verify(rewrite(packet[0], lambda d, i=index: d["packet"]["audit"]["links"].pop(i)), tmp_path, capsys)
        if link["seq"] in recorded:
            assert code == 1 and f"audit record seq {link['seq']} has no chain link" in out, out
        else:
            assert code == 1 and f"audit chain broken: record seq {link['seq']} is missing" in out, out


def test_reordering_records_or_links_fails(packet, tmp_path, capsys):
    def swap(items: list, i: int, j: int) -> None:
        items[i], items[j] = items[j], items[i]

    code, out = verify(rewrite(packet[0], lambda d: swap(records_of(d), 0, 1)), tmp_path, capsys)
    assert code == 1 and re.search(r"audit records out of order: seq \d+ comes before seq \d+", out), out
    code, out = verify(rewrite(packet[0], lambda d: swap(d["packet"]["audit"]["links"], 1, 2)), tmp_path, capsys)
    assert code == 1 and re.search(r"audit chain broken: record seq \d+ (is missing|comes after seq \d+)", out), out
    code, out = verify(rewrite(packet[0], lambda d: records_of(d).insert(1, records_of(d)[0])), tmp_path, capsys)
    assert code == 1 and "appears twice" in out, out


def test_a_packet_re_signed_with_another_key_fails_against_the_pinned_key(packet, tmp_path, capsys):
    raw = packet[0]
    real, forger = orjson.loads(raw)["signature"], Ed25519PrivateKey.generate()
    forged = resign(raw, forger, lambda body: body["contents"]["posting"].update(amount_minor=1))
    code, out = verify(forged, tmp_path, capsys)
    assert code == 0 and "not pinned" in out, "unpinned, a self-consistent forgery is only as good as its key: the summary says so"
    code, out = verify(forged, tmp_path, capsys, "--public-key", real["public_key"])
    assert code == 1 and f"signed by key {public_key_info(forger)['key_id']}, expected key {real['key_id']}" in out, out
    code, out = verify(raw, tmp_path, capsys, "--public-key", public_key_info(forger)["public_key"])
    assert code == 1 and f"signed by key {real['key_id']}" in out, out


def test_swapping_the_public_key_but_keeping_the_signature_fails(packet, tmp_path, capsys):
    other = public_key_info(Ed25519PrivateKey.generate())
    swapped = rewrite(packet[0], lambda d: d["signature"].update(public_key=other["public_key"]))
    code, out = verify(swapped, tmp_path, capsys)
    assert code == 1 and "does not match its public key" in out, out
    swapped = rewrite(packet[0], lambda d: d["signature"].update(public_key=other["public_key"], key_id=other["key_id"]))
    code, out = verify(swapped, tmp_path, capsys)
    assert code == 1 and f"signature does not verify: the digest was not signed by key {other['key_id']}" in out, out


def test_a_changed_packet_with_a_fresh_digest_but_the_old_signature_fails(packet, tmp_path, capsys):
    from backend.evidence.signing import packet_digest

    def change(d: dict) -> None:
        d["packet"]["generated_at"] = "2020-01-01T00:00:00.000000Z"
        d["digest"] = packet_digest(d["packet"])

    code, out = verify(rewrite(packet[0], change), tmp_path, capsys)
    assert code == 1 and "signature does not verify" in out, out


def test_rewriting_without_a_change_gives_back_the_same_bytes(packet):
    assert rewrite(packet[0], lambda d: None) == packet[0] == canonical(orjson.loads(packet[0]))
