"""Several workers over one inbox on PostgreSQL: exactly once, takeover after kill -9, memory.

    uv run python benchmarks/workers.py [--invoices 1000] [--workers 2 4] [--kill-workers 4]
        [--kill-at 0.3] [--dask 2] [--postgres postgresql://postgres@127.0.0.1:5432/test]
        [--idle-s 30] [--settle-s 15] [--setting INVOICEBOT_NAME=VALUE ...]

A real Prefect server is started for the benchmark, on a PostgreSQL database of its own, with
the ``review`` deployment registered (no worker runs it: the review runs the batches start
wait there as Scheduled, and are counted). Then, for each entry of ``--workers``, on a fresh
PostgreSQL store and a temporary inbox of ``--invoices`` text-PDF invoices made by the sample
generator (``samples.invoices.generate``: a few carry faults and become exceptions), that
many ``invoicebot run`` processes start at once over the inbox, each a batch flow run reported
to the server. With ``--kill-workers N``, N runs start the same way and one of them is killed
(SIGKILL to its process group: the flow process, its fork server and its reading processes)
once ``--kill-at`` of the invoices are stored; the time until each document it held is taken
over by another run is measured from the takeover records (``claim_takeover``). With
``--dask N``, one more run processes the inbox alone on a Dask ``LocalCluster`` of N worker
processes (``INVOICEBOT_TASK_RUNNER=dask``).

Checked after each run: every invoice stored once (one document row per file, none left
``processing``), archived once (one archive file per sha256, none left in the inbox), one
review run per exception (the store's ``review_run`` rows and the server's flow runs of the
review deployment), 0 lost. Printed: wall time, invoices per second, takeover times, and the
peak memory per worker: the flow process's peak resident set (VmHWM), and its whole process
group's (flow process, fork server, reading processes) proportional set size, sampled every
half second from /proc.

Then the load each scenario put on the shared parts (``shared_load.py``), from the start of
the runs until the server's records of them (task runs, states, events) stop growing, at
least ``--settle-s`` after they end (the server records events after they are sent): CPU
seconds of the runs (their finished processes' ``RUSAGE_CHILDREN``, and sampled), of the
Prefect server (less its idle share, measured for ``--idle-s`` before the first scenario),
of the PostgreSQL backends of the store's and of the server's databases, and of every
PostgreSQL process (other jobs' on the same server too); the databases' transactions, rows
written, blocks, statement time, connections and lock waits (``pg_stat_database``,
``pg_stat_activity``); the archive's bytes and files. Per invoice where it says so.
``pg_stat_statements`` is not used: it needs the server restarted with it preloaded.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import os
import signal
import socket
import subprocess
import sys
import tempfile
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from pathlib import Path

import httpx
import psycopg
from psycopg import sql
from shared_load import (
    Idle,
    LoadMeter,
    load_rows,
    measure_idle,
    reaped_children_cpu_s,
    storage_use,
    table_lines,
)
from sqlalchemy import text
from sqlalchemy.engine import Engine, make_url

from invoicebot.store import init_store, make_engine
from samples.invoices.generate import Kind, plan_documents, render_document

ROOT = Path(__file__).resolve().parents[1]
SEED = 2026
SERVER_START_S = 180
RUN_TIMEOUT_S = 3600
SAMPLE_S = 0.5
SETTLE_CHECK_S = 5
REVIEW_DEPLOYMENT = "review"
OLDEST_INVOICE_DAYS = 3650


@dataclass
class Worker:
    """One ``invoicebot run`` process and what was sampled of it."""

    process: subprocess.Popen[bytes]
    output: Path
    peak_main_kb: int = 0
    peak_group_kb: int = 0
    killed: bool = False

    @property
    def pid(self) -> int:
        return self.process.pid


@dataclass
class Result:
    """The figures and checks of one scenario."""

    workers: int
    invoices: int
    seconds: float
    killed: bool
    dask_workers: int = 0
    checks: dict[str, object] = field(default_factory=dict)
    takeover_s: list[float] = field(default_factory=list)
    held_at_kill: int = 0
    peak_main_mb: list[float] = field(default_factory=list)
    peak_group_mb: list[float] = field(default_factory=list)
    load: dict[str, str] = field(default_factory=dict)
    catch_up_s: float = 0.0
    table_writes: dict[str, list[str]] = field(default_factory=dict)


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@contextmanager
def fresh_database(admin_url: str, prefix: str) -> Iterator[str]:
    """Create a database on the server of ``admin_url``; yield its URL; drop it after."""
    name = f"{prefix}_{uuid.uuid4().hex[:10]}"
    with psycopg.connect(admin_url, autocommit=True) as admin:
        admin.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))
    url = make_url(admin_url).set(database=name).render_as_string(hide_password=False)
    try:
        yield url
    finally:
        with psycopg.connect(admin_url, autocommit=True) as admin:
            admin.execute(sql.SQL("DROP DATABASE {} WITH (FORCE)").format(sql.Identifier(name)))


def base_env(api_url: str, prefect_home: Path) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("INVOICEBOT_", "PREFECT_"))}
    return env | {
        "PREFECT_API_URL": api_url,
        "PREFECT_HOME": str(prefect_home),
        "PREFECT_SERVER_ANALYTICS_ENABLED": "false",
        "PREFECT_LOGGING_TO_API_ENABLED": "false",
    }


@contextmanager
def prefect_server(admin_url: str, folder: Path) -> Iterator[tuple[dict[str, str], str, int]]:
    """Start a Prefect server on a fresh PostgreSQL database, the review deployment on it;
    yield the clients' environment, the server database's URL and the server's process
    group."""
    port = free_port()
    api_url = f"http://127.0.0.1:{port}/api"
    env = base_env(api_url, folder / "prefect")
    with fresh_database(admin_url, "prefect_bench") as database:
        server_env = env | {
            "PREFECT_SERVER_DATABASE_CONNECTION_URL": make_url(database)
            .set(drivername="postgresql+asyncpg")
            .render_as_string(hide_password=False),
        }
        log = (folder / "server.log").open("wb")
        server = subprocess.Popen(
            ["prefect", "server", "start", "--host", "127.0.0.1", "--port", str(port)],
            env=server_env,
            stdout=log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
        try:
            wait_healthy(api_url, server)
            subprocess.run(
                ["prefect", "work-pool", "create", "process", "--type", "process"],
                env=env,
                check=True,
                capture_output=True,
            )
            deploy_env = env | {"INVOICEBOT_INBOX": str(folder / "unused-inbox")}
            subprocess.run(
                ["prefect", "--no-prompt", "deploy", "--name", REVIEW_DEPLOYMENT],
                cwd=ROOT,
                env=deploy_env,
                check=True,
                capture_output=True,
            )
            yield env, database, server.pid
        finally:
            os.killpg(server.pid, signal.SIGTERM)
            server.wait(timeout=60)
            log.close()


def wait_healthy(api_url: str, server: subprocess.Popen[bytes]) -> None:
    deadline = time.monotonic() + SERVER_START_S
    while time.monotonic() < deadline:
        if server.poll() is not None:
            raise RuntimeError("the Prefect server stopped; see server.log")
        try:
            if httpx.get(f"{api_url}/health", timeout=2).status_code == 200:
                return
        except httpx.HTTPError:
            pass
        time.sleep(1)
    raise RuntimeError(f"no Prefect server after {SERVER_START_S} s")


def make_inbox(inbox: Path, count: int) -> tuple[dict[str, str], date]:
    """Write ``count`` generated text-PDF invoices into ``inbox``; return sha256 by name and
    the latest invoice date."""
    inbox.mkdir(parents=True)
    plans = [p for p in plan_documents(2 * count, SEED) if p.kind is Kind.TEXT_PDF][:count]
    if len(plans) < count:
        raise RuntimeError(f"the generator planned {len(plans)} text PDFs, not {count}")
    written = {}
    for plan in plans:
        data = render_document(plan, SEED)
        (inbox / plan.file_name).write_bytes(data)
        written[plan.file_name] = hashlib.sha256(data).hexdigest()
    return written, max(plan.invoice.issue_date for plan in plans)


def date_rules(folder: Path) -> Path:
    """Write the rule configuration of the benchmark: the generator dates a thousand invoices
    over several years, which the date rules would flag as old or future; the exceptions
    are then the generator's faults, as in a real inbox."""
    path = folder / "rules.yaml"
    path.write_text(f"dates:\n  max_age_days: {OLDEST_INVOICE_DAYS}\n", encoding="utf-8")
    return path


