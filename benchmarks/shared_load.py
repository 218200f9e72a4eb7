"""The load a benchmark puts on the shared parts: the Prefect server, PostgreSQL, the workers.

``LoadMeter`` samples, every call of ``sample()`` during a window, from /proc (psutil) and
from PostgreSQL's own statistics views:

- CPU seconds of the Prefect server's process group (the ``prefect server start`` process and
  its children), of the PostgreSQL backends serving each named database (told apart by their
  pid in ``pg_stat_activity``), of the whole PostgreSQL cluster (the postmaster, its live
  children and the children it reaped: other databases and jobs included), and of the
  workers' process groups (flow process, fork server, reading processes);
- per database, ``pg_stat_database``'s counters over the window (transactions, rows written,
  blocks read and hit, deadlocks, time spent executing statements) and, sampled, the peak
  number of connections and of backends waiting on a lock.

A backend that exits between two samples keeps the CPU time of its last sample; a process
group's children reaped by one of its members are counted in that member (``children_*``).
"""

from __future__ import annotations

import os
import resource
import time
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import TypeAlias

import psutil
import psycopg

PG_COUNTERS = (
    "xact_commit",
    "xact_rollback",
    "tup_inserted",
    "tup_updated",
    "tup_deleted",
    "tup_returned",
    "tup_fetched",
    "blks_read",
    "blks_hit",
    "deadlocks",
    "active_time",
)
STAT_DATABASE = (
    f"SELECT datname, {', '.join(PG_COUNTERS)} FROM pg_stat_database WHERE datname = ANY(%s)"
)
TABLE_WRITES = "SELECT relname, n_tup_ins, n_tup_upd, n_tup_del FROM pg_stat_user_tables"
ACTIVITY = (
    "SELECT pid, datname, wait_event_type FROM pg_stat_activity "
    "WHERE datname = ANY(%s) AND backend_type = 'client backend'"
)

ProcessKey: TypeAlias = tuple[int, float]


@dataclass
class Rate:
    """A cumulative CPU figure sampled over time: its total and its peak rate."""

    points: list[tuple[float, float]] = field(default_factory=list)

    def add(self, at: float, cumulative_s: float) -> None:
        self.points.append((at, cumulative_s))

    @property
    def seconds(self) -> float:
        return self.points[-1][1] - self.points[0][1] if len(self.points) > 1 else 0.0

    @property
    def last(self) -> float:
        return self.points[-1][1] if self.points else 0.0

    @property
    def wall_s(self) -> float:
        return self.points[-1][0] - self.points[0][0] if len(self.points) > 1 else 0.0

    @property
    def mean_percent(self) -> float:
        return 100 * self.seconds / self.wall_s if self.wall_s else 0.0

    @property
    def peak_percent(self) -> float:
        """Return the highest CPU share (% of one core) over any two consecutive samples."""
        rates = [
            100 * (c2 - c1) / (t2 - t1)
            for (t1, c1), (t2, c2) in zip(self.points, self.points[1:], strict=False)
            if t2 > t1
        ]
        return max(rates, default=0.0)


@dataclass
class DatabaseLoad:
    """What one database's backends did over the window."""

    name: str
    cpu: Rate = field(default_factory=Rate)
    counters: dict[str, float] = field(default_factory=dict)
    peak_connections: int = 0
    table_writes: dict[str, tuple[int, int, int]] = field(default_factory=dict)
    peak_lock_waits: int = 0
    samples_with_lock_waits: int = 0

    @property
    def transactions(self) -> float:
        return self.counters.get("xact_commit", 0.0) + self.counters.get("xact_rollback", 0.0)

    @property
    def rows_written(self) -> float:
        return sum(
            self.counters.get(k, 0.0) for k in ("tup_inserted", "tup_updated", "tup_deleted")
        )


