"""Global search: any id of the operator's scope finds its object and deep link; an idempotency
key finds what it created; another scope's ids find nothing."""

from __future__ import annotations

import pytest

from backend.errors import ZentraError
from backend.operators import room_actions
from tests.backend.intents.support import payment, rails
from tests.backend.operators.conftest import make_operator, open_session
from tests.conftest import Api, make_tenant


@pytest.fixture
def viewer(runtime, tenant) -> str:
    return open_session(runtime, make_operator(runtime, {tenant.tenant_id: "viewer"}).operator_id, tenant.tenant_id)


def test_each_kind_of_id_finds_its_object_and_link(api, runtime, viewer):
    rails_ = rails(api)
    intent = payment(rails_, 1_000, key="order-1234").json()
    hold = api.get(f"/holds/{intent['hold_id']}").json()
    event = api.get("/events", params={"limit": 1}).json()["data"][0]["id"]
    cases = {
        rails_.customer: ("account", f"/accounts/{rails_.customer}"),
        intent["intent_id"]: ("intent", f"/intents?id={intent['intent_id']}"),
        hold["id"]: ("hold", f"/accounts/{rails_.customer}"),
        hold["posting_id"]: ("posting", f"/evidence?id={hold['posting_id']}"),
        event: ("event", "/events"),
    }
    for object_id, (kind, link) in cases.items():
        assert room_actions.search(runtime, viewer, f"  {object_id} ") == [{"kind": kind, "id": object_id, "link": link}], object_id


def test_an_idempotency_key_finds_what_its_first_request_created(api, runtime, viewer):
    rails_ = rails(api)
    intent = payment(rails_, 1_000, key="order-1234").json()
    [hit] = room_actions.search(runtime, viewer, "order-1234")
    assert (hit["kind"], hit["id"], hit["via"]) == ("intent", intent["intent_id"], "idempotency key on /v1/runtime/intents")


def test_another_scopes_ids_and_keys_find_nothing(api, api_url, runtime, viewer):
    other = Api(api_url, make_tenant(runtime, "Other").sandbox_key)
    theirs = payment(rails(other), 1_000, key="their-key").json()
    for text in (theirs["intent_id"], theirs["source"], "their-key", "", "x" * 300):
        assert room_actions.search(runtime, viewer, text) == []


def test_saved_filters_belong_to_their_operator_and_are_validated(runtime, tenant, viewer):
    mine = room_actions.save_filter(runtime, viewer, "intents", "held USD", {"status": "review", "search": ""})
    assert room_actions.saved(runtime, viewer, "intents") == [mine]
    replaced = room_actions.save_filter(runtime, viewer, "intents", "held USD", {"status": "failed"})
    assert [f["query"] for f in room_actions.saved(runtime, viewer, "intents")] == [{"status": "failed"}] and replaced["id"] == mine["id"]
    colleague = open_session(runtime, make_operator(runtime, {tenant.tenant_id: "support"}).operator_id, tenant.tenant_id)
    assert room_actions.saved(runtime, colleague, "intents") == []
    for room, query, param in (("kitchen", {}, "room"), ("intents", {"status": 3}, "query.status"), ("intents", ["x"], "query")):
        with pytest.raises(ZentraError) as refused:
            room_actions.save_filter(runtime, viewer, room, "bad", query)
        assert (refused.value.code, refused.value.param) == ("validation_error", param)
    room_actions.delete_filter(runtime, viewer, "intents", "held USD")
    assert room_actions.saved(runtime, viewer, "intents") == []
    with pytest.raises(ZentraError) as gone:
        room_actions.delete_filter(runtime, viewer, "intents", "held USD")
    assert gone.value.code == "not_found"