def process_groups() -> dict[int, list[int]]:
    """Return the pids of every process by process group, from /proc."""
    groups: dict[int, list[int]] = {}
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            stat = (entry / "stat").read_text()
        except OSError:
            continue
        fields = stat.rsplit(")", 1)[1].split()
        groups.setdefault(int(fields[2]), []).append(int(entry.name))
    return groups


def status_kb(pid: int, key: str, file: str = "status") -> int:
    try:
        for line in Path(f"/proc/{pid}/{file}").read_text().splitlines():
            if line.startswith(key + ":"):
                return int(line.split()[1])
    except OSError:
        return 0
    return 0


def sample_memory(workers: list[Worker]) -> None:
    groups = process_groups()
    for worker in workers:
        if worker.process.poll() is not None:
            continue
        worker.peak_main_kb = max(worker.peak_main_kb, status_kb(worker.pid, "VmHWM"))
        # Proportional set size: the pages the fork server shares with its reading processes
        # counted once.
        group = sum(status_kb(pid, "Pss", "smaps_rollup") for pid in groups.get(worker.pid, []))
        worker.peak_group_kb = max(worker.peak_group_kb, group)


def stored(engine: Engine) -> int:
    with engine.connect() as connection:
        return int(
            connection.execute(
                text("SELECT count(*) FROM document WHERE status <> 'processing'")
            ).scalar_one()
        )


