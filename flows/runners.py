"""The batch flow's task runner: threads of the flow's process, or a Dask cluster."""

from __future__ import annotations

from typing import Any

from prefect.task_runners import TaskRunner, ThreadPoolTaskRunner

from invoicebot.settings import Settings


def batch_task_runner(settings: Settings, *, parallel_documents: int) -> TaskRunner[Any]:
    """Return the task runner ``INVOICEBOT_TASK_RUNNER`` names: ``thread`` (at most
    ``parallel_documents`` documents at once), or ``dask``: the cluster at
    ``INVOICEBOT_DASK_ADDRESS``, else a ``LocalCluster`` of ``INVOICEBOT_DASK_WORKERS`` processes
    (default ``parallel_documents``) of one thread each, started for the batch."""
    if settings.task_runner == "thread":
        return ThreadPoolTaskRunner(max_workers=parallel_documents)
    # Imported here: a thread-run batch does not pay for loading Dask.
    import dask
    from prefect_dask.task_runners import DaskTaskRunner

    # Each document is read in a child process of the task's (extractors.isolation): Dask's
    # worker processes must be allowed children. Remote workers: `dask worker --no-nanny`
    # or DASK_DISTRIBUTED__WORKER__DAEMON=False (README, "Dask for one big batch").
    dask.config.set({"distributed.worker.daemon": False})
    if settings.dask_address:
        return DaskTaskRunner(address=settings.dask_address)
    return DaskTaskRunner(
        cluster_class="distributed.LocalCluster",
        cluster_kwargs={
            "n_workers": settings.dask_workers or parallel_documents,
            "threads_per_worker": 1,
            "processes": True,
        },
    )


def batch_parallelism(settings: Settings, *, parallel_documents: int) -> int:
    """Return how many documents the task runner processes at once (a remote Dask cluster's
    size is not known here: ``INVOICEBOT_DASK_WORKERS`` says it, default ``parallel_documents``)."""
    if settings.task_runner == "dask" and settings.dask_workers is not None:
        return settings.dask_workers
    return parallel_documents
