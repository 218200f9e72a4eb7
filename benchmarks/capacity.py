"""Capacity per core by kind of invoice, and the worker cores a monthly volume needs.

    uv run python benchmarks/capacity.py [--invoices 40]
        [--kinds text-pdf scanned-pdf image facturx]
        [--monthly 300000] [--mix text-pdf=0.55,scanned-pdf=0.30,image=0.05,facturx=0.10]
        [--hours-per-month 600] [--cores-per-worker 2] [--utilisation 0.7]
        [--postgres postgresql://postgres@127.0.0.1:5432/test]

The production topology, on this machine: a real Prefect server on a PostgreSQL database of its
own (with the ``review`` deployment, as ``benchmarks/workers.py`` starts it), the store on a
fresh PostgreSQL database per batch, and one ``invoicebot run`` over an inbox holding only one
kind, made by the sample generator (no resubmitted duplicates; a few invoices carry faults and
become exceptions, as in real batches).

What a worker core can do is measured in CPU time, not wall time, so that the figure holds on
a busy machine: the run (``invoicebot run``, its fork server and reading processes, tesseract)
is started in a cpuacct cgroup of its own, which counts the processes that ended too. A run's
fixed cost (starting Python, the flow, the fork server, each reading process loading its
models) is measured on a batch of the kind's first invoices, one per core, and taken off: the
figures are the difference between the two batches, per invoice, at steady state. Invoices
per hour per core = 3600 / worker CPU seconds per invoice.

The model: for ``--monthly`` invoices in the ``--mix``, the worker core-hours a month, the
cores needed when each works ``--hours-per-month`` at ``--utilisation``, and the workers of
``--cores-per-worker`` cores. The shared parts (the Prefect server, its database, the store)
are measured under several workers by ``benchmarks/workers.py``. Needs root (the cgroup) and
Linux's cgroup v1 cpuacct or cgroup v2.
"""

from __future__ import annotations

import argparse
import math
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

import pypdfium2

from benchmarks.cpu_group import CpuGroup, start_in
from benchmarks.workers import date_rules, fresh_database, prefect_server
from invoicebot.store import init_store, make_engine
from samples.invoices.generate import DocumentPlan, Kind, plan_documents, render_document

SEED = 2027
RUN_TIMEOUT_S = 3600
# The fixed cost's batch: one invoice per core, so that every reading process starts.
BASELINE_INVOICES = os.cpu_count() or 2
DEFAULT_MIX = "text-pdf=0.55,scanned-pdf=0.30,image=0.05,facturx=0.10"


@dataclass
class KindCost:
    """What one kind's invoices cost a worker at steady state."""

    kind: str
    invoices: int
    pages: int
    wall_s: float
    cpu_s: float

    @property
    def cpu_s_per_invoice(self) -> float:
        return self.cpu_s / self.invoices


def make_inbox(inbox: Path, kind: Kind, count: int) -> tuple[list[int], str]:
    """Write ``count`` generated invoices of ``kind`` (no duplicates) into ``inbox``; return
    the pages of each, in name order, and the latest invoice date. A plan holds at most two
    Factur-X: plans of further seeds are drawn until there are enough."""
    inbox.mkdir(parents=True)
    chosen: list[tuple[int, DocumentPlan]] = []
    seed = SEED
    while len(chosen) < count:
        plans = plan_documents(max(20, 2 * count), seed)
        chosen += [(seed, p) for p in plans if p.kind is kind and p.duplicate_of is None]
        seed += 1
    pages = {}
    for seed, plan in chosen[:count]:
        data = render_document(plan, seed)
        name = f"{seed}-{plan.file_name}"
        (inbox / name).write_bytes(data)
        pages[name] = len(pypdfium2.PdfDocument(data)) if name.endswith(".pdf") else 1
    latest = max(plan.invoice.issue_date for _, plan in chosen[:count])
    return [pages[name] for name in sorted(pages)], latest.isoformat()


def run_batch(env: dict[str, str], inbox: Path, log: Path) -> tuple[float, float]:
    """Run ``invoicebot run`` over ``inbox`` in a cgroup of its own; return its wall seconds
    and the CPU seconds of all its processes."""
    group = CpuGroup(f"invoicebot-capacity-{os.getpid()}-{inbox.parent.name}")
    try:
        started = time.perf_counter()
        with log.open("ab") as stderr:
            process = start_in(
                group,
                [sys.executable, "-m", "invoicebot", "run", "--inbox", str(inbox), "--json"],
                env=env,
                stdout=subprocess.DEVNULL,
                stderr=stderr,
            )
            process.wait(timeout=RUN_TIMEOUT_S)
        wall = time.perf_counter() - started
        if process.returncode != 0:
            log_tail = log.read_text(errors="replace")[-3000:]
            raise RuntimeError(f"invoicebot run exited {process.returncode}:\n{log_tail}")
        # The fork server and reading processes ended with the run; their time is counted.
        return wall, group.seconds()
    finally:
        group.remove()


