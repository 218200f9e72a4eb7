"""Crash safety and cross-process duplicate safety of ``invoicebot run``.

    uv run python benchmarks/crash_safety.py [--tries 10] [--invoices 200] [--pairs 10]
                                             [--skip-kills] [--skip-pairs]

1. **kill -9 at random points.** For each try: a fresh data dir and an inbox of ``--invoices``
   distinct generated invoices (text PDFs and Factur-X, from ``samples.invoices.generate``; no
   two files have the same bytes); ``invoicebot run`` is started, and killed with SIGKILL (its
   whole process group: its reading processes too) as soon as a random number of files (1 to
   N-1) has left the inbox; then ``invoicebot run`` is run again to its end. The runs talk to
   one Prefect server the benchmark starts (as ``make serve`` does), which a kill leaves up.
   Printed per try and in total: files **lost** (in no archive folder),
   files **processed twice** (in the store or the archive twice: an invoice row per file
   beyond one, or a file in ``duplicates/``, since no two inputs have the same bytes), files
   **not in exactly one archive folder**, files left in the inbox, and store rows whose
   ``archived_path`` does not hold the file's bytes. Target: 0 / 0 / 0.
2. **Two runs at once, one invoice in two files.** ``--pairs`` invoices are each rendered
   into two files with different bytes (the second has a PDF comment appended); the first
   copies go into inbox A, the second into inbox B, and two ``invoicebot run`` processes (one
   per inbox, one store) start at the same moment, on SQLite and then on PostgreSQL (when one
   answers at 127.0.0.1:5432). Printed: pairs with one approved and the other a ``duplicate``
   exception (target: all), pairs approved twice (target: 0), and how long the two batches
   overlapped.

The re-run after a kill takes over the killed run's claims at once
(``INVOICEBOT_CLAIM_LEASE_S=1``): nobody else holds them. Files are complete before each
run starts, so ``INVOICEBOT_STABLE_SECONDS=0``.
"""

from __future__ import annotations

import argparse
import contextlib
import hashlib
import os
import random
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request
import uuid
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
POSTGRES_ADMIN_URL = os.environ.get(
    "INVOICEBOT_TEST_POSTGRES_URL", "postgresql://postgres@127.0.0.1:5432/test"
)
FOLDERS = ("approved", "exceptions", "quarantine", "duplicates")
RUN_TIMEOUT_S = 900