def held_owner_prefix(pid: int) -> str:
    """Return the LIKE pattern of the claims of the run in process ``pid`` on this host."""
    return f"{socket.gethostname()[:80]}:{pid}:%"


def finished_by(engine: Engine, owner: str) -> int:
    with engine.connect() as connection:
        return int(
            connection.execute(
                text(
                    "SELECT count(*) FROM document "
                    "WHERE status <> 'processing' AND claimed_by LIKE :owner"
                ),
                {"owner": owner},
            ).scalar_one()
        )


def held_by(engine: Engine, pid: int) -> list[int]:
    """Return the documents the run of process ``pid`` (on this host) holds now."""
    owner = held_owner_prefix(pid)
    with engine.connect() as connection:
        rows = connection.execute(
            text("SELECT id FROM document WHERE status = 'processing' AND claimed_by LIKE :owner"),
            {"owner": owner},
        )
        return [int(row[0]) for row in rows]


def takeover_times(engine: Engine, documents: list[int]) -> dict[int, datetime]:
    if not documents:
        return {}
    with engine.connect() as connection:
        rows = connection.execute(
            text(
                "SELECT document_id, min(taken_at) FROM claim_takeover "
                "WHERE document_id = ANY(:ids) GROUP BY document_id"
            ),
            {"ids": documents},
        )
        return {int(row[0]): row[1] for row in rows}


