"""What the batch flow costs over a plain process pool, on the same text-PDF invoices.

    uv run python benchmarks/flow_overhead.py [--invoices 500] [--postgres [URL]]
        [--skip-flow] [--skip-pool] [--api-url URL]

Makes ``--invoices`` text-PDF invoices with the sample generator (the inbox of
``benchmarks/workers.py``), then processes them twice, each time from a fresh inbox and store
(SQLite in a fresh data dir; with ``--postgres``, a scratch database created on that server
and dropped after):

- through ``invoicebot run --json``, as a user runs it: the CLI's ephemeral Prefect server
  (its ``PREFECT_HOME`` migrated by one run over an empty inbox first, as a machine that ran
  it before), or the server at ``--api-url``;
- through a ``ProcessPoolExecutor`` of as many processes as cores, each calling
  ``invoicebot.pipeline.process_file`` (the function the flow's task calls) with the steps
  called directly, on the same store type.

Printed for each: wall seconds and invoices/s (for the flow, of the whole command and of
the batch alone), CPU seconds per invoice by process (the flow process or the pool's, the
reading processes, the Prefect server), and peak memory (the flow process's peak resident
set, and the sum of every process's proportional set size); then the flow's overhead over
the pool in % of the pool's figure. CPU is sampled from /proc every ``SAMPLE_S``: a process
that exits between two samples loses at most that much of its time.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Iterator
from concurrent.futures import ProcessPoolExecutor
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass, field
from pathlib import Path

from benchmarks.workers import date_rules, fresh_database, make_inbox, status_kb

SAMPLE_S = 0.2
PSS_EVERY = 5  # samples between two proportional-set-size sums (reading smaps costs)
TICKS = os.sysconf("SC_CLK_TCK")
READING = "reading processes"
SERVER = "Prefect server"
POOL = "pool workers"


@dataclass
class Usage:
    """What the processes under one root used, sampled from /proc."""

    root: int
    root_role: str
    ticks: dict[int, int] = field(default_factory=dict)
    roles: dict[int, str] = field(default_factory=dict)
    peak_root_kb: int = 0
    peak_pss_kb: int = 0
    # The sampling thread's own CPU time (in the root's when the root samples itself).
    sampler_s: float = 0.0

    def cpu_by_role(self) -> dict[str, float]:
        totals: dict[str, float] = {}
        for pid, ticks in self.ticks.items():
            role = self.roles[pid]
            totals[role] = totals.get(role, 0.0) + ticks / TICKS
        return totals


def _stat(pid: int) -> tuple[int, int] | None:
    """Return the parent pid and the CPU ticks (user + system) of ``pid``."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except OSError:
        return None
    return int(fields[1]), int(fields[11]) + int(fields[12])


def _cmdline(pid: int) -> str:
    try:
        return Path(f"/proc/{pid}/cmdline").read_bytes().replace(b"\0", b" ").decode()
    except OSError:
        return ""


def _role(pid: int, parents: dict[int, int], usage: Usage) -> str | None:
    """Return the role of ``pid`` when it descends from the root (None: another process)."""
    chain = []
    current = pid
    while current != usage.root:
        if current in usage.roles:
            break
        chain.append(current)
        parent = parents.get(current)
        if parent is None or parent <= 1:
            return None
        current = parent
    role = usage.roles.get(current, usage.root_role)
    for member in reversed(chain):
        command = _cmdline(member)
        if "forkserver" in command or role == READING:
            role = READING
        elif "uvicorn" in command or ("prefect" in command and "server" in command):
            role = SERVER
        elif "spawn_main" in command:
            role = POOL
        usage.roles[member] = role
    return usage.roles.get(pid, usage.root_role)


def _sample(usage: Usage, with_pss: bool) -> None:
    stats = {}
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit() and (stat := _stat(int(entry.name))) is not None:
            stats[int(entry.name)] = stat
    parents = {pid: parent for pid, (parent, _ticks) in stats.items()}
    usage.roles.setdefault(usage.root, usage.root_role)
    pss = 0
    for pid, (_parent, ticks) in stats.items():
        if pid != usage.root and _role(pid, parents, usage) is None:
            continue
        usage.ticks[pid] = max(usage.ticks.get(pid, 0), ticks)
        if with_pss:
            pss += status_kb(pid, "Pss", "smaps_rollup")
    usage.peak_root_kb = max(usage.peak_root_kb, status_kb(usage.root, "VmHWM"))
    usage.peak_pss_kb = max(usage.peak_pss_kb, pss)


