"""Screening lists over HTTP: loaded from CSV by compliance, versioned on replacement, and any bad
line refusing the whole file with nothing changed."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor

import pytest
from sqlalchemy import select

from backend.db import transactions
from backend.db.tables import AuditRecord, Event, ScreeningEntry, ScreeningList
from backend.errors import ZentraError
from backend.screening.lists import parse_csv
from tests.backend.screening.support import LIST_CSV, count, load


def test_compliance_loads_a_list_and_reads_it_back_in_file_order(screening_desk, runtime, tenant):
    compliance = screening_desk.person("compliance")
    loaded = load(compliance)
    assert (loaded["name"], loaded["version"], loaded["entry_count"], loaded["source"]) == ("Sanctions", 1, 5, "test fixture")
    assert (loaded["event"], loaded["loaded_by"]) == ("screening.list_loaded", compliance.actor)
    shown = compliance.get(f"/screening/lists/{loaded['id']}").json()
    entries = shown["entries"]["data"]
    assert [e["name"] for e in entries] == ["John Smith", "Ivan Petrova", "Al Rashid, Muhammad", "Volkov Shipping Limited", "José García"]
    assert (entries[0]["aliases"], entries[0]["country"], entries[0]["reference"], entries[0]["line"]) == (["Johnny Smith", "J. Smith"], "GB", "UK-0001", 2)
    assert entries[1]["aliases"] == [] and shown["entries"]["total"] == 5
    events = screening_desk.api.get("/events", params={"limit": 100}).json()["data"]
    assert [e["type"] for e in events if e["object"] == loaded["id"]] == ["screening.list_loaded"]
    [record] = transactions.read(runtime.db, lambda s: s.execute(select(AuditRecord).where(AuditRecord.object_id == loaded["id"])).scalars().all())
    assert (record.action, record.actor, record.role) == ("screening.load_list", compliance.actor, "compliance")


def test_loading_a_name_again_makes_its_next_version_and_keeps_the_old_one(screening_desk):
    compliance = screening_desk.person("compliance")
    first = load(compliance)
    second = load(compliance, "name\nNew Person\n")
    assert (second["version"], second["entry_count"]) == (2, 1)
    other = load(compliance, "name,country\nSomeone Else,FR\n", name="Internal watchlist")
    current = compliance.get("/screening/lists").json()
    assert [(row["name"], row["version"]) for row in current["data"]] == [("Internal watchlist", 1), ("Sanctions", 2)]
    history = compliance.get("/screening/lists", params={"name": "Sanctions"}).json()
    assert [row["id"] for row in history["data"]] == [second["id"], first["id"]]
    assert compliance.get(f"/screening/lists/{first['id']}").json()["entries"]["total"] == 5
    assert other["version"] == 1


BAD_FILES = [
    ("name,aliases\nJohn Smith,\n,Nobody\nIvan Petrova\n", "csv[3]", ["line 3: name is empty", "line 4: 1 fields, the header has 2"]),
    ("name\nOK Person\n" + "x" * 201 + "\n", "csv[3]", ["line 3: name is longer than 200 characters"]),
    ("name\n!!!\n", "csv[2]", ["has no letters or digits"]),
    ("name,aliases\nJohn Smith," + ";".join(f"Alias {i}" for i in range(21)) + "\n", "csv[2]", ["more than 20 aliases"]),
    ("aliases,country\nJohn,GB\n", "csv[1]", ["header"]),
    ("name,nickname\nJohn Smith,Johnny\n", "csv[1]", ["unknown column 'nickname'"]),
    ("name,name\nJohn,Smith\n", "csv[1]", ["appears twice"]),
    ("name,country\n", "csv", ["no entries"]),
    ("", "csv[1]", ["header"]),
    ('name\n"John Smith\n', "csv[2]", ["not valid CSV"]),
    ("name\nJohn\x00Smith\n", "csv", ["NUL"]),
]


@pytest.mark.parametrize(("text", "param", "said"), BAD_FILES)
def test_a_file_with_any_bad_line_is_refused_naming_it_and_nothing_changes(screening_desk, runtime, tenant, text, param, said):
    compliance = screening_desk.person("compliance")
    r = compliance.post("/screening/lists", {"name": "Sanctions", "csv": text})
    assert (r.status_code, r.json()["error"]["code"], r.json()["error"]["param"]) == (400, "validation_error", param), r.text
    for words in said:
        assert words in r.json()["error"]["message"]
    assert count(runtime, ScreeningList, ScreeningList.tenant_id == tenant.tenant_id) == 0
    assert count(runtime, Event, Event.tenant_id == tenant.tenant_id, Event.type == "screening.list_loaded") == 0
    assert count(runtime, AuditRecord, AuditRecord.chain == tenant.tenant_id, AuditRecord.action == "screening.load_list") == 0


def test_a_refused_file_lists_its_first_ten_bad_lines_and_counts_the_rest():
    with pytest.raises(ZentraError) as refused:
        parse_csv("name,country\n" + "".join(f",X{i}\n" for i in range(14)))
    message = refused.value.message
    assert message.startswith("14 bad line(s), nothing was loaded: line 2: name is empty")
    assert "line 11:" in message and "line 12:" not in message and message.endswith("(and 4 more)")


def test_the_csv_format_quoting_order_of_columns_blank_lines_and_repeated_aliases():
    entries = parse_csv('reference,Name,ALIASES\r\nR-1,"Smith, John","J. Smith; J. Smith ;;Johnny"\r\n\r\n,,\r\nR-2,  Ivan   Petrova ,\r\n')
    assert [(e.line, e.name, e.aliases, e.country, e.reference) for e in entries] == [
        (2, "Smith, John", ("J. Smith", "Johnny"), None, "R-1"),
        (5, "Ivan Petrova", (), None, "R-2"),
    ]


@pytest.mark.parametrize("role", ["support", "finance", "viewer"])
def test_only_compliance_and_admins_load_lists_and_an_api_key_never_does(screening_desk, runtime, tenant, role):
    refused = screening_desk.person(role).post("/screening/lists", {"name": "Sanctions", "csv": LIST_CSV})
    assert (refused.status_code, refused.json()["error"]["code"]) == (403, "forbidden")
    by_key = screening_desk.api.post("/screening/lists", {"name": "Sanctions", "csv": LIST_CSV})
    assert (by_key.status_code, by_key.json()["error"]["code"]) == (403, "forbidden")
    assert count(runtime, ScreeningList, ScreeningList.tenant_id == tenant.tenant_id) == 0
    # the operator is refused on the permission before the endpoint runs, the key by the service
    where = (AuditRecord.chain == tenant.tenant_id, AuditRecord.action.in_(["screening.manage", "screening.load_list"]))
    denials = transactions.read(runtime.db, lambda s: s.execute(select(AuditRecord.action, AuditRecord.role, AuditRecord.policy_json).where(*where).order_by(AuditRecord.id)).all())
    assert [(action, who) for action, who, _ in denials] == [("screening.manage", role), ("screening.load_list", "api_key")]
    assert all('"denied"' in policy for _, _, policy in denials)
    assert load(screening_desk.person("admin"))["version"] == 1


def test_support_reads_lists_and_a_viewer_may_not(screening_desk):
    loaded = load(screening_desk.person("compliance"))
    assert screening_desk.person("support").get(f"/screening/lists/{loaded['id']}").status_code == 200
    assert screening_desk.api.get("/screening/lists").json()["total"] == 1
    denied = screening_desk.person("viewer").get("/screening/lists")
    assert (denied.status_code, denied.json()["error"]["code"]) == (403, "forbidden")


def test_concurrent_loads_of_one_list_get_distinct_versions_or_a_clear_refusal(screening_desk, runtime, tenant):
    compliance = screening_desk.person("compliance")
    with ThreadPoolExecutor(4) as pool:
        answers = list(pool.map(lambda i: compliance.post("/screening/lists", {"name": "Sanctions", "csv": f"name\nPerson {i}\n"}), range(4)))
    assert {a.status_code for a in answers} <= {201, 409}
    versions = sorted(a.json()["version"] for a in answers if a.status_code == 201)
    assert versions == list(range(1, len(versions) + 1)) and versions
    assert all(a.json()["error"]["code"] == "invalid_state_transition" for a in answers if a.status_code == 409)
    assert count(runtime, ScreeningEntry, ScreeningEntry.list_id.in_(select(ScreeningList.id).where(ScreeningList.tenant_id == tenant.tenant_id))) == len(versions)