def run_scenario(
    env: dict[str, str],
    prefect_database: str,
    admin_url: str,
    folder: Path,
    *,
    workers: int,
    invoices: int,
    kill_at: float | None,
    server_pgid: int,
    idle: Idle,
    settle_s: float,
    dask_workers: int = 0,
) -> Result:
    """Run ``workers`` batch runs at once over a fresh inbox and store (with ``dask_workers``,
    each on a Dask LocalCluster of that many processes); check; measure, the load on the
    server, the store and the storage included (until the server has recorded the runs, at
    least ``settle_s`` after they end)."""
    with fresh_database(admin_url, "invoicebot_bench") as store_url:
        engine = make_engine(store_url)
        init_store(engine)
        data_dir = folder / "data"
        inbox = folder / "inbox"
        written, latest = make_inbox(inbox, invoices)
        run_env = env | {
            "INVOICEBOT_RULES_REFERENCE_DATE": latest.isoformat(),
            "INVOICEBOT_RULES_CONFIG": str(date_rules(folder)),
            "INVOICEBOT_DATA_DIR": str(data_dir),
            "INVOICEBOT_DATABASE_URL": store_url,
            "INVOICEBOT_STABLE_SECONDS": "0",
        }
        if dask_workers:
            run_env |= {
                "INVOICEBOT_TASK_RUNNER": "dask",
                "INVOICEBOT_DASK_WORKERS": str(dask_workers),
            }
        meter = LoadMeter(
            admin_url,
            server_pgid,
            {"store": database_name(store_url), "prefect": database_name(prefect_database)},
        )
        inbox_bytes = sum(p.stat().st_size for p in inbox.iterdir())
        workers_cpu_before = reaped_children_cpu_s()
        meter.start()
        since = datetime.now(UTC)
        started = time.perf_counter()
        processes = []
        for n in range(workers):
            output = folder / f"worker-{n + 1}.json"
            with output.open("wb") as out, (folder / f"worker-{n + 1}.log").open("wb") as log:
                process = subprocess.Popen(
                    [sys.executable, "-m", "invoicebot", "run", "--inbox", str(inbox), "--json"],
                    env=run_env,
                    stdout=out,
                    stderr=log,
                    start_new_session=True,
                )
            processes.append(Worker(process, output))
        meter.add_workers(w.pid for w in processes)
        result = Result(
            workers, invoices, 0.0, killed=kill_at is not None, dask_workers=dask_workers
        )
        victim = processes[0]
        victim_owner = ""
        held: list[int] = []
        killed_at: datetime | None = None
        deadline = time.monotonic() + RUN_TIMEOUT_S
        while any(w.process.poll() is None for w in processes):
            if time.monotonic() > deadline:
                raise RuntimeError("the workers did not finish in time")
            sample_memory(processes)
            meter.sample()
            if kill_at is not None and killed_at is None and stored(engine) >= kill_at * invoices:
                # A run that holds documents now (between two, a run may hold none).
                holding = [w for w in processes if held_by(engine, w.pid)]
                if not holding:
                    time.sleep(SAMPLE_S / 10)
                    continue
                victim = holding[0]
                os.killpg(victim.pid, signal.SIGKILL)
                killed_at = datetime.now(UTC)
                held = held_by(engine, victim.pid)
                victim_owner = held_owner_prefix(victim.pid)
                victim.killed = True
                result.held_at_kill = len(held)
            time.sleep(SAMPLE_S)
        result.seconds = time.perf_counter() - started
        result.catch_up_s = settle(meter, prefect_database, settle_s)
        meter.stop()
        result.load = load_rows(
            meter,
            idle,
            invoices,
            reaped_children_cpu_s() - workers_cpu_before,
            storage_use(inbox_bytes, data_dir),
        )
        result.load["server's records complete, s after the runs ended"] = (
            f"{result.catch_up_s:.0f}"
        )
        result.table_writes = {
            f"rows written per invoice in the {role} database's tables": table_lines(load, invoices)
            for role, load in meter.loads.items()
        }
        if killed_at is not None:
            result.checks["documents finished by the killed run"] = finished_by(
                engine, victim_owner
            )
            taken = takeover_times(engine, held)
            result.takeover_s = [(taken[d] - killed_at).total_seconds() for d in held if d in taken]
            result.checks["held documents not taken over"] = len(held) - len(taken)
        result.checks |= check_exactly_once(
            engine, prefect_database, since, data_dir, inbox, written
        )
        result.table_writes["what the Prefect server recorded, per invoice"] = server_records(
            prefect_database, since, invoices
        )
        result.checks["runs failed (not killed)"] = sum(
            1 for w in processes if not w.killed and w.process.returncode != 0
        )
        result.checks["outcomes reported by finished runs"] = sum(
            len(json.loads(w.output.read_text())["invoices"])
            for w in processes
            if not w.killed and w.process.returncode == 0
        )
        result.peak_main_mb = [w.peak_main_kb / 1024 for w in processes]
        result.peak_group_mb = [w.peak_group_kb / 1024 for w in processes]
        engine.dispose()
    return result


def database_name(url: str) -> str:
    return str(make_url(url).database)


def settle(meter: LoadMeter, prefect_database: str, settle_s: float) -> float:
    """Go on sampling ``meter`` for ``settle_s``, then until the server's records (task runs,
    their states, events) stop growing for ``SETTLE_CHECK_S``: the server records the runs'
    events after them. Return the seconds it took."""
    started = time.monotonic()
    prefect_engine = make_engine(prefect_database)
    check_at = started + settle_s
    recorded = -1
    while True:
        time.sleep(SAMPLE_S)
        meter.sample()
        if time.monotonic() < check_at:
            continue
        with prefect_engine.connect() as connection:
            now = int(
                connection.execute(
                    text(
                        "SELECT (SELECT count(*) FROM task_run) "
                        "+ (SELECT count(*) FROM task_run_state) + (SELECT count(*) FROM events)"
                    )
                ).scalar_one()
            )
        if now == recorded or time.monotonic() - started > RUN_TIMEOUT_S:
            break
        recorded = now
        check_at = time.monotonic() + SETTLE_CHECK_S
    prefect_engine.dispose()
    return time.monotonic() - started - SETTLE_CHECK_S


