"""What the test Prefect server recorded of a flow run."""

from __future__ import annotations

from prefect.client.orchestration import get_client
from prefect.client.schemas.filters import FlowRunFilter, FlowRunFilterId


async def task_run_names(flow_run_id: str) -> list[str]:
    """Return the names of the task runs of flow run ``flow_run_id``."""
    async with get_client() as client:
        runs = await client.read_task_runs(
            flow_run_filter=FlowRunFilter(id=FlowRunFilterId(any_=[flow_run_id]))
        )
    return [run.name for run in runs]
