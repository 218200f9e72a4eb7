"""`invoicebot export fec|csv|parquet` after a real batch (`tests/e2e/batch.py`: text PDF,
scan, photo, Factur-X): every entry balances; `export cii|facturx` after it: every file passes
the official rules (a Factur-X file also our PDF/A-3 checks) and reads back; an invoice
lacking a mandatory business term is listed, not written."""

from __future__ import annotations

import json
from collections import defaultdict
from datetime import date
from decimal import Decimal
from pathlib import Path

import pandas as pd
from sqlmodel import Session, select

from extractors import extract_document
from extractors.einvoice import read_einvoice
from invoicebot.books.einvoices import split_failures
from invoicebot.books.fec import FEC_COLUMNS
from invoicebot.books.pdfa import check_pdfa3
from invoicebot.model import Method
from invoicebot.store import init_store, make_engine
from invoicebot.store.tables import Invoice
from tests.e2e.batch import BATCH_APPROVED, BATCH_EXCEPTION, ProcessedBatch
from tests.e2e.test_cli import invoicebot, isolated_env
from tests.unit.store.test_books import store_invoice
from validation.official import validate_file


def read_fec(path: Path) -> list[dict[str, str]]:
    text = path.read_bytes().decode("utf-8")
    header, *records = text.split("\r\n")[:-1]
    assert header.split("\t") == list(FEC_COLUMNS)
    return [dict(zip(FEC_COLUMNS, record.split("\t"), strict=True)) for record in records]


def amount(text: str) -> Decimal:
    assert "." not in text
    return Decimal(text.replace(",", "."))


def test_export_after_a_batch_writes_balanced_entries(
    processed_batch: ProcessedBatch, tmp_path: Path
) -> None:
    env = processed_batch.copied_to(tmp_path)
    approved = [i for i in processed_batch.summary["invoices"] if i["status"] == "approved"]
    assert len(approved) == len(BATCH_APPROVED)

    out = tmp_path / "books" / "journal.txt"
    out.parent.mkdir()
    done = invoicebot("export", "fec", "--out", str(out), "--json", "--strict", env=env)
    assert done.returncode == 0, done.stderr[-3000:]
    summary = json.loads(done.stdout)
    assert (summary["entries"], summary["skipped"]) == (len(approved), [])
    records = read_fec(out)
    assert len(records) == summary["lines"]
    by_entry: dict[str, list[dict[str, str]]] = defaultdict(list)
    for record in records:
        by_entry[record["EcritureNum"]].append(record)
        assert len(record["EcritureDate"]) == 8 and record["EcritureDate"].isdigit()
    assert sorted(by_entry) == [f"HA{n:06d}" for n in range(1, len(approved) + 1)]
    grosses = sorted(
        invoice.total_gross
        for invoice in stored_invoices(tmp_path).values()
        if invoice.status == "approved"
    )
    credits = []
    for lines in by_entry.values():
        debit = sum(amount(line["Debit"]) for line in lines)
        credit = sum(amount(line["Credit"]) for line in lines)
        assert debit == credit
        (supplier,) = [line for line in lines if line["CompteNum"] == "401"]
        assert supplier["CompAuxNum"]
        credits.append(amount(supplier["Credit"]))
    assert sorted(credits) == grosses

    # Re-running gives the same file; the tables hold the same lines.
    again = tmp_path / "books" / "again.txt"
    assert invoicebot("export", "fec", "--out", str(again), env=env).returncode == 0
    assert again.read_bytes() == out.read_bytes()
    table_file = tmp_path / "books" / "journal.parquet"
    assert invoicebot("export", "parquet", "--out", str(table_file), env=env).returncode == 0
    table = pd.read_parquet(table_file)
    assert list(table.columns) == list(FEC_COLUMNS) and len(table) == len(records)
    assert table["Debit"].sum() == table["Credit"].sum()
    csv_file = tmp_path / "books" / "journal.csv"
    assert invoicebot("export", "csv", "--out", str(csv_file), env=env).returncode == 0
    assert len(pd.read_csv(csv_file)) == len(records)

    # A folder needs the company's SIREN to name the file.
    folder = tmp_path / "books"
    refused = invoicebot("export", "fec", "--out", str(folder), env=env)
    assert refused.returncode == 2 and "INVOICEBOT_COMPANY_SIREN" in refused.stderr
    named = invoicebot(
        "export", "fec", "--out", str(folder), "--until", "2026-12-31",
        env=env | {"INVOICEBOT_COMPANY_SIREN": "732829320"},
    )  # fmt: skip
    assert named.returncode == 0, named.stderr
    assert (folder / "732829320FEC20261231.txt").read_bytes() == out.read_bytes()


def test_an_invoice_that_cannot_be_posted_is_listed_and_strict_says_so(tmp_path: Path) -> None:
    env = isolated_env(tmp_path)
    engine = make_engine(f"sqlite:///{(tmp_path / 'data' / 'invoicebot.db').resolve()}")
    init_store(engine)
    with Session(engine) as session:
        store_invoice(session, "F-1", "approved", invoice_date=date(2026, 11, 2))
        store_invoice(session, "F-2", "approved", invoice_date=None)
        session.commit()
    engine.dispose()
    out = tmp_path / "journal.txt"
    done = invoicebot("export", "fec", "--out", str(out), "--json", "--strict", env=env)
    assert done.returncode == 1
    assert "F-2" in done.stderr and "no invoice date (BT-2)" in done.stderr
    summary = json.loads(done.stdout)
    assert summary["entries"] == 1
    assert [s["invoice_number"] for s in summary["skipped"]] == ["F-2"]
    assert {record["PieceRef"] for record in read_fec(out)} == {"F-1"}
    assert invoicebot("export", "fec", "--out", str(out), env=env).returncode == 0


