"""Milliseconds per invoice for the whole rule set, with 100,000 invoices in the store.

    uv run python benchmarks/rules_speed.py [--stored 100000] [--measure 2000]
        [--postgres postgresql://postgres@127.0.0.1:5432/test | --no-postgres]

For SQLite (a file) and PostgreSQL (a throw-away database next to the one named, skipped
when no server answers) it bulk-inserts ``--stored`` invoices of 2,000 suppliers, imports a
vendor master (those suppliers and the samples') with purchase orders, then times
``validate()`` with the store's look-ups on ``--measure`` invoices: the committed samples
and invoices of the stored suppliers, some of them repeats. Finally it replays the samples
into that full store, as a batch would, and prints precision and recall of exceptions
against their deliberate faults. Target: under 5 ms per invoice.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import statistics
import tempfile
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any

from sqlalchemy import insert, text
from sqlalchemy.engine import Engine
from sqlmodel import Session
from stdnum import luhn
from stdnum.fr import siren as fr_siren

from invoicebot.model import Extraction, InvoiceFields, InvoiceStatus, Line
from invoicebot.store import StoreHistory, init_store, make_engine
from invoicebot.store import master as master_data
from invoicebot.store.claims import claim_document
from invoicebot.store.engine import normalise_database_url
from invoicebot.store.repository import record_invoice
from invoicebot.store.tables import Document, Invoice
from validation import validate

ROOT = Path(__file__).resolve().parents[1]
SAMPLES = ROOT / "samples" / "invoices"
REFERENCE_DATE = date(2026, 11, 26)
EXTRA_KEYS = ("kind", "faults", "duplicate_of")
SUPPLIERS = 2_000
CHUNK = 5_000


def sample_records() -> list[dict[str, Any]]:
    """Return the committed samples' JSON, in name order."""
    return [json.loads(path.read_text()) for path in sorted(SAMPLES.glob("*.json"))]


def extraction_of(record: dict[str, Any]) -> Extraction:
    """Return a sample's expected extraction."""
    return Extraction.model_validate({k: v for k, v in record.items() if k not in EXTRA_KEYS})


def supplier(index: int) -> tuple[str, str]:
    """Return the (valid) French VAT number and the name of synthetic supplier ``index``."""
    body = f"{10_000_000 + index:08d}"
    siren = body + luhn.calc_check_digit(body)
    return "FR" + fr_siren.to_tva(siren), f"Fournisseur {index:05d} SAS"


def fill_store(engine: Engine, stored: int, rng: random.Random) -> None:
    """Bulk-insert ``stored`` invoices of ``SUPPLIERS`` suppliers, and the master data."""
    now = datetime.now(UTC)
    for start in range(0, stored, CHUNK):
        documents, invoices = [], []
        for n in range(start, min(start + CHUNK, stored)):
            vat_id, name = supplier(n % SUPPLIERS)
            issued = REFERENCE_DATE - timedelta(days=rng.randint(1, 730))
            documents.append(
                {
                    "id": n + 1,
                    "sha256": f"{n:064x}",
                    "source": f"inbox/synthetic-{n}.pdf",
                    "file_name": f"synthetic-{n}.pdf",
                    "size_bytes": 50_000,
                    "status": "approved",
                    "claimed_at": now,
                }
            )
            invoices.append(
                {
                    "id": n + 1,
                    "document_id": n + 1,
                    "status": "approved",
                    "pages": 1,
                    "invoice_number": f"F-{n:07d}",
                    "invoice_number_key": f"F{n:07d}",
                    "seller_key": f"vat:{vat_id}",
                    "seller_name": name,
                    "seller_vat_id": vat_id,
                    "invoice_date": issued,
                    "due_date": issued + timedelta(days=30),
                    "currency": "EUR",
                    "po_number": f"PO-{n:07d}" if n % 3 == 0 else None,
                    "total_net": Decimal(rng.randint(1_000, 5_000_000)) / 100,
                    "total_tax": Decimal(0),
                    "total_gross": Decimal(rng.randint(1_000, 5_000_000)) / 100,
                    "amount_due": None,
                    "confidence": {},
                    "created_at": now,
                }
            )
        with engine.begin() as connection:
            connection.execute(insert(Document), documents)
            connection.execute(insert(Invoice), invoices)
    with tempfile.TemporaryDirectory() as folder:
        vendors = Path(folder) / "vendors.csv"
        rows = ["vendor_id,name,vat_id,po_required"]
        rows += [f"BENCH-{i:05d},{supplier(i)[1]},{supplier(i)[0]},no" for i in range(SUPPLIERS)]
        vendors.write_text("\n".join(rows) + "\n")
        with Session(engine) as session:
            master_data.import_vendors(session, path=vendors)
            master_data.import_vendors(session, path=SAMPLES / "vendors.csv")
            master_data.import_orders(session, path=SAMPLES / "purchase_orders.csv")
            master_data.import_receipts(session, path=SAMPLES / "goods_receipts.csv")
    if engine.dialect.name == "postgresql":
        with engine.begin() as connection:
            # Ids were given explicitly: move the sequences past them.
            for table in ("document", "invoice"):
                connection.execute(
                    text(f"SELECT setval('{table}_id_seq', (SELECT max(id) FROM {table}))")
                )
    with engine.begin() as connection:
        connection.execute(text("ANALYZE"))


