"""docs/adding-a-step.md, run as written: its module, its configuration line appended to
config/steps.example.yaml, and its test; then a document through the configured steps."""

from __future__ import annotations

import importlib
import inspect
import json
import re
import sys
from dataclasses import replace
from decimal import Decimal
from pathlib import Path

import pytest

from invoicebot.model import InvoiceStatus
from invoicebot.pipeline import PipelineContext, process_file
from tests.inbox import copy_into, pick_samples

ROOT = Path(__file__).resolve().parents[3]
GUIDE = ROOT / "docs" / "adding-a-step.md"
# A fenced block named by the word after its language: ```python large_invoices.py
BLOCK = re.compile(r"^```\w+ (?P<name>\S+)\n(?P<code>.*?)^```$", re.MULTILINE | re.DOTALL)


def guide_blocks() -> dict[str, str]:
    return {m["name"]: m["code"] for m in BLOCK.finditer(GUIDE.read_text(encoding="utf-8"))}


def test_the_guide_is_one_module_one_line_and_one_test() -> None:
    blocks = guide_blocks()
    assert sorted(blocks) == ["large_invoices.py", "steps.yaml", "test_large_invoices.py"]
    assert len(blocks["steps.yaml"].strip().splitlines()) == 1


def test_the_guides_step_runs_in_a_batch(
    context: PipelineContext, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    blocks = guide_blocks()
    modules = tmp_path / "modules"
    modules.mkdir()
    for name in ("large_invoices.py", "test_large_invoices.py"):
        (modules / name).write_text(blocks[name], encoding="utf-8")
    monkeypatch.syspath_prepend(str(modules))
    for name in ("large_invoices", "test_large_invoices"):
        monkeypatch.delitem(sys.modules, name, raising=False)

    # The guide's test, as the developer runs it.
    guide_test = importlib.import_module("test_large_invoices")
    tests = [f for name, f in inspect.getmembers(guide_test) if name.startswith("test_")]
    assert tests
    for number, test in enumerate(tests):
        folder = tmp_path / f"guide-test-{number}"
        folder.mkdir()
        test(folder)

    # The configuration line, added to the example configuration.
    steps = tmp_path / "steps.yaml"
    example = (ROOT / "config" / "steps.example.yaml").read_text(encoding="utf-8")
    steps.write_text(example + blocks["steps.yaml"], encoding="utf-8")
    settings = context.settings.model_copy(update={"steps_config": steps})

    inbox = tmp_path / "inbox"
    large = pick_samples(
        lambda t: (
            t["kind"] == "text-pdf"
            and not t["faults"]
            and Decimal(t["fields"]["total_gross"]) >= 1000
        ),
        1,
    )
    copy_into(inbox, large)
    (outcome,) = process_file(next(inbox.iterdir()), replace(context, settings=settings))  # type: ignore[misc]
    assert outcome.status is InvoiceStatus.APPROVED
    listed = (settings.data_dir / "large-invoices.jsonl").read_text().splitlines()
    assert [json.loads(line)["number"] for line in listed] == [outcome.invoice_number]
