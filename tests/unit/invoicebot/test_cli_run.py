"""`invoicebot run` starts the reading processes' fork server before the flow (and its
ephemeral Prefect server), so its warm-up is not in the batch's time."""

from __future__ import annotations

from pathlib import Path

import pytest

import extractors.isolation
import flows.process_inbox
from invoicebot.cli import _run_batch
from invoicebot.model import BatchKpis, BatchSummary


class FakeReader:
    def __init__(self, calls: list[str]) -> None:
        self.calls = calls

    def start(self) -> None:
        self.calls.append("fork server")


@pytest.mark.parametrize(
    ("runner", "expected"), [("thread", ["fork server", "flow"]), ("dask", ["flow"])]
)
def test_the_fork_server_starts_before_the_flow_unless_dask_reads(
    runner: str, expected: list[str], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    calls: list[str] = []
    reader = FakeReader(calls)

    def flow(inbox: str, batch_size: int | None) -> BatchSummary:
        calls.append("flow")
        return BatchSummary(
            run_id="", documents=0, invoices=[], kpis=BatchKpis.model_construct(), failures=[]
        )

    monkeypatch.setenv("INVOICEBOT_TASK_RUNNER", runner)
    monkeypatch.setattr(extractors.isolation, "shared_reader", lambda: reader)
    monkeypatch.setattr(flows.process_inbox, "process_inbox", flow)

    _run_batch(tmp_path, None)

    assert calls == expected
