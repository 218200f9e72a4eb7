"""The `invoicebot` command as scripts use it: real processes, the contract's JSON on stdout."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

from invoicebot.model import FIELD_NAMES
from samples.randomised import TUNING_FAMILIES, generate_document
from tests.conftest import SAMPLES_REFERENCE_DATE
from tests.inbox import concatenated_pdf, copy_into, pick_samples, write_bad_files

CONTRACT_KEYS = {
    "source", "sha256", "method", "language", "pages", "fields", "lines", "confidence", "error",
}  # fmt: skip
ENTRY_POINT = shutil.which("invoicebot") or str(Path(sys.executable).with_name("invoicebot"))


def invoicebot(*args: str, env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [ENTRY_POINT, *args], capture_output=True, text=True, env=env, timeout=300, check=False
    )


def isolated_env(tmp_path: Path) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("INVOICEBOT_", "PREFECT_"))}
    env |= {
        "INVOICEBOT_DATA_DIR": str(tmp_path / "data"),
        "PREFECT_HOME": str(tmp_path / "prefect"),
        "PREFECT_SERVER_ANALYTICS_ENABLED": "false",
        "PREFECT_SERVER_EPHEMERAL_STARTUP_TIMEOUT_SECONDS": "90",
        "INVOICEBOT_RULES_REFERENCE_DATE": SAMPLES_REFERENCE_DATE,
    }
    return env


def test_extract_json_lines_follow_the_contract(tmp_path: Path) -> None:
    samples = pick_samples(lambda t: t["kind"] == "text-pdf", 2)
    bad = tmp_path / "bad"
    write_bad_files(bad, samples[0][0])
    paths = [str(path) for path, _ in samples] + [str(bad / "empty.pdf")]
    done = invoicebot("extract", "--json", *paths, env=isolated_env(tmp_path))
    assert done.returncode == 0, done.stderr
    results = [json.loads(line) for line in done.stdout.splitlines()]
    assert len(results) == 3
    for result in results:
        assert set(result) == CONTRACT_KEYS
        assert list(result["fields"]) == list(FIELD_NAMES)
    for result, (_path, truth) in zip(results, samples, strict=False):
        assert result["fields"]["total_gross"] == truth["fields"]["total_gross"]
        assert result["error"] is None
    assert results[2]["error"]["code"] == "empty"
    assert set(results[2]["fields"].values()) == {None}


def test_extract_refuses_a_missing_path(tmp_path: Path) -> None:
    done = invoicebot("extract", str(tmp_path / "nope.pdf"), env=isolated_env(tmp_path))
    assert done.returncode == 2
    assert "no such file" in done.stderr


def test_run_json_prints_the_batch_summary(tmp_path: Path) -> None:
    inbox = tmp_path / "inbox"
    samples = pick_samples(lambda t: t["kind"] == "text-pdf" and not t["faults"], 2)
    copy_into(inbox, samples)
    write_bad_files(inbox, samples[0][0])
    done = invoicebot("run", "--inbox", str(inbox), "--json", env=isolated_env(tmp_path))
    assert done.returncode == 0, done.stderr[-3000:]
    summary = json.loads(done.stdout)
    assert {"run_id", "documents", "invoices", "kpis"} <= set(summary)
    # The empty file is a copy in progress: not taken.
    assert summary["run_id"] and summary["documents"] == 4
    statuses = sorted(invoice["status"] for invoice in summary["invoices"])
    assert statuses == ["approved", "approved", "quarantined", "quarantined"]
    assert set(summary["kpis"]) == {
        "throughput_per_hour", "straight_through_rate", "exception_rate", "time_saved_ratio",
    }  # fmt: skip
    assert summary["kpis"]["straight_through_rate"] == 0.5


def test_extract_prints_one_result_per_invoice_of_a_stack(tmp_path: Path) -> None:
    first = generate_document(TUNING_FAMILIES[0], 2000)
    second = generate_document(TUNING_FAMILIES[5], 2001)
    stack = tmp_path / "stack.pdf"
    stack.write_bytes(concatenated_pdf([first.data, second.data]))
    done = invoicebot("extract", "--json", str(stack), env=isolated_env(tmp_path))
    assert done.returncode == 0, done.stderr
    results = [json.loads(line) for line in done.stdout.splitlines()]
    assert [result["page_range"] for result in results] == [[1, 1], [2, 2]]
    for result, invoice in zip(results, (first, second), strict=True):
        assert set(result) == CONTRACT_KEYS | {"page_range"}
        assert result["source"] == str(stack)
        assert result["fields"]["total_gross"] == invoice.truth["fields"]["total_gross"]