# --- export cii / facturx ---------------------------------------------------------------------


def stored_invoices(tmp_path: Path) -> dict[int, Invoice]:
    engine = make_engine(f"sqlite:///{(tmp_path / 'data' / 'invoicebot.db').resolve()}")
    with Session(engine) as session:
        invoices = {i.id: i for i in session.exec(select(Invoice)) if i.id is not None}
    engine.dispose()
    return invoices


def test_export_cii_and_facturx_after_a_batch_of_paper_and_einvoices(
    processed_batch: ProcessedBatch, tmp_path: Path
) -> None:
    env = processed_batch.copied_to(tmp_path) | {"INVOICEBOT_COMPANY_COUNTRY": "FR"}
    assert processed_batch.statuses() == dict.fromkeys(BATCH_APPROVED, "approved") | {
        BATCH_EXCEPTION: "exception"
    }
    stored = stored_invoices(tmp_path)

    out = tmp_path / "cii"
    done = invoicebot("export", "cii", "--out", str(out), "--json", "--strict", env=env)
    assert done.returncode == 0, done.stderr[-3000:]
    summary = json.loads(done.stdout)
    assert (summary["format"], summary["not_exported"]) == ("cii", [])
    assert len(summary["written"]) == len(BATCH_APPROVED)
    for written in summary["written"]:
        path = Path(written["path"])
        assert path.parent == out and path.suffix == ".xml"
        blocking, _french = split_failures(validate_file(path))
        assert blocking == [], path.name
        invoice = stored[written["invoice_id"]]
        assert path.name.startswith(f"{invoice.id:06d}_")
        fields = read_einvoice(path.read_bytes()).reading.fields
        assert (fields.invoice_number, fields.total_gross) == (
            invoice.invoice_number,
            invoice.total_gross,
        )
    files = {path.name: path.read_bytes() for path in out.iterdir()}
    # Re-running writes the same files, byte for byte.
    again = invoicebot("export", "cii", "--out", str(out), "--json", env=env)
    assert again.returncode == 0, again.stderr[-3000:]
    assert all(written["unchanged"] for written in json.loads(again.stdout)["written"])
    assert {path.name: path.read_bytes() for path in out.iterdir()} == files

    out = tmp_path / "facturx"
    done = invoicebot("export", "facturx", "--out", str(out), "--json", env=env)
    assert done.returncode == 0, done.stderr[-3000:]
    summary = json.loads(done.stdout)
    assert summary["not_exported"] == [] and len(summary["written"]) == len(BATCH_APPROVED)
    for written in summary["written"]:
        path = Path(written["path"])
        blocking, _french = split_failures(validate_file(path))
        assert blocking == [], path.name
        pdfa = check_pdfa3(path.read_bytes())
        assert pdfa.passed, (path.name, pdfa.problems)
        # Our own e-invoice reader reads the embedded XML: the stored invoice comes back.
        extraction = extract_document(path)
        assert extraction.method is Method.EINVOICE
        invoice = stored[written["invoice_id"]]
        fields = extraction.fields
        assert (
            fields.invoice_number,
            fields.seller_name,
            fields.seller_vat_id,
            fields.total_net,
            fields.total_tax,
            fields.total_gross,
        ) == (
            invoice.invoice_number,
            invoice.seller_name,
            invoice.seller_vat_id,
            invoice.total_net,
            invoice.total_tax,
            invoice.total_gross,
        )


def test_an_invoice_without_buyer_is_listed_with_bt_44_and_no_file_is_written(
    tmp_path: Path,
) -> None:
    env = isolated_env(tmp_path) | {"INVOICEBOT_COMPANY_COUNTRY": "FR"}
    engine = make_engine(f"sqlite:///{(tmp_path / 'data' / 'invoicebot.db').resolve()}")
    init_store(engine)
    complete = {
        "invoice_date": date(2026, 11, 2),
        "due_date": date(2026, 12, 2),
        "currency": "EUR",
        "seller_vat_id": "FR44732829320",
        "amount_due": Decimal("120"),
    }
    with Session(engine) as session:
        store_invoice(session, "F-1", "approved", buyer_name="Aurora Tech SAS", **complete)
        store_invoice(session, "F-2", "approved", buyer_name=None, **complete)
        session.commit()
    engine.dispose()
    out = tmp_path / "cii"
    done = invoicebot("export", "cii", "--out", str(out), "--json", "--strict", env=env)
    assert done.returncode == 1, done.stderr
    assert "F-2" in done.stderr and "no buyer name (BT-44)" in done.stderr
    summary = json.loads(done.stdout)
    (left,) = summary["not_exported"]
    assert (left["invoice_number"], left["missing_terms"], left["failed_rules"]) == (
        "F-2",
        ["BT-44"],
        [],
    )
    # F-1 has no line: one line carries its net at the rate of its totals (20 %).
    assert [Path(w["path"]).name for w in summary["written"]] == ["000001_F-1.xml"]
    assert sorted(path.name for path in out.iterdir()) == ["000001_F-1.xml"]
    without_strict = invoicebot("export", "cii", "--out", str(out), env=env)
    assert without_strict.returncode == 0
    assert "Wrote 1 cii file(s)" in without_strict.stdout
    # --out must be a folder.
    refused = invoicebot("export", "cii", "--out", str(out / "000001_F-1.xml"), env=env)
    assert refused.returncode == 2