def server_records(prefect_database: str, since: datetime, invoices: int) -> list[str]:
    """Return the task runs (by the first word of their name) and the events the server
    recorded since ``since``, per invoice, most first."""
    queries = {
        "task runs": "SELECT split_part(name, ' ', 1), count(*) FROM task_run "
        "WHERE created >= :since GROUP BY 1 ORDER BY 2 DESC LIMIT 8",
        "events": "SELECT event, count(*) FROM events "
        "WHERE occurred >= :since GROUP BY 1 ORDER BY 2 DESC LIMIT 12",
    }
    lines = []
    prefect_engine = make_engine(prefect_database)
    with prefect_engine.connect() as connection:
        for kind, query in queries.items():
            rows = connection.execute(text(query), {"since": since}).all()
            total = sum(int(row[1]) for row in rows)
            lines.append(f"{kind} (the most frequent): {total / invoices:.2f}")
            lines += [f"  {row[0]}: {int(row[1]) / invoices:.2f}" for row in rows]
    prefect_engine.dispose()
    return lines


def check_exactly_once(
    engine: Engine,
    prefect_database: str,
    since: datetime,
    data_dir: Path,
    inbox: Path,
    written: dict[str, str],
) -> dict[str, object]:
    """Return the exactly-once checks of a finished scenario."""
    with engine.connect() as connection:

        def one(query: str) -> int:
            return int(connection.execute(text(query)).scalar_one())

        documents = one("SELECT count(*) FROM document")
        distinct = one("SELECT count(DISTINCT sha256) FROM document")
        processing = one("SELECT count(*) FROM document WHERE status = 'processing'")
        invoices = one("SELECT count(*) FROM invoice")
        exceptions = one("SELECT count(*) FROM invoice WHERE status = 'exception'")
        review_rows = one("SELECT count(*) FROM review_run")
        review_distinct = one("SELECT count(DISTINCT flow_run_id) FROM review_run")
        takeovers = one("SELECT count(*) FROM claim_takeover")
    archive = data_dir / "archive"
    archived = [
        p for p in archive.rglob("*") if p.is_file() and not p.name.endswith(".reason.json")
    ]
    archived_shas = [hashlib.sha256(p.read_bytes()).hexdigest() for p in archived]
    prefect_engine = make_engine(prefect_database)
    with prefect_engine.connect() as connection:
        review_runs = int(
            connection.execute(
                text(
                    "SELECT count(*) FROM flow_run JOIN deployment "
                    "ON flow_run.deployment_id = deployment.id "
                    "WHERE deployment.name = :name AND flow_run.created >= :since"
                ),
                {"name": REVIEW_DEPLOYMENT, "since": since},
            ).scalar_one()
        )
    prefect_engine.dispose()
    left = [p.name for p in inbox.iterdir()]
    expected = set(written.values())
    return {
        "documents stored": documents,
        "documents stored twice": documents - distinct,
        "documents left processing": processing,
        "invoices": invoices,
        "exceptions": exceptions,
        "files archived": len(archived),
        "files archived twice": len(archived_shas) - len(set(archived_shas)),
        "lost (neither archived nor stored)": len(expected - set(archived_shas)),
        "left in the inbox": len(left),
        "review runs recorded": review_rows,
        "review runs distinct": review_distinct,
        "review runs on the server": review_runs,
        "takeovers recorded": takeovers,
    }


def exactly_once(result: Result) -> bool:
    checks = result.checks
    return (
        checks["documents stored"] == result.invoices
        and checks["documents stored twice"] == 0
        and checks["documents left processing"] == 0
        and checks["files archived"] == result.invoices
        and checks["files archived twice"] == 0
        and checks["lost (neither archived nor stored)"] == 0
        and checks["left in the inbox"] == 0
        and checks["exceptions"]
        == checks["review runs recorded"]
        == checks["review runs distinct"]
        == checks["review runs on the server"]
        and checks.get("held documents not taken over", 0) == 0
    )


