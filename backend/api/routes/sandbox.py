"""/v1/sandbox: the sandbox traffic dial (start, pause, rate) and failure-scenario runs (queue one,
read its verdict), for scripts and the sandbox room."""

from __future__ import annotations

from fastapi import APIRouter, Request, Response
from pydantic import Field

from backend.api.mutations import mutate
from backend.api.requests import page_params, read_scoped
from backend.api.schemas import Idempotent, body_doc
from backend.inputs import path_id
from backend.runtime import Runtime
from backend.sandbox import scenario_runs, traffic_dial
from backend.sandbox.scenario_worker import rehearsal_cast


class SetTraffic(Idempotent):
    running: bool | None = Field(default=None, description="start (true) or pause (false) the generator")
    rate_per_minute: int | None = Field(default=None, description="intents per minute, 1 to 600")
    seed: int | None = Field(default=None, description="a new seed restarts the seeded sequence: the same seed replays the same traffic")


class RunScenario(Idempotent):
    scenario: str = Field(description="one of GET /v1/sandbox/scenarios; played by the instance itself, as its rehearsal cast")


def router(runtime: Runtime) -> APIRouter:
    api = APIRouter(tags=["sandbox"])

    @api.get("/sandbox/traffic")
    async def get_traffic(request: Request) -> Response:
        return await read_scoped(request, runtime, traffic_dial.get_dial, permission="sandbox.view")

    @api.post("/sandbox/traffic", openapi_extra=body_doc(SetTraffic))
    async def set_traffic(request: Request) -> Response:
        return await mutate(request, runtime, traffic_dial.set_dial, "sandbox.traffic", status_code=200, permission="sandbox.operate")

    @api.get("/sandbox/scenarios")
    async def list_scenarios(request: Request) -> Response:
        return await read_scoped(request, runtime, scenario_runs.catalogue, permission="sandbox.view")

    @api.post("/sandbox/scenario-runs", openapi_extra=body_doc(RunScenario))
    async def run_scenario(request: Request) -> Response:
        """Queue a run (202): a serving process plays it and keeps its verdict on the run."""

        def queue(session, scope, body, now):
            return scenario_runs.request_run(session, scope, body, now, rehearsal_cast(runtime))

        return await mutate(request, runtime, queue, "sandbox.scenario.run", status_code=202, permission="sandbox.operate")

    @api.get("/sandbox/scenario-runs")
    async def list_runs(request: Request) -> Response:
        limit, offset = page_params(request)
        return await read_scoped(request, runtime, lambda s, scope: scenario_runs.list_runs(s, scope, limit, offset), permission="sandbox.view")

    @api.get("/sandbox/scenario-runs/{run_id}")
    async def get_run(request: Request, run_id: str) -> Response:
        run_id = path_id(run_id, "scenario run")
        return await read_scoped(request, runtime, lambda s, scope: scenario_runs.get_run(s, scope, run_id), permission="sandbox.view")

    return api