def synthetic_extraction(rng: random.Random, stored: int) -> Extraction:
    """Return an invoice of a stored supplier: new, or one in ten a repeat of a stored one;
    one in ten shows no VAT number (the supplier is then matched by name)."""
    n = rng.randrange(stored)
    vat_id, name = supplier(n % SUPPLIERS)
    shown_vat_id = vat_id if rng.random() >= 0.1 else None
    number = f"F-{n:07d}" if rng.random() < 0.1 else f"N-{rng.randrange(10**8):08d}"
    net = Decimal(rng.randint(1_000, 500_000)) / 100
    tax = (net * Decimal("0.2")).quantize(Decimal("0.01"))
    issued = REFERENCE_DATE - timedelta(days=rng.randint(1, 200))
    fields = InvoiceFields(
        invoice_number=number,
        invoice_date=issued,
        due_date=issued + timedelta(days=30),
        currency="EUR",
        seller_name=name,
        seller_vat_id=shown_vat_id,
        total_net=net,
        total_tax=tax,
        total_gross=net + tax,
        amount_due=net + tax,
        po_number=f"PO-{n:07d}" if n % 3 == 0 else None,
    )
    lines = [Line(description="Prestation", quantity=Decimal(1), unit_price=net,
                  net_amount=net, tax_rate=Decimal(20))]  # fmt: skip
    return Extraction(source=f"new-{n}.pdf", sha256="f" * 64, fields=fields, lines=lines)


def time_rules(engine: Engine, extractions: list[Extraction]) -> tuple[list[float], list[float]]:
    """Return the wall-clock and CPU milliseconds ``validate()`` took on each extraction, one
    session each (its connection is taken from the pool before the clock starts, as the
    pipeline has it). CPU time is this process's only: on a loaded machine the wall clock
    also counts the wait for a core, and for PostgreSQL the server's work and round trips."""
    wall, cpu = [], []
    for extraction in extractions:
        with Session(engine) as session:
            session.connection()
            started, started_cpu = time.perf_counter(), time.process_time()
            store = StoreHistory(session)
            validate(extraction, history=store, master=store, reference_date=REFERENCE_DATE)
            wall.append((time.perf_counter() - started) * 1000)
            cpu.append((time.process_time() - started_cpu) * 1000)
    return wall, cpu


def replay_samples(engine: Engine) -> tuple[float, float, int]:
    """Store the samples in name order as a batch would; return precision and recall of
    exceptions against their faults, and the number of clean samples flagged."""
    true = raised = expected = clean_flagged = 0
    for record in sample_records():
        extraction = extraction_of(record)
        faults = set(record["faults"])
        with Session(engine) as session:
            claim = claim_document(
                session,
                sha256=extraction.sha256,
                source=extraction.source,
                file_name=extraction.source,
                size_bytes=0,
                batch_id=None,
                stale_after=timedelta(hours=1),
            )
            store = StoreHistory(session)
            results = validate(
                extraction,
                history=store,
                master=store,
                reference_date=REFERENCE_DATE,
                document_id=claim.document_id,
            )
            exceptions = {result.rule for result in results if result.is_exception}
            record_invoice(
                session,
                document_id=claim.document_id,
                extraction=extraction,
                status=InvoiceStatus.EXCEPTION if exceptions else InvoiceStatus.APPROVED,
                results=results,
                archived_path="",
                seconds=0.0,
            )
        true += len(exceptions & faults)
        raised += len(exceptions)
        expected += len(faults)
        clean_flagged += bool(exceptions and not faults)
    return true / max(raised, 1), true / max(expected, 1), clean_flagged