def process_cpu() -> tuple[dict[int, float], float]:
    """Return the CPU seconds by process group (of the live members and of the children they
    reaped), and those of every PostgreSQL process: the postmaster with the children it
    reaped, and its live children."""
    groups: dict[int, float] = {}
    cluster = 0.0
    for process in psutil.process_iter(["name", "ppid", "cpu_times"]):
        times = process.info["cpu_times"]
        if times is None:
            continue
        own = times.user + times.system
        reaped = times.children_user + times.children_system
        try:
            pgid = os.getpgid(process.pid)
        except ProcessLookupError:
            continue
        groups[pgid] = groups.get(pgid, 0.0) + own + reaped
        if process.info["name"] == "postgres":
            try:
                postmaster = psutil.Process(process.info["ppid"]).name() != "postgres"
            except psutil.Error:
                continue
            cluster += own + (reaped if postmaster else 0.0)
    return groups, cluster


@dataclass
class LoadMeter:
    """Samples the shared parts' load over one window: ``start``, ``sample``..., ``stop``.

    ``databases`` names the databases to follow by role (``{"store": "invoicebot_x"}``);
    ``admin_url`` is a connection to another database of the same server, so that the meter's
    own queries are not counted in theirs.
    """

    admin_url: str
    server_pgid: int
    databases: dict[str, str]
    server: Rate = field(default_factory=Rate)
    cluster: Rate = field(default_factory=Rate)
    workers: dict[int, Rate] = field(default_factory=dict)
    loads: dict[str, DatabaseLoad] = field(default_factory=dict)
    _baseline: dict[ProcessKey, float] = field(default_factory=dict)
    _backends: dict[str, dict[ProcessKey, float]] = field(default_factory=dict)
    _counters_at_start: dict[str, dict[str, float]] = field(default_factory=dict)
    _tables_at_start: dict[str, dict[str, tuple[int, int, int]]] = field(default_factory=dict)
    _connection: psycopg.Connection[tuple[object, ...]] | None = None

    def start(self) -> None:
        """Open the window: note every process's CPU time and the databases' counters."""
        self._connection = psycopg.connect(self.admin_url, autocommit=True)
        self.loads = {role: DatabaseLoad(name) for role, name in self.databases.items()}
        self._backends = {role: {} for role in self.databases}
        self._baseline = {}
        for process in psutil.process_iter(["create_time", "cpu_times"]):
            times = process.info["cpu_times"]
            if times is not None:
                self._baseline[(process.pid, process.info["create_time"])] = (
                    times.user + times.system
                )
        tables_at_start = {role: self._table_writes(name) for role, name in self.databases.items()}
        self._counters_at_start = self._counters()
        self.sample()
        self._tables_at_start = tables_at_start

    def add_workers(self, worker_pgids: Iterable[int]) -> None:
        """Follow these process groups, started in the window (their CPU time counts whole)."""
        now = time.monotonic()
        for pgid in worker_pgids:
            self.workers.setdefault(pgid, Rate()).add(now, 0.0)

    def sample(self) -> None:
        now = time.monotonic()
        groups, cluster = process_cpu()
        self.server.add(now, groups.get(self.server_pgid, 0.0))
        self.cluster.add(now, cluster)
        for pgid, rate in self.workers.items():
            if pgid in groups:
                rate.add(now, groups[pgid])
        self._sample_backends(now)

    def stop(self) -> None:
        """Close the window: a last sample, and the counters' differences."""
        self.sample()
        end = self._counters()
        for role, load in self.loads.items():
            start = self._counters_at_start.get(role, {})
            load.counters = {k: v - start.get(k, 0.0) for k, v in end.get(role, {}).items()}
            before = self._tables_at_start.get(role, {})
            for table, (ins, upd, dele) in self._table_writes(load.name).items():
                ins0, upd0, dele0 = before.get(table, (0, 0, 0))
                if (ins - ins0, upd - upd0, dele - dele0) != (0, 0, 0):
                    load.table_writes[table] = (ins - ins0, upd - upd0, dele - dele0)
        self._admin().close()
        self._connection = None

    def _admin(self) -> psycopg.Connection[tuple[object, ...]]:
        if self._connection is None:
            raise RuntimeError("the load meter was not started")
        return self._connection

    def _counters(self) -> dict[str, dict[str, float]]:
        roles = {name: role for role, name in self.databases.items()}
        rows = self._admin().execute(STAT_DATABASE, [list(roles)]).fetchall()
        return {
            roles[str(row[0])]: {
                name: float(str(value or 0))
                for name, value in zip(PG_COUNTERS, row[1:], strict=True)
            }
            for row in rows
        }

    def _table_writes(self, database: str) -> dict[str, tuple[int, int, int]]:
        """Return the rows inserted, updated and deleted so far by table of ``database``
        (its statistics, read from a connection of its own: outside the counted window)."""
        conninfo = psycopg.conninfo.make_conninfo(self.admin_url, dbname=database)
        with psycopg.connect(conninfo, autocommit=True) as connection:
            rows = connection.execute(TABLE_WRITES).fetchall()
        return {str(row[0]): (int(str(row[1])), int(str(row[2])), int(str(row[3]))) for row in rows}

    def _sample_backends(self, now: float) -> None:
        roles = {name: role for role, name in self.databases.items()}
        rows = self._admin().execute(ACTIVITY, [list(roles)]).fetchall()
        connections = dict.fromkeys(self.databases, 0)
        waiting = dict.fromkeys(self.databases, 0)
        for pid, datname, wait_event_type in rows:
            role = roles[str(datname)]
            connections[role] += 1
            waiting[role] += wait_event_type == "Lock"
            try:
                process = psutil.Process(int(str(pid)))
                key = (process.pid, process.create_time())
                times = process.cpu_times()
            except psutil.Error:
                continue
            self._backends[role][key] = times.user + times.system - self._baseline.get(key, 0.0)
        for role, load in self.loads.items():
            load.cpu.add(now, sum(self._backends[role].values()))
            load.peak_connections = max(load.peak_connections, connections[role])
            load.peak_lock_waits = max(load.peak_lock_waits, waiting[role])
            load.samples_with_lock_waits += waiting[role] > 0


