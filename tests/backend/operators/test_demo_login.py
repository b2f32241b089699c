"""`zentra demo` prints an admin operator login for the demo tenant, fresh on every run."""

from __future__ import annotations

import pytest

from backend.errors import ZentraError
from backend.operators import sessions
from backend.sandbox.seed import ensure_demo_tenant


def test_each_demo_run_prints_a_working_admin_login_and_retires_the_last_one(runtime):
    first, second = ensure_demo_tenant(runtime), ensure_demo_tenant(runtime)
    assert first.tenant_id == second.tenant_id and first.operator_email == second.operator_email
    signed = sessions.sign_in(runtime, second.operator_email, second.operator_password)
    assert (signed.operator.tenant_id, signed.operator.role) == (second.tenant_id, "admin")
    with pytest.raises(ZentraError) as refused:
        sessions.sign_in(runtime, first.operator_email, first.operator_password)
    assert refused.value.code == "unauthorized"
