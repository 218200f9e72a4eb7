"""The Prefect side of a purge or an erasure: the flow runs and artifacts of invoices.

A review run is named after the supplier and shows the case; a batch run's table artifact
lists each invoice's supplier. ``invoicebot purge`` deletes the review runs of the purged
invoices and the batch runs left with no document; ``invoicebot erase`` deletes the review
runs of the supplier's invoices and the table artifacts of the batches that listed them.
Deleting a flow run deletes its task runs, states and form inputs (the server cascades);
artifacts are deleted one by one first. Logs stay until the server's own retention ends
them: they carry no IBAN in clear (``invoicebot.privacy``).
"""

from __future__ import annotations

from collections.abc import Sequence
from uuid import UUID

from prefect.client.orchestration import SyncPrefectClient, get_client
from prefect.client.schemas.filters import (
    ArtifactFilter,
    ArtifactFilterKey,
    FlowRunFilter,
    FlowRunFilterId,
)
from prefect.exceptions import ObjectNotFound
from prefect.settings import PREFECT_API_URL

from invoicebot.retention import PrefectSide, PrefectUnreachableError

# Batch artifacts that name invoices' suppliers (the KPI artifact names none).
BATCH_ARTIFACTS_NAMING_SUPPLIERS = ("process-inbox-invoices", "process-inbox-reviews")


def configured_api() -> str | None:
    """Return the Prefect API URL this process talks to, None when none is configured."""
    url = PREFECT_API_URL.value()
    return str(url) if url else None


def check_reachable() -> str | None:
    """Return the configured API URL once it answers, None without one; raise
    ``PrefectUnreachableError`` when it is configured and does not answer."""
    url = configured_api()
    if url is None:
        return None
    with get_client(sync_client=True) as client:
        problem = client.api_healthcheck()
    if problem is not None:
        raise PrefectUnreachableError(url, problem)
    return url


def delete_runs_and_artifacts(
    *, delete_runs: Sequence[str], strip_artifacts_of: Sequence[str] = ()
) -> PrefectSide:
    """Delete the flow runs ``delete_runs`` with their artifacts, and the supplier-naming
    artifacts of the runs ``strip_artifacts_of``. Raise ``PrefectUnreachableError`` when the
    configured API does not answer; without an API, delete nothing and say so."""
    url = check_reachable()
    if url is None:
        return PrefectSide(
            "no Prefect API configured (PREFECT_API_URL): no flow run or artifact deleted", {}
        )
    counts = {"prefect_flow_runs": 0, "prefect_artifacts": 0, "prefect_runs_already_gone": 0}
    with get_client(sync_client=True) as client:
        for run_id in delete_runs:
            counts["prefect_artifacts"] += _delete_artifacts(client, run_id, keys=None)
            try:
                client.delete_flow_run(UUID(run_id))
            except ObjectNotFound:
                counts["prefect_runs_already_gone"] += 1
            else:
                counts["prefect_flow_runs"] += 1
        for run_id in strip_artifacts_of:
            if run_id not in delete_runs:
                counts["prefect_artifacts"] += _delete_artifacts(
                    client, run_id, keys=list(BATCH_ARTIFACTS_NAMING_SUPPLIERS)
                )
    return PrefectSide(
        f"{url}: {counts['prefect_flow_runs']} flow run(s) and "
        f"{counts['prefect_artifacts']} artifact(s) deleted, "
        f"{counts['prefect_runs_already_gone']} run(s) already gone",
        counts,
    )


def _delete_artifacts(client: SyncPrefectClient, run_id: str, *, keys: list[str] | None) -> int:
    artifacts = client.read_artifacts(
        flow_run_filter=FlowRunFilter(id=FlowRunFilterId(any_=[UUID(run_id)])),
        artifact_filter=ArtifactFilter(key=ArtifactFilterKey(any_=keys)) if keys else None,
    )
    deleted = 0
    for artifact in artifacts:
        try:
            client.delete_artifact(artifact.id)
        except ObjectNotFound:
            continue  # deleted meanwhile (another purge): what was wanted
        deleted += 1
    return deleted