@contextmanager
def sampled(root: int, root_role: str) -> Iterator[Usage]:
    """Sample the CPU and memory of ``root`` and its descendants while the block runs."""
    usage = Usage(root, root_role)
    stop = threading.Event()

    def loop() -> None:
        count = 0
        while not stop.wait(SAMPLE_S):
            _sample(usage, with_pss=count % PSS_EVERY == 0)
            count += 1
        usage.sampler_s = time.thread_time()

    thread = threading.Thread(target=loop, daemon=True)
    thread.start()
    try:
        yield usage
    finally:
        stop.set()
        thread.join()


@dataclass
class Figures:
    """One way of processing the invoices, measured."""

    name: str
    invoices: int
    wall_s: float
    cpu_s: dict[str, float]
    root: str
    peak_root_mb: float
    peak_pss_mb: float
    batch_s: float | None = None

    @property
    def cpu_total(self) -> float:
        return sum(self.cpu_s.values())


def run_env(folder: Path, store_url: str | None, latest: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("INVOICEBOT_", "PREFECT_"))}
    env |= {
        "INVOICEBOT_DATA_DIR": str(folder / "data"),
        "INVOICEBOT_RULES_REFERENCE_DATE": latest,
        "INVOICEBOT_RULES_CONFIG": str(date_rules(folder)),
        # Files written before the run: no wait for them to settle.
        "INVOICEBOT_STABLE_SECONDS": "0",
        "PREFECT_SERVER_ANALYTICS_ENABLED": "false",
    }
    if store_url is not None:
        env["INVOICEBOT_DATABASE_URL"] = store_url
    return env


def through_flow(folder: Path, env: dict[str, str], inbox: Path, invoices: int) -> Figures:
    """Run ``invoicebot run --json`` over ``inbox``; return its figures."""
    command = [sys.executable, "-m", "invoicebot", "run", "--inbox", str(inbox), "--json"]
    output, log = folder / "flow.json", folder / "flow.log"
    started = time.perf_counter()
    with output.open("wb") as out, log.open("wb") as err:
        process = subprocess.Popen(command, env=env, stdout=out, stderr=err)
    with sampled(process.pid, "flow process") as usage:
        # Waited without reaping: the exited process's own CPU time is still in /proc.
        os.waitid(os.P_PID, process.pid, os.WEXITED | os.WNOWAIT)
        wall = time.perf_counter() - started
        stat = _stat(process.pid)
        if stat is not None:
            usage.ticks[process.pid] = stat[1]
    if process.wait() != 0:
        raise RuntimeError(f"invoicebot run failed: see {log}\n{log.read_text()[-3000:]}")
    summary = json.loads(output.read_text())
    stored = len(summary["invoices"])
    if stored != invoices or summary["failures"]:
        raise RuntimeError(f"the flow gave {stored} outcomes of {invoices}: see {log}")
    throughput = summary["kpis"]["throughput_per_hour"]
    return Figures(
        "invoicebot run",
        invoices,
        wall,
        usage.cpu_by_role(),
        "flow process",
        usage.peak_root_kb / 1024,
        usage.peak_pss_kb / 1024,
        batch_s=3600 * invoices / throughput if throughput else None,
    )


def _pool_process(path: Path, batch_id: int) -> int:
    """Process one file as the flow's task does, the steps called directly; return its
    outcomes."""
    from invoicebot.pipeline import PipelineContext, extract_options, process_file
    from invoicebot.settings import Settings
    from invoicebot.store.engine import shared_engine

    settings = Settings()
    context = PipelineContext(
        settings=settings,
        engine=shared_engine(settings.resolved_database_url),
        batch_id=batch_id,
        options=extract_options(
            settings, parallel_documents=os.cpu_count() or 2, check_templates=False
        ),
    )
    outcomes = process_file(path, context)
    if not isinstance(outcomes, list):
        raise RuntimeError(f"{path.name}: {outcomes}")
    return len(outcomes)