def report(results: list[Result]) -> None:
    print("\n| batch runs | kill -9 | invoices | wall s | invoices/s | exactly once | takeover s "
          "| peak MB per worker (flow process RSS / whole group PSS) |")  # fmt: skip
    print("|---|---|---|---|---|---|---|---|")
    for r in results:
        takeover = "-"
        if r.killed:
            slowest = f"{max(r.takeover_s):.1f}" if r.takeover_s else "none"
            takeover = f"{slowest} max of {r.held_at_kill} held"
        peaks = ", ".join(
            f"{main:.0f}/{group:.0f}"
            for main, group in zip(r.peak_main_mb, r.peak_group_mb, strict=True)
        )
        runs = f"{r.workers}" + (f" (Dask, {r.dask_workers} processes)" if r.dask_workers else "")
        print(
            f"| {runs} | {'yes' if r.killed else 'no'} | {r.invoices} | {r.seconds:.0f} "
            f"| {r.invoices / r.seconds:.2f} | {'yes' if exactly_once(r) else 'NO'} "
            f"| {takeover} | {peaks} |"
        )
    names = [
        f"{r.workers} run{'s' if r.workers > 1 else ''}"
        + (", one killed" if r.killed else "")
        + (f", Dask ({r.dask_workers})" if r.dask_workers else "")
        for r in results
    ]
    print("\nLoad on the shared parts (CPU as seconds of one core; per invoice of the inbox):")
    print(f"\n| measure | {' | '.join(names)} |")
    print("|---|" + "---|" * len(results))
    for name in results[0].load:
        print(f"| {name} | {' | '.join(r.load.get(name, '-') for r in results)} |")
    for r in results:
        kind = "with kill -9" if r.killed else "no kill"
        dask = f" on Dask ({r.dask_workers} processes)" if r.dask_workers else ""
        print(f"\n{r.workers} runs{dask}, {kind}:", flush=True)
        for name, value in r.checks.items():
            print(f"  {name}: {value}")
        if r.takeover_s:
            print("  takeover seconds: " + ", ".join(f"{s:.1f}" for s in r.takeover_s))
        for heading, lines in r.table_writes.items():
            print(f"  {heading}:")
            for line in lines:
                print(f"    {line}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--invoices", type=int, default=1000)
    parser.add_argument("--workers", type=int, nargs="*", default=[2, 4])
    parser.add_argument("--kill-workers", type=int, default=4, help="0: no kill scenario")
    parser.add_argument("--kill-at", type=float, default=0.3, help="share stored before the kill")
    parser.add_argument(
        "--dask", type=int, default=0, help="N: also one run on a Dask LocalCluster of N processes"
    )
    parser.add_argument(
        "--postgres",
        default=os.environ.get(
            "INVOICEBOT_TEST_POSTGRES_URL", "postgresql://postgres@127.0.0.1:5432/test"
        ),
        help="a database on the PostgreSQL server to create the benchmark's databases from",
    )
    parser.add_argument(
        "--idle-s", type=float, default=30, help="seconds to measure the idle server's CPU"
    )
    parser.add_argument(
        "--settle-s", type=float, default=15, help="seconds measured at least after the runs end"
    )
    parser.add_argument(
        "--setting",
        action="append",
        default=[],
        metavar="INVOICEBOT_NAME=VALUE",
        help="a setting of the runs (repeatable), e.g. INVOICEBOT_STEP_TASK_RUNS=false",
    )
    args = parser.parse_args()
    settings = dict(setting.split("=", 1) for setting in args.setting)
    if any(not name.startswith("INVOICEBOT_") for name in settings):
        parser.error("--setting takes INVOICEBOT_NAME=VALUE")
    scenarios: list[tuple[int, float | None, int]] = [(n, None, 0) for n in args.workers]
    if args.kill_workers:
        scenarios.append((args.kill_workers, args.kill_at, 0))
    if args.dask:
        scenarios.append((1, None, args.dask))
    results = []
    with tempfile.TemporaryDirectory(prefix="invoicebot-workers-") as tmp:
        folder = Path(tmp)
        with prefect_server(args.postgres, folder) as (env, prefect_database, server_pgid):
            idle = measure_idle(
                args.postgres, server_pgid, database_name(prefect_database), args.idle_s
            )
            print(f"Prefect server idle: {idle.server_percent:.1f}% of a core, its database's "
                  f"backends {idle.prefect_db_percent:.1f}%", flush=True)  # fmt: skip
            for n, (workers, kill_at, dask_workers) in enumerate(scenarios):
                scenario = folder / f"scenario-{n}"
                scenario.mkdir()
                print(f"{workers} runs over {args.invoices} invoices"
                      + (f", one killed at {kill_at:.0%} stored" if kill_at else "")
                      + (f", on Dask ({dask_workers} processes)" if dask_workers else ""),
                      flush=True)  # fmt: skip
                result = run_scenario(
                    env | settings,
                    prefect_database,
                    args.postgres,
                    scenario,
                    workers=workers,
                    invoices=args.invoices,
                    kill_at=kill_at,
                    server_pgid=server_pgid,
                    idle=idle,
                    settle_s=args.settle_s,
                    dask_workers=dask_workers,
                )
                results.append(result)
                report([result])
    report(results)


if __name__ == "__main__":
    main()