def sha256(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def generate_invoices(out: Path, count: int, seed: int, *, clean_only: bool = False) -> list[Path]:
    """Write ``count`` distinct text-PDF and Factur-X invoices into ``out`` (only those
    without a deliberate fault when ``clean_only``); return them."""
    from samples.invoices.generate import Kind, plan_documents, render_document

    out.mkdir(parents=True, exist_ok=True)
    written: list[Path] = []
    plans = [
        plan
        for plan in plan_documents(count * 2 + 20, seed)
        if plan.kind in (Kind.TEXT_PDF, Kind.FACTURX)
        and not (clean_only and (plan.faults or plan.duplicate_of))
    ]
    for plan in plans[:count]:
        path = out / plan.file_name
        path.write_bytes(render_document(plan, seed))
        written.append(path)
    if len(written) < count:
        raise RuntimeError(f"the generator planned {len(written)} text invoices, not {count}")
    if len({sha256(p.read_bytes()) for p in written}) != count:
        raise RuntimeError("two generated invoices have the same bytes")
    return written


def prefect_environment(prefect_home: Path) -> dict[str, str]:
    env = dict(os.environ)
    env.update(
        PREFECT_HOME=str(prefect_home),
        PREFECT_SERVER_ANALYTICS_ENABLED="false",
        PREFECT_LOGGING_TO_API_ENABLED="false",
        PREFECT_LOGGING_LEVEL="WARNING",
    )
    env.pop("PREFECT_API_URL", None)
    return env


@contextlib.contextmanager
def prefect_server(prefect_home: Path) -> Iterator[str]:
    """Run a Prefect server for the benchmark's runs (as ``make serve`` does in production,
    so a run's kill leaves it up); yield its API URL; stop it at the end."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    prefect_home.mkdir(parents=True, exist_ok=True)
    log = prefect_home / "server.log"
    command = [str(Path(sys.executable).parent / "prefect"), "server", "start"]
    command += ["--host", "127.0.0.1", "--port", str(port)]
    with log.open("ab") as output:
        server = subprocess.Popen(
            command,
            env=prefect_environment(prefect_home),
            stdout=output,
            stderr=output,
            start_new_session=True,
        )
    url = f"http://127.0.0.1:{port}/api"
    try:
        deadline = time.monotonic() + 300
        while True:
            try:
                with urllib.request.urlopen(f"{url}/health", timeout=5) as answer:
                    if answer.status == 200:
                        break
            except OSError:
                if server.poll() is not None or time.monotonic() > deadline:
                    raise RuntimeError(f"the Prefect server did not start; see {log}") from None
                time.sleep(1)
        yield url
    finally:
        with contextlib.suppress(ProcessLookupError):  # it may have stopped on its own
            os.killpg(server.pid, signal.SIGTERM)
        try:
            server.wait(timeout=30)
        except subprocess.TimeoutExpired:
            kill_group(server)


def environment(data_dir: Path, api_url: str, database_url: str | None) -> dict[str, str]:
    env = prefect_environment(data_dir.parent / "prefect-client")
    env.update(
        INVOICEBOT_DATA_DIR=str(data_dir),
        INVOICEBOT_STABLE_SECONDS="0",
        INVOICEBOT_RULES_REFERENCE_DATE="2026-11-26",
        PREFECT_API_URL=api_url,
    )
    if database_url is None:
        env.pop("INVOICEBOT_DATABASE_URL", None)
    else:
        env["INVOICEBOT_DATABASE_URL"] = database_url
    return env


def start_run(inbox: Path, env: dict[str, str], log: Path) -> subprocess.Popen[bytes]:
    """Start ``invoicebot run`` in a process group of its own (so that it can be killed whole)."""
    with log.open("ab") as output:
        return subprocess.Popen(
            [sys.executable, "-m", "invoicebot", "run", "--inbox", str(inbox), "--json"],
            env=env,
            stdout=output,
            stderr=output,
            cwd=ROOT,
            start_new_session=True,
        )


def kill_group(process: subprocess.Popen[bytes]) -> None:
    """SIGKILL the run and everything it started (its process group), then reap it."""
    # A run that ended on its own before the kill has no group left: nothing to kill.
    with contextlib.suppress(ProcessLookupError):
        os.killpg(process.pid, signal.SIGKILL)
    process.wait()


def wait_run(process: subprocess.Popen[bytes], log: Path) -> None:
    try:
        code = process.wait(timeout=RUN_TIMEOUT_S)
    except subprocess.TimeoutExpired as late:
        kill_group(process)
        message = f"invoicebot run did not finish in {RUN_TIMEOUT_S} s; see {log}"
        raise RuntimeError(message) from late
    if code != 0:
        raise RuntimeError(f"invoicebot run exited {code}; see {log}")


def archive_contents(archive: Path) -> dict[str, list[str]]:
    """Return, per sha256, the archive folders holding a file with those bytes."""
    found: dict[str, list[str]] = {}
    for folder in FOLDERS:
        root = archive / folder
        if not root.exists():
            continue
        for path in root.iterdir():
            # Hidden files are a cross-filesystem move's temporary copy, not archive entries.
            hidden = path.name.startswith(".")
            if path.is_file() and not hidden and not path.name.endswith(".reason.json"):
                found.setdefault(sha256(path.read_bytes()), []).append(folder)
    return found


@dataclass
class TryFigures:
    """What one try left behind."""

    killed_after: int
    lost: int
    processed_twice: int
    not_in_one_folder: int
    left_in_inbox: int
    store_archive_mismatches: int
    statuses: Counter[str] = field(default_factory=Counter)


def store_rows(database_url: str) -> list[tuple[str, str, str | None, int]]:
    """Return (sha256, status, archived_path, invoice rows) for every document of the store."""
    from sqlalchemy import func
    from sqlmodel import Session, col, select

    from invoicebot.store.engine import make_engine
    from invoicebot.store.tables import Document, Invoice

    engine = make_engine(database_url)
    try:
        with Session(engine) as session:
            invoices = dict(
                session.exec(
                    select(Invoice.document_id, func.count()).group_by(col(Invoice.document_id))
                ).all()
            )
            return [
                (d.sha256, d.status, d.archived_path, invoices.get(d.id, 0))
                for d in session.exec(select(Document)).all()
            ]
    finally:
        engine.dispose()


def one_try(
    number: int, invoices: list[Path], work: Path, api_url: str, rng: random.Random
) -> TryFigures:
    folder = work / f"try-{number}"
    inbox, data_dir, log = folder / "inbox", folder / "data", folder / "run.log"
    inbox.mkdir(parents=True)
    for path in invoices:
        shutil.copy2(path, inbox / path.name)
    expected = {sha256(p.read_bytes()) for p in invoices}
    env = environment(data_dir, api_url, None)

    target = rng.randint(1, len(invoices) - 1)
    process = start_run(inbox, env, log)
    while process.poll() is None:
        left = sum(1 for _ in inbox.iterdir())
        if len(invoices) - left >= target:
            break
        time.sleep(0.005)
    killed_after = len(invoices) - sum(1 for _ in inbox.iterdir())
    kill_group(process)

    time.sleep(1.5)  # past the re-run's one-second lease
    rerun_env = {**env, "INVOICEBOT_CLAIM_LEASE_S": "1"}
    wait_run(start_run(inbox, rerun_env, log), log)

    in_archive = archive_contents(data_dir / "archive")
    rows = store_rows(f"sqlite:///{(data_dir / 'invoicebot.db').resolve()}")
    rows_per_sha = Counter(row[0] for row in rows)
    invoices_per_sha = Counter({row[0]: row[3] for row in rows})
    lost = sum(1 for digest in expected if digest not in in_archive)
    twice = sum(max(0, n - 1) for n in invoices_per_sha.values())
    twice += sum(max(0, n - 1) for n in rows_per_sha.values())
    twice += sum(1 for folders in in_archive.values() if "duplicates" in folders)
    not_one = sum(1 for digest in expected if len(in_archive.get(digest, [])) != 1)
    mismatches = 0
    for digest, _status, archived_path, _n in rows:
        path = Path(archived_path) if archived_path else None
        if path is None or not path.exists() or sha256(path.read_bytes()) != digest:
            mismatches += 1
    return TryFigures(
        killed_after=killed_after,
        lost=lost,
        processed_twice=twice,
        not_in_one_folder=not_one,
        left_in_inbox=sum(1 for _ in inbox.iterdir()),
        store_archive_mismatches=mismatches,
        statuses=Counter(row[1] for row in rows),
    )


def kill_tries(tries: int, count: int, seed: int, work: Path, api_url: str) -> None:
    invoices = generate_invoices(work / "invoices", count, seed)
    rng = random.Random(seed)
    print(f"kill -9 at random points: {tries} tries, {count} distinct invoices each")
    print(
        f"{'try':>3} {'killed after':>12} {'lost':>5} {'twice':>6} {'not in 1 folder':>15} "
        f"{'in inbox':>8} {'store/archive':>13}  statuses"
    )
    totals = Counter[str]()
    for number in range(1, tries + 1):
        figures = one_try(number, invoices, work, api_url, rng)
        for name in ("lost", "processed_twice", "not_in_one_folder", "left_in_inbox"):
            totals[name] += getattr(figures, name)
        totals["store_archive_mismatches"] += figures.store_archive_mismatches
        print(
            f"{number:>3} {figures.killed_after:>12} {figures.lost:>5} "
            f"{figures.processed_twice:>6} {figures.not_in_one_folder:>15} "
            f"{figures.left_in_inbox:>8} {figures.store_archive_mismatches:>13}  "
            f"{dict(sorted(figures.statuses.items()))}",
            flush=True,
        )
    print(
        f"total over {tries} tries: lost {totals['lost']}, processed twice "
        f"{totals['processed_twice']}, not in exactly one archive folder "
        f"{totals['not_in_one_folder']} (left in inbox {totals['left_in_inbox']}, store rows "
        f"not matching their archived file {totals['store_archive_mismatches']})"
    )


def twin_pairs(out: Path, pairs: int, seed: int) -> list[tuple[Path, Path]]:
    """Return ``pairs`` invoices each written as two files with different bytes."""
    originals = generate_invoices(out / "originals", pairs, seed, clean_only=True)
    twins: list[tuple[Path, Path]] = []
    for path in originals:
        data = path.read_bytes()
        first = out / "a" / path.name
        second = out / "b" / f"copy-of-{path.name}"
        first.parent.mkdir(parents=True, exist_ok=True)
        second.parent.mkdir(parents=True, exist_ok=True)
        first.write_bytes(data)
        # The same invoice, other bytes: a PDF comment after the end (readers ignore it).
        second.write_bytes(data + b"\n% sent a second time\n")
        twins.append((first, second))
    return twins


def concurrent_pairs(
    label: str, database_url: str | None, pairs: int, seed: int, work: Path, api_url: str
) -> None:
    folder = work / f"pairs-{label}"
    twins = twin_pairs(folder / "docs", pairs, seed)
    data_dir = folder / "data"
    inboxes = [folder / "inbox-a", folder / "inbox-b"]
    for inbox, side in zip(inboxes, (0, 1), strict=True):
        inbox.mkdir()
        for pair in twins:
            shutil.copy2(pair[side], inbox / pair[side].name)
    processes = [
        start_run(inbox, environment(data_dir, api_url, database_url), folder / f"{inbox.name}.log")
        for inbox in inboxes
    ]
    for process, inbox in zip(processes, inboxes, strict=True):
        wait_run(process, folder / f"{inbox.name}.log")
    url = database_url or f"sqlite:///{(data_dir / 'invoicebot.db').resolve()}"
    outcomes, simultaneous = pair_outcomes(url, twins)
    windows = batch_windows(url)
    one_each = sum(1 for o in outcomes if sorted(o) == ["approved", "duplicate-exception"])
    approved_twice = sum(1 for o in outcomes if o == ["approved", "approved"])
    overlap = 0.0
    if len(windows) == 2:
        (a_start, a_end), (b_start, b_end) = windows
        overlap = max(0.0, (min(a_end, b_end) - max(a_start, b_start)).total_seconds())
    print(
        f"{label}: {pairs} invoices, each in two files, one file per run, two runs at once: "
        f"{one_each} approved once + duplicate exception, {approved_twice} approved twice, "
        f"{pairs - one_each - approved_twice} other; the two batches overlapped "
        f"{overlap:.1f} s, {simultaneous} pairs had their two files in process at once",
        flush=True,
    )
    others = [o for o in outcomes if sorted(o) != ["approved", "duplicate-exception"]]
    if others:
        print(f"  other outcomes: {others}")


def pair_outcomes(url: str, twins: list[tuple[Path, Path]]) -> tuple[list[list[str]], int]:
    """Return each pair's two outcomes, and how many pairs had their two files in process at
    the same time (claim to store, in the two runs)."""
    from sqlmodel import Session, col, select

    from invoicebot.store.engine import make_engine
    from invoicebot.store.tables import Document, ExceptionRecord

    engine = make_engine(url)
    outcomes: list[list[str]] = []
    simultaneous = 0
    try:
        with Session(engine) as session:
            for pair in twins:
                statuses = []
                spans = []
                for path in pair:
                    document = session.exec(
                        select(Document).where(Document.sha256 == sha256(path.read_bytes()))
                    ).one()
                    rules = set(
                        session.exec(
                            select(ExceptionRecord.rule).where(
                                col(ExceptionRecord.document_id) == document.id
                            )
                        ).all()
                    )
                    if document.status == "exception" and "DUPLICATE-INVOICE-NUMBER" in rules:
                        statuses.append("duplicate-exception")
                    else:
                        statuses.append(document.status)
                    spans.append(
                        (document.claimed_at, document.processed_at or document.claimed_at)
                    )
                outcomes.append(statuses)
                (a_start, a_end), (b_start, b_end) = spans
                simultaneous += a_start <= b_end and b_start <= a_end
    finally:
        engine.dispose()
    return outcomes, simultaneous


def batch_windows(url: str) -> list[tuple[datetime, datetime]]:
    from sqlmodel import Session, col, select

    from invoicebot.store.engine import make_engine
    from invoicebot.store.tables import BatchRun

    engine = make_engine(url)
    try:
        with Session(engine) as session:
            batches = session.exec(
                select(BatchRun).where(col(BatchRun.documents) > 0).order_by(col(BatchRun.id))
            ).all()
            return [(b.started_at, b.finished_at) for b in batches if b.finished_at is not None]
    finally:
        engine.dispose()


def postgres_database() -> tuple[str, str] | None:
    """Create a throw-away database; return its URL and name (None when no server answers)."""
    import psycopg

    try:
        admin = psycopg.connect(POSTGRES_ADMIN_URL, autocommit=True, connect_timeout=3)
    except psycopg.OperationalError as error:
        print(f"PostgreSQL: skipped, no server answers at {POSTGRES_ADMIN_URL}: {error}")
        return None
    name = f"invoicebot_bench_{uuid.uuid4().hex[:10]}"
    with admin:
        admin.execute(f'CREATE DATABASE "{name}"')
    return POSTGRES_ADMIN_URL.rsplit("/", 1)[0] + f"/{name}", name


def drop_database(name: str) -> None:
    import psycopg

    with psycopg.connect(POSTGRES_ADMIN_URL, autocommit=True, connect_timeout=3) as admin:
        admin.execute(f'DROP DATABASE "{name}" WITH (FORCE)')


def run_pairs(pairs: int, seed: int, work: Path, api_url: str) -> None:
    concurrent_pairs("SQLite", None, pairs, seed + 1, work, api_url)
    database = postgres_database()
    if database is None:
        return
    url, name = database
    try:
        concurrent_pairs("PostgreSQL", url, pairs, seed + 2, work, api_url)
    finally:
        drop_database(name)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--tries", type=int, default=10)
    parser.add_argument("--invoices", type=int, default=200)
    parser.add_argument("--pairs", type=int, default=10)
    parser.add_argument("--seed", type=int, default=2026)
    parser.add_argument("--skip-kills", action="store_true")
    parser.add_argument("--skip-pairs", action="store_true")
    parser.add_argument("--keep", action="store_true", help="keep the work folder")
    arguments = parser.parse_args()
    work = Path(tempfile.mkdtemp(prefix="invoicebot-crash-"))
    started = time.perf_counter()
    try:
        with prefect_server(work / "prefect-server") as api_url:
            if not arguments.skip_kills:
                kill_tries(arguments.tries, arguments.invoices, arguments.seed, work, api_url)
            if not arguments.skip_pairs:
                run_pairs(arguments.pairs, arguments.seed, work, api_url)
    finally:
        if arguments.keep:
            print(f"work folder kept: {work}")
        else:
            shutil.rmtree(work, ignore_errors=True)
    print(f"({time.perf_counter() - started:.0f} s)")


if __name__ == "__main__":
    main()