@dataclass
class Storage:
    """What a scenario left on the shared storage."""

    inbox_bytes: int
    archive_bytes: int
    archive_files: int
    other_bytes: int
    partial_copies: int


def folder_bytes(folder: Path) -> tuple[int, int]:
    """Return the bytes and the number of files under ``folder``, each inode counted once."""
    inodes: dict[tuple[int, int], int] = {}
    for path in folder.rglob("*"):
        if path.is_file():
            stat = path.stat()
            inodes[(stat.st_dev, stat.st_ino)] = stat.st_size
    return sum(inodes.values()), len(inodes)


def storage_use(inbox_bytes: int, data_dir: Path) -> Storage:
    archive = data_dir / "archive"
    archive_bytes, archive_files = folder_bytes(archive)
    total_bytes, _ = folder_bytes(data_dir)
    return Storage(
        inbox_bytes=inbox_bytes,
        archive_bytes=archive_bytes,
        archive_files=archive_files,
        other_bytes=total_bytes - archive_bytes,
        partial_copies=sum(1 for _ in archive.rglob(".*.partial")),
    )


@dataclass
class Idle:
    """The Prefect server's and its database's CPU share with no run going (% of a core)."""

    server_percent: float
    prefect_db_percent: float


def load_rows(
    meter: LoadMeter, idle: Idle, invoices: int, worker_cpu_s: float, storage: Storage
) -> dict[str, str]:
    """Return the figures of one window by name, per invoice where it says so."""

    def per_invoice_ms(seconds: float) -> str:
        return f"{1000 * seconds / invoices:.1f}"

    window = meter.server.wall_s
    server_net = meter.server.seconds - idle.server_percent / 100 * window
    store, prefect = meter.loads["store"], meter.loads["prefect"]
    prefect_net = prefect.cpu.seconds - idle.prefect_db_percent / 100 * window
    statement_ms = store.counters.get("active_time", 0.0)
    return {
        "window s (the runs, then until the server's records are complete)": f"{window:.0f}",
        "workers: CPU ms/invoice (runs with their reading processes)": per_invoice_ms(worker_cpu_s),
        "workers, sampled: CPU ms/invoice, peak % of a core of one run": (
            f"{per_invoice_ms(sum(r.last for r in meter.workers.values()))}, "
            f"{max((r.peak_percent for r in meter.workers.values()), default=0.0):.0f}"
        ),
        "Prefect server: CPU ms/invoice, less its idle share": per_invoice_ms(server_net),
        "Prefect server: CPU % of a core, mean / peak": (
            f"{meter.server.mean_percent:.0f} / {meter.server.peak_percent:.0f}"
        ),
        "Prefect database backends: CPU ms/invoice, less idle": per_invoice_ms(prefect_net),
        "Prefect database: transactions/invoice": f"{prefect.transactions / invoices:.1f}",
        "Prefect database: rows written/invoice": f"{prefect.rows_written / invoices:.1f}",
        "Prefect database: peak connections": str(prefect.peak_connections),
        "store backends: CPU ms/invoice": per_invoice_ms(store.cpu.seconds),
        "store backends: CPU % of a core, mean / peak": (
            f"{store.cpu.mean_percent:.0f} / {store.cpu.peak_percent:.0f}"
        ),
        "store: transactions/invoice (rolled back)": (
            f"{store.transactions / invoices:.1f} "
            f"({store.counters.get('xact_rollback', 0.0) / invoices:.2f})"
        ),
        "store: rows written/invoice": f"{store.rows_written / invoices:.1f}",
        "store: blocks hit / read per invoice": (
            f"{store.counters.get('blks_hit', 0.0) / invoices:.0f} / "
            f"{store.counters.get('blks_read', 0.0) / invoices:.1f}"
        ),
        "store: statement time ms/invoice, ms/transaction": (
            f"{statement_ms / invoices:.1f}, "
            f"{statement_ms / store.transactions if store.transactions else 0.0:.2f}"
        ),
        "store: peak connections": str(store.peak_connections),
        "store: lock waits (samples with one / peak waiting) / deadlocks": (
            f"{store.samples_with_lock_waits} / {store.peak_lock_waits} / "
            f"{store.counters.get('deadlocks', 0.0):.0f}"
        ),
        "all PostgreSQL processes (other jobs' too): CPU ms/invoice": per_invoice_ms(
            meter.cluster.seconds
        ),
        "storage: inbox bytes/invoice, archive bytes/invoice": (
            f"{storage.inbox_bytes / invoices:,.0f}, {storage.archive_bytes / invoices:,.0f}"
        ),
        "storage: archive files/invoice, other data bytes/invoice, copies": (
            f"{storage.archive_files / invoices:.2f}, {storage.other_bytes / invoices:,.0f}, "
            f"{storage.partial_copies}"
        ),
    }


def reaped_children_cpu_s() -> float:
    """Return the CPU seconds of this process's finished children and of theirs (a killed
    run's orphaned reading processes are not among them)."""
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def measure_idle(admin_url: str, server_pgid: int, prefect_database: str, seconds: float) -> Idle:
    """Return the Prefect server's and its database's CPU share with no run going, sampled
    every half second for ``seconds``."""
    meter = LoadMeter(admin_url, server_pgid, {"prefect": prefect_database})
    meter.start()
    ends = time.monotonic() + seconds
    while time.monotonic() < ends:
        time.sleep(0.5)
        meter.sample()
    meter.stop()
    return Idle(meter.server.mean_percent, meter.loads["prefect"].cpu.mean_percent)


def table_lines(load: DatabaseLoad, invoices: int, top: int = 8) -> list[str]:
    """Return the tables of ``load`` most written to, with rows inserted, updated and deleted
    per invoice."""
    ranked = sorted(load.table_writes.items(), key=lambda item: -sum(item[1]))[:top]
    return [
        f"{table}: {ins / invoices:.2f} inserted, {upd / invoices:.2f} updated, "
        f"{dele / invoices:.2f} deleted"
        for table, (ins, upd, dele) in ranked
    ]