def measure_kind(kind: Kind, count: int, env: dict[str, str], admin_url: str) -> KindCost:
    """Measure one kind: its first invoices, one per core, for the fixed cost, then all
    ``count`` of them."""
    with tempfile.TemporaryDirectory(prefix=f"capacity-{kind.value}-") as temp:
        folder = Path(temp)
        pages, latest = make_inbox(folder / "full" / "inbox", kind, count)
        first = BASELINE_INVOICES
        (folder / "first" / "inbox").mkdir(parents=True)
        for path in sorted((folder / "full" / "inbox").iterdir())[:first]:
            shutil.copy2(path, folder / "first" / "inbox" / path.name)
        costs = []
        for name in ("first", "full"):
            with fresh_database(admin_url, "invoicebot_capacity") as store_url:
                engine = make_engine(store_url)
                init_store(engine)
                engine.dispose()
                run_env = env | {
                    "INVOICEBOT_RULES_REFERENCE_DATE": latest,
                    "INVOICEBOT_RULES_CONFIG": str(date_rules(folder)),
                    "INVOICEBOT_DATA_DIR": str(folder / name / "data"),
                    "INVOICEBOT_DATABASE_URL": store_url,
                    "INVOICEBOT_STABLE_SECONDS": "0",
                }
                costs.append(run_batch(run_env, folder / name / "inbox", folder / "run.log"))
        (first_wall, first_cpu), (wall, cpu) = costs
        return KindCost(
            kind=kind.value,
            invoices=count - first,
            pages=sum(pages[first:]),
            wall_s=wall - first_wall,
            cpu_s=cpu - first_cpu,
        )


def parse_mix(text: str) -> dict[str, float]:
    mix = {}
    for part in text.split(","):
        name, _, share = part.partition("=")
        mix[Kind(name.strip()).value] = float(share)
    if abs(sum(mix.values()) - 1) > 1e-6:
        raise SystemExit(f"the mix's shares add up to {sum(mix.values())}, not 1")
    return mix


def report(costs: list[KindCost], args: argparse.Namespace) -> None:
    print(f"\nload average at the end: {os.getloadavg()}")
    print(
        f"\n{'kind':<12} {'invoices':>8} {'pages':>5} {'CPU s/invoice':>13} "
        f"{'invoices/h/core':>15} {'pages/s/core':>12} {'wall invoices/s':>15}"
    )
    for c in costs:
        print(
            f"{c.kind:<12} {c.invoices:>8} {c.pages:>5} {c.cpu_s_per_invoice:>13.3f} "
            f"{3600 / c.cpu_s_per_invoice:>15,.0f} {c.pages / c.cpu_s:>12.2f} "
            f"{c.invoices / c.wall_s:>15.2f}"
        )
    by_kind = {c.kind: c for c in costs}
    mix = parse_mix(args.mix)
    missing = sorted(set(mix) - set(by_kind))
    if missing:
        print(f"\nno model: the mix names kinds not measured: {', '.join(missing)}")
        return
    cpu_s = sum(share * by_kind[kind].cpu_s_per_invoice for kind, share in mix.items())
    cores = args.monthly * cpu_s / 3600 / (args.hours_per_month * args.utilisation)
    print(
        f"\nmodel: {args.monthly:,} invoices a month, mix {args.mix}; "
        f"{args.hours_per_month:g} h a month at {args.utilisation:.0%} use"
    )
    print(
        f"  worker CPU per invoice of the mix: {cpu_s:.3f} s "
        f"({3600 / cpu_s:,.0f} invoices per hour per core)"
    )
    print(
        f"  worker cores: {cores:.1f} -> {math.ceil(cores / args.cores_per_worker)} workers "
        f"of {args.cores_per_worker} cores"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--invoices", type=int, default=40, help="invoices per kind")
    parser.add_argument(
        "--kinds", nargs="+", default=[k.value for k in Kind], choices=[k.value for k in Kind]
    )
    parser.add_argument("--monthly", type=int, default=300_000)
    parser.add_argument("--mix", default=DEFAULT_MIX)
    parser.add_argument("--hours-per-month", type=float, default=600.0)
    parser.add_argument("--utilisation", type=float, default=0.7)
    parser.add_argument("--cores-per-worker", type=int, default=2)
    parser.add_argument("--postgres", default="postgresql://postgres@127.0.0.1:5432/test")
    args = parser.parse_args()
    if args.invoices <= BASELINE_INVOICES:
        raise SystemExit(f"--invoices must be over {BASELINE_INVOICES}, the fixed cost's batch")
    if os.geteuid() != 0:
        raise SystemExit("capacity.py needs root: it counts CPU time with a cgroup")
    parse_mix(args.mix)
    # Stopped, the benchmark still removes its cgroup and stops the Prefect server.
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))
    costs = []
    with (
        tempfile.TemporaryDirectory(prefix="capacity-") as temp,
        prefect_server(args.postgres, Path(temp)) as (env, _database, _server_pgid),
    ):
        for name in args.kinds:
            cost = measure_kind(Kind(name), args.invoices, env, args.postgres)
            print(cost, flush=True)
            costs.append(cost)
    report(costs, args)


if __name__ == "__main__":
    main()
