"""Which paths of the one port go to the HTTP API and which to the operations room."""

from __future__ import annotations

import pytest

from zentra_ui.zentra_ui import to_api


@pytest.mark.parametrize("path", ["/v1", "/v1/accounts", "/v1/openapi.json", "/sandbox/receivers/outage-1", "/sandbox/providers/prv_1/submissions", "/sandbox/faults/nats-partition"])
def test_the_api_and_its_sandbox_participants_answer_their_paths(path):
    assert to_api(path)


@pytest.mark.parametrize("path", ["/", "/sandbox", "/sandbox/", "/webhooks", "/v1x", "/sandboxes", "/intents", "/screening"])
def test_every_room_is_the_operations_rooms_own(path):
    assert not to_api(path)
