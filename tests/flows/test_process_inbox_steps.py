"""The batch flow with the optional steps configured: each step of each document is a task
run of its own, the export writes its datasets, the notify step emits its event unfailed."""

from __future__ import annotations

import asyncio
from pathlib import Path

import pandas as pd
import pytest

from flows.process_inbox import process_inbox
from invoicebot.model import InvoiceStatus
from tests.flows.runs import task_run_names
from tests.inbox import copy_into, pick_samples

STEPS = ["claim", "extract", "validate", "classify", "store", "route", "export", "notify"]


def test_each_step_is_a_task_run_and_the_optional_steps_work(
    data_dir: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    config = tmp_path / "steps.yaml"
    exports = tmp_path / "exports"
    listed = "".join(f"  - {step}\n" for step in STEPS[:-2])
    config.write_text(f"steps:\n{listed}  - export: {{folder: {exports}}}\n  - notify\n")
    monkeypatch.setenv("INVOICEBOT_STEPS_CONFIG", str(config))
    monkeypatch.setenv("INVOICEBOT_STEP_TASK_RUNS", "true")
    inbox = tmp_path / "inbox"
    clean = pick_samples(lambda t: t["kind"] == "text-pdf" and not t["faults"], 1)
    copy_into(inbox, clean)
    name = clean[0][0].name

    summary = process_inbox(inbox=str(inbox))

    assert [outcome.status for outcome in summary.invoices] == [InvoiceStatus.APPROVED]
    assert not summary.invoices[0].step_failures
    names = asyncio.run(task_run_names(summary.run_id))
    assert {f"{step} {name}" for step in STEPS} <= set(names)
    (csv,) = exports.glob("csv/day=*/invoices.csv")
    assert list(pd.read_csv(csv)["invoice_number"]) == [summary.invoices[0].invoice_number]
    assert len(pd.read_parquet(exports / "parquet")) == 1
