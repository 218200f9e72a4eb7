"""One real batch the end-to-end tests of the exports and of the lifecycle statuses start
from: `invoicebot run` on a text PDF, a scan, a photo, a Factur-X and a text PDF with a fault.
Each test copies the data folder it left, so that each may change its own copy."""

from __future__ import annotations

import json
import shutil
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from tests.conftest import SAMPLES
from tests.e2e.test_cli import invoicebot, isolated_env

# One of each kind the batch approves straight through (text PDF, scan, photo, Factur-X), and
# a text PDF whose totals do not add up (BR-CO-15: an exception).
BATCH_APPROVED = (
    "fr-classic-0001.pdf",
    "fr-classic-0008-scan.pdf",
    "fr-boxed-0030.jpg",
    "fr-classic-0004-facturx.pdf",
)
BATCH_EXCEPTION = "en-ledger-0013.pdf"


@dataclass(frozen=True)
class ProcessedBatch:
    """What one `invoicebot run` left: its data folder and its JSON summary."""

    data_dir: Path
    summary: dict[str, Any]

    def statuses(self) -> dict[str, str]:
        """Return each document's status by file name."""
        return {Path(i["source"]).name: i["status"] for i in self.summary["invoices"]}

    def copied_to(self, tmp_path: Path) -> dict[str, str]:
        """Copy the data folder into ``tmp_path`` and return the environment that uses it."""
        shutil.copytree(self.data_dir, tmp_path / "data")
        return isolated_env(tmp_path)


def run_batch(root: Path) -> ProcessedBatch:
    """Run the batch on an inbox under ``root``, its data folder there too."""
    inbox = root / "inbox"
    inbox.mkdir()
    for name in (*BATCH_APPROVED, BATCH_EXCEPTION):
        shutil.copy2(SAMPLES / name, inbox / name)
    done = invoicebot("run", "--inbox", str(inbox), "--json", env=isolated_env(root))
    assert done.returncode == 0, done.stderr[-3000:]
    return ProcessedBatch(root / "data", json.loads(done.stdout))