@contextmanager
def sqlite_store() -> Iterator[Engine]:
    """Yield an engine on a fresh SQLite file."""
    with tempfile.TemporaryDirectory() as folder:
        engine = make_engine(f"sqlite:///{Path(folder) / 'bench.db'}")
        try:
            yield engine
        finally:
            engine.dispose()


@contextmanager
def postgres_store(admin_url: str) -> Iterator[Engine]:
    """Yield an engine on a throw-away database of the server at ``admin_url``."""
    name = f"invoicebot_bench_{uuid.uuid4().hex[:8]}"
    admin = make_engine(admin_url).execution_options(isolation_level="AUTOCOMMIT")
    with admin.connect() as connection:
        connection.execute(text(f'CREATE DATABASE "{name}"'))
    engine = make_engine(normalise_database_url(admin_url).rsplit("/", 1)[0] + f"/{name}")
    try:
        yield engine
    finally:
        engine.dispose()
        with admin.connect() as connection:
            connection.execute(text(f'DROP DATABASE "{name}" WITH (FORCE)'))
        admin.dispose()


def postgres_answers(url: str) -> bool:
    """Return True when a PostgreSQL server answers at ``url``."""
    try:
        engine = make_engine(url)
        with engine.connect() as connection:
            connection.execute(text("SELECT 1"))
        engine.dispose()
    except Exception as error:  # any failure to connect means: skip PostgreSQL
        print(f"PostgreSQL skipped: {type(error).__name__}: {error}".splitlines()[0])
        return False
    return True


def run_benchmark(engine: Engine, label: str, stored: int, measure: int) -> None:
    """Fill the store behind ``engine``, time the rules and replay the samples."""
    rng = random.Random(2026)
    init_store(engine)
    started = time.perf_counter()
    fill_store(engine, stored, rng)
    filled = time.perf_counter() - started
    samples = [extraction_of(record) for record in sample_records()]
    extractions = [
        samples[i % len(samples)] if i % 2 else synthetic_extraction(rng, stored)
        for i in range(measure)
    ]
    time_rules(engine, extractions[:50])  # warm the caches (compiled SQL, vendor names)
    wall, cpu = time_rules(engine, extractions)
    ordered = sorted(wall)
    precision, recall, clean_flagged = replay_samples(engine)
    print(
        f"{label}: {stored:,} invoices stored (filled in {filled:.1f} s); rules on "
        f"{measure:,} invoices: mean {statistics.fmean(wall):.2f} ms per invoice "
        f"(median {ordered[len(ordered) // 2]:.2f}, p95 {ordered[int(len(ordered) * 0.95)]:.2f}; "
        f"CPU {statistics.fmean(cpu):.2f} ms); target < 5 ms"
    )
    print(
        f"{label}: samples replayed into that store: precision {precision:.2f}, recall "
        f"{recall:.2f} of exceptions against the deliberate faults; "
        f"{clean_flagged} clean sample(s) flagged"
    )


def main() -> None:
    """Parse the arguments and run the benchmark on SQLite, then PostgreSQL."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--stored", type=int, default=100_000, help="invoices in the store")
    parser.add_argument("--measure", type=int, default=2_000, help="invoices validated")
    parser.add_argument(
        "--postgres",
        default=os.environ.get(
            "INVOICEBOT_TEST_POSTGRES_URL", "postgresql://postgres@127.0.0.1:5432/test"
        ),
        help="a database URL on the server (a throw-away database is made beside it)",
    )
    parser.add_argument("--no-postgres", action="store_true", help="SQLite only")
    arguments = parser.parse_args()
    load = os.getloadavg()[0] if hasattr(os, "getloadavg") else float("nan")
    print(f"{os.cpu_count()} cores, load average {load:.1f} when starting")
    with sqlite_store() as engine:
        run_benchmark(engine, "SQLite", arguments.stored, arguments.measure)
    if not arguments.no_postgres and postgres_answers(arguments.postgres):
        with postgres_store(arguments.postgres) as engine:
            run_benchmark(engine, "PostgreSQL", arguments.stored, arguments.measure)


if __name__ == "__main__":
    main()