def through_pool(env: dict[str, str], inbox: Path, invoices: int) -> Figures:
    """Process ``inbox`` on a process pool of one process per core; return its figures."""
    import multiprocessing

    from sqlmodel import Session

    from invoicebot.pipeline import discover_inbox
    from invoicebot.settings import Settings
    from invoicebot.store.engine import shared_engine
    from invoicebot.store.repository import start_batch

    # The pool's processes read their settings from the environment, as the flow's do.
    saved = dict(os.environ)
    os.environ.clear()
    os.environ.update(env)
    try:
        settings = Settings()
        engine = shared_engine(settings.resolved_database_url)
        from invoicebot.store import init_store

        init_store(engine)
        with Session(engine) as session:
            batch_id = start_batch(session, inbox=str(inbox), flow_run_id=None)
        started = time.perf_counter()
        cpu_before = os.times()
        with sampled(os.getpid(), "pool parent") as usage:
            paths = discover_inbox(inbox)
            context = multiprocessing.get_context("spawn")
            with ProcessPoolExecutor(os.cpu_count() or 2, mp_context=context) as pool:
                counts = list(pool.map(_pool_process, paths, [batch_id] * len(paths)))
            wall = time.perf_counter() - started
        cpu_after = os.times()
    finally:
        os.environ.clear()
        os.environ.update(saved)
    if sum(counts) != invoices:
        raise RuntimeError(f"the pool gave {sum(counts)} outcomes of {invoices}")
    cpu = usage.cpu_by_role()
    # The parent's own time, without the sampling thread's.
    parent = (cpu_after.user - cpu_before.user) + (cpu_after.system - cpu_before.system)
    cpu["pool parent"] = parent - usage.sampler_s
    return Figures(
        "process pool",
        invoices,
        wall,
        cpu,
        "pool parent",
        usage.peak_root_kb / 1024,
        usage.peak_pss_kb / 1024,
    )


def warm_prefect_home(env: dict[str, str], folder: Path) -> None:
    """Run the CLI once over an empty inbox: the ephemeral server's database is migrated."""
    empty = folder / "empty-inbox"
    empty.mkdir()
    subprocess.run(
        [sys.executable, "-m", "invoicebot", "run", "--inbox", str(empty), "--json"],
        env=env | {"INVOICEBOT_DATA_DIR": str(folder / "warm-data")},
        check=True,
        capture_output=True,
    )


def print_figures(figures: Figures) -> None:
    n, wall = figures.invoices, figures.wall_s
    print(f"\n{figures.name}: {n} invoices in {wall:.1f} s wall = {n / wall:.1f} invoices/s",
          flush=True)  # fmt: skip
    if figures.batch_s:
        print(f"  the batch alone (flow's machine time): {figures.batch_s:.1f} s = "
              f"{n / figures.batch_s:.1f} invoices/s")  # fmt: skip
    print(f"  CPU s/invoice: {figures.cpu_total / n:.4f} total")
    for role, seconds in sorted(figures.cpu_s.items()):
        print(f"    {role:<20} {seconds / n:.4f}  ({seconds:.1f} s)")
    print(f"  peak memory: {figures.peak_root_mb:.0f} MB resident ({figures.root}), "
          f"{figures.peak_pss_mb:.0f} MB proportional, all processes")  # fmt: skip


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--invoices", type=int, default=500)
    parser.add_argument(
        "--postgres",
        nargs="?",
        const="postgresql://root@127.0.0.1:5432/test",
        help="store on a scratch database created on this server (default server: %(const)s)",
    )
    parser.add_argument("--api-url", help="a running Prefect server (default: ephemeral)")
    parser.add_argument("--skip-flow", action="store_true")
    parser.add_argument("--skip-pool", action="store_true")
    args = parser.parse_args()

    results: dict[str, Figures] = {}
    with tempfile.TemporaryDirectory(prefix="invoicebot-overhead-") as tmp, ExitStack() as stack:
        folder = Path(tmp)
        prefect_home = folder / "prefect"
        runs = [("flow", not args.skip_flow), ("pool", not args.skip_pool)]
        for name, wanted in runs:
            if not wanted:
                continue
            scenario = folder / name
            inbox = scenario / "inbox"
            scenario.mkdir()
            _written, latest = make_inbox(inbox, args.invoices)
            store_url = None
            if args.postgres:
                store_url = stack.enter_context(fresh_database(args.postgres, "invoicebot_ovh"))
            env = run_env(scenario, store_url, latest.isoformat())
            env["PREFECT_HOME"] = str(prefect_home)
            if args.api_url:
                env["PREFECT_API_URL"] = args.api_url
            if name == "flow":
                if not args.api_url:
                    warm_prefect_home(env, scenario)
                results[name] = through_flow(scenario, env, inbox, args.invoices)
            else:
                results[name] = through_pool(env, inbox, args.invoices)
            print_figures(results[name])
    store = "PostgreSQL" if args.postgres else "SQLite"
    print(f"\nstore: {store}; cores: {os.cpu_count()}; load average: {os.getloadavg()}")
    if "flow" in results and "pool" in results:
        flow, pool = results["flow"], results["pool"]
        batch = flow.batch_s or flow.wall_s
        print("flow overhead over the pool, in % of the pool's figure:")
        print(f"  wall, whole command: {100 * (flow.wall_s / pool.wall_s - 1):+.1f}%")
        print(f"  wall, the batch alone: {100 * (batch / pool.wall_s - 1):+.1f}%")
        print(f"  CPU, all processes: {100 * (flow.cpu_total / pool.cpu_total - 1):+.1f}%")


if __name__ == "__main__":
    main()
