"""IBANs in clear in the Prefect database after a batch with a bank-detail exception.

    uv run python benchmarks/privacy.py

Runs, against a real Prefect server (Prefect's test harness: a server subprocess on a
fresh SQLite database, logs sent to the API), the ``process-inbox`` flow over four sample
invoices with a vendor master in which one supplier's IBAN was changed: that invoice is a
``VENDOR-BANK-DETAILS`` exception, another has an invalid IBAN (``IBAN-CHECK``), two are
clean. The review runs start and suspend on their take forms, as on a served stack. Then
the bank-detail case is reviewed as an operator would: Ana takes it, tries to approve it
alone (refused by the four-eyes rule), escalates it; the lead takes it and approves it.

After each stage it reads the server's SQLite file and counts, in every text column of
every table (logs, artifacts, flow run inputs, events, states, ...), the values holding one
of the batch's IBANs in clear — the invoices' and the vendor master's, compact, grouped by
four, or their middle part (what masking hides). The target is 0 after the batch and 0
once the case is decided; while the decision form of the bank-detail case waits, its
description shows the IBANs in full by design (the operator confirms them with the
supplier) and the count says so. The quarantine reason files of the archive are counted
too. Exits 1 when a target is missed.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import sqlite3
import sys
import tempfile
import time
from collections import Counter
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from uuid import UUID

os.environ.setdefault("PREFECT_SERVER_ANALYTICS_ENABLED", "false")
os.environ.setdefault("PREFECT_SERVER_EPHEMERAL_STARTUP_TIMEOUT_SECONDS", "90")

ROOT = Path(__file__).resolve().parent.parent
SAMPLES = ROOT / "samples" / "invoices"
REFERENCE_DATE = "2026-11-26"
# Traiteur Les Saveurs SARL (SUP-003): its master IBAN is replaced by NEW_MASTER_IBAN.
BANK_CASE = "fr-classic-0026.pdf"
INVALID_IBAN_CASE = "en-modern-0009.pdf"
CLEAN = ("de-standard-0005.pdf", "en-ledger-0007.pdf")
NEW_MASTER_IBAN = "FR7630004898079230007871125"
# Stages and their targets (None: reported, no target).
TARGETS: dict[str, int | None] = {
    "after the batch": 0,
    "decision form of the bank-detail case waiting": None,
    "after the decisions": 0,
}


@dataclass
class Stage:
    """IBAN values in clear found in the Prefect database at one stage."""

    name: str
    hits: Counter[str] = field(default_factory=Counter)

    @property
    def total(self) -> int:
        """Return how many values hold an IBAN in clear."""
        return sum(self.hits.values())


def needles(ibans: set[str]) -> set[str]:
    """Return what betrays each IBAN: compact, grouped by four, its masked-away middle."""
    found: set[str] = set()
    for iban in ibans:
        compact = "".join(ch for ch in iban.upper() if ch.isalnum())
        found.add(compact)
        found.add(" ".join(compact[i : i + 4] for i in range(0, len(compact), 4)))
        found.add(compact[4:-4])
    return found


def count_in_sqlite(database: Path, ibans: set[str]) -> Counter[str]:
    """Return, per ``table.column``, the values of the SQLite file holding an IBAN in clear
    (every column whose values are text, JSON or bytes)."""
    wanted = {needle.upper() for needle in needles(ibans)}
    hits: Counter[str] = Counter()
    connection = sqlite3.connect(f"file:{database}?mode=ro", uri=True)
    try:
        tables = [
            row[0]
            for row in connection.execute("SELECT name FROM sqlite_master WHERE type = 'table'")
        ]
        for table in tables:
            columns = [row[1] for row in connection.execute(f'PRAGMA table_info("{table}")')]
            # A form input is named by its key (``decision-0-description``): say which.
            label = '"key"' if "key" in columns else "''"
            for column in columns:
                query = f'SELECT "{column}", {label} FROM "{table}"'
                for value, key in connection.execute(query):
                    if isinstance(value, bytes):
                        value = value.decode("utf-8", "replace")
                    if isinstance(value, str) and any(n in value.upper() for n in wanted):
                        hits[f"{table}.{column}" + (f"[{key}]" if key else "")] += 1
    finally:
        connection.close()
    return hits


def count_in_files(folder: Path, ibans: set[str], pattern: str) -> int:
    """Return how many files under ``folder`` matching ``pattern`` hold an IBAN in clear."""
    wanted = {needle.upper() for needle in needles(ibans)}
    return sum(
        1
        for path in folder.rglob(pattern)
        if any(n in path.read_text(encoding="utf-8", errors="replace").upper() for n in wanted)
    )


def prepare_inbox(workdir: Path) -> tuple[Path, Path]:
    """Write the inbox and the changed vendor master; return both paths."""
    inbox = workdir / "inbox"
    inbox.mkdir(parents=True)
    for name in (BANK_CASE, INVALID_IBAN_CASE, *CLEAN):
        shutil.copy2(SAMPLES / name, inbox / name)
    vendors = (SAMPLES / "vendors.csv").read_text(encoding="utf-8").splitlines()
    changed = [
        ",".join(
            NEW_MASTER_IBAN if index == 4 and line.startswith("SUP-003,") else cell
            for index, cell in enumerate(line.split(","))
        )
        for line in vendors
    ]
    master = workdir / "vendors.csv"
    master.write_text("\n".join(changed) + "\n", encoding="utf-8")
    return inbox, master


def run_as_worker(flow_run_id: UUID) -> Any:
    """Run a scheduled or resumed review run here, as a process worker would; return it."""
    from prefect.client.orchestration import get_client
    from prefect.exceptions import Pause
    from prefect.flow_engine import run_flow

    from flows.review import review_exception

    with get_client(sync_client=True) as client:
        flow_run = client.read_flow_run(flow_run_id)
        parameters = {**flow_run.parameters, "hold_seconds": 0}
        with contextlib.suppress(Pause):
            run_flow(review_exception, flow_run=flow_run, parameters=parameters)
        return client.read_flow_run(flow_run_id)


def submit(flow_run_id: UUID, **form: str) -> Any:
    """Submit a form of a suspended review run and run it on; return the run."""
    from prefect.flow_runs import resume_flow_run

    resume_flow_run(flow_run_id, run_input=form)
    return run_as_worker(flow_run_id)


def settle(database: Path) -> None:
    """Flush this process's logs to the API and wait until the server has written what it
    received (its event and log tables stop growing), at most 30 s."""
    from prefect.logging.handlers import APILogWorker

    APILogWorker.drain_all(timeout=10)
    previous = None
    for _ in range(30):
        connection = sqlite3.connect(f"file:{database}?mode=ro", uri=True)
        try:
            sizes = tuple(
                connection.execute(f'SELECT count(*) FROM "{table}"').fetchone()[0]
                for table in ("events", "log", "artifact", "flow_run_input")
            )
        finally:
            connection.close()
        if sizes == previous:
            return
        previous = sizes
        time.sleep(1)


def run_scenario(database: Callable[[], Path], data_dir: Path, workdir: Path) -> list[Stage]:
    """Run the batch and the review of its bank-detail case on the current Prefect server;
    return the IBANs in clear found in its database after each stage."""
    from prefect.settings import PREFECT_LOGGING_TO_API_ENABLED, temporary_settings
    from sqlmodel import Session, select

    from flows.process_inbox import process_inbox
    from flows.review import review_exception
    from invoicebot.settings import Settings
    from invoicebot.store import master
    from invoicebot.store.engine import shared_engine
    from invoicebot.store.review_audit import ReviewRun
    from invoicebot.store.tables import Invoice

    inbox, vendors = prepare_inbox(workdir)
    engine = shared_engine(Settings().resolved_database_url)
    with Session(engine) as session:
        master.import_vendors(session, path=vendors)
        ibans = {iban for vendor in session.exec(select(master.Vendor)) for iban in vendor.ibans}
    stages: list[Stage] = []
    with temporary_settings({PREFECT_LOGGING_TO_API_ENABLED: True}):
        review_exception.to_deployment(name="review").apply()
        summary = process_inbox(inbox=str(inbox))
        with Session(engine) as session:
            invoices = session.exec(select(Invoice)).all()
            ibans |= {invoice.seller_iban for invoice in invoices if invoice.seller_iban}
            runs = {
                run.invoice_id: UUID(run.flow_run_id) for run in session.exec(select(ReviewRun))
            }
            bank_invoice = next(
                invoice.id
                for invoice in invoices
                if invoice.seller_iban and invoice.seller_name and "Traiteur" in invoice.seller_name
            )
        statuses = Counter(outcome.status.value for outcome in summary.invoices)
        print(f"batch: {dict(statuses)}; review runs: {len(runs)}; IBANs watched: {len(ibans)}")
        for run_id in runs.values():
            run_as_worker(run_id)
        settle(database())
        stages.append(Stage("after the batch", count_in_sqlite(database(), ibans)))

        bank_run = runs[bank_invoice]
        submit(bank_run, operator="Ana")
        settle(database())
        stages.append(
            Stage(
                "decision form of the bank-detail case waiting", count_in_sqlite(database(), ibans)
            )
        )
        submit(bank_run, decision="approve", reviewer="Ana")  # refused: four eyes
        submit(bank_run, decision="escalate", reviewer="Ana", comment="new IBAN: call back")
        submit(bank_run, operator="Lead")
        final = submit(bank_run, decision="approve", reviewer="Lead")
        print(f"bank-detail case: {final.state.name if final.state else '?'}")
        settle(database())
        stages.append(Stage("after the decisions", count_in_sqlite(database(), ibans)))
    reasons = count_in_files(data_dir / "archive", ibans, "*.reason.json")
    print(f"quarantine reason files with an IBAN in clear: {reasons}")
    return stages


def report(stages: list[Stage]) -> bool:
    """Print the counts per stage; return True when every target is met."""
    met = True
    print(f"{'stage':<48} {'IBANs in clear':>14}  target  where")
    for stage in stages:
        target = TARGETS.get(stage.name)
        ok = target is None or stage.total <= target
        met = met and ok
        where = ", ".join(f"{name} {count}" for name, count in sorted(stage.hits.items()))
        shown = "-" if target is None else str(target)
        print(f"{stage.name:<48} {stage.total:>14}  {shown:>6}  {where}")
    return met


@contextlib.contextmanager
def harness() -> Iterator[Callable[[], Path]]:
    """Start a Prefect test server; yield a function returning its SQLite file."""
    from prefect.settings import PREFECT_SERVER_DATABASE_CONNECTION_URL
    from prefect.testing.utilities import prefect_test_harness

    with prefect_test_harness(server_startup_timeout=90):
        url = str(PREFECT_SERVER_DATABASE_CONNECTION_URL.value())
        path = Path(url.split("///", 1)[1])
        yield lambda: path


def main() -> int:
    """Run the scenario in a temporary data dir; return the exit status."""
    with tempfile.TemporaryDirectory(prefix="invoicebot-privacy-") as tmp:
        workdir = Path(tmp)
        os.environ["INVOICEBOT_DATA_DIR"] = str(workdir / "data")
        os.environ.pop("INVOICEBOT_DATABASE_URL", None)
        os.environ["INVOICEBOT_RULES_REFERENCE_DATE"] = REFERENCE_DATE
        with harness() as database:
            stages = run_scenario(database, workdir / "data", workdir)
        met = report(stages)
    return 0 if met else 1


if __name__ == "__main__":
    sys.path.insert(0, str(ROOT))
    sys.exit(main())
