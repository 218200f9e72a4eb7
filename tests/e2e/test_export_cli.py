"""`invoicebot export fec|csv|parquet` after a real batch: every entry balances."""

from __future__ import annotations

import json
from collections import defaultdict
from datetime import date
from decimal import Decimal
from pathlib import Path

import pandas as pd
from sqlmodel import Session

from invoicebot.books.fec import FEC_COLUMNS
from invoicebot.store import init_store, make_engine
from tests.e2e.test_cli import invoicebot, isolated_env
from tests.inbox import copy_into, pick_samples
from tests.unit.store.test_books import store_invoice


def read_fec(path: Path) -> list[dict[str, str]]:
    text = path.read_bytes().decode("utf-8")
    header, *records = text.split("\r\n")[:-1]
    assert header.split("\t") == list(FEC_COLUMNS)
    return [dict(zip(FEC_COLUMNS, record.split("\t"), strict=True)) for record in records]


def amount(text: str) -> Decimal:
    assert "." not in text
    return Decimal(text.replace(",", "."))


def test_export_after_a_batch_writes_balanced_entries(tmp_path: Path) -> None:
    inbox = tmp_path / "inbox"
    samples = pick_samples(lambda t: t["kind"] == "text-pdf" and not t["faults"], 3)
    copy_into(inbox, samples)
    env = isolated_env(tmp_path)
    done = invoicebot("run", "--inbox", str(inbox), "--json", env=env)
    assert done.returncode == 0, done.stderr[-3000:]
    approved = [i for i in json.loads(done.stdout)["invoices"] if i["status"] == "approved"]
    assert len(approved) == 3

    out = tmp_path / "books" / "journal.txt"
    out.parent.mkdir()
    done = invoicebot("export", "fec", "--out", str(out), "--json", "--strict", env=env)
    assert done.returncode == 0, done.stderr[-3000:]
    summary = json.loads(done.stdout)
    assert (summary["entries"], summary["skipped"]) == (3, [])
    records = read_fec(out)
    assert len(records) == summary["lines"]
    by_entry: dict[str, list[dict[str, str]]] = defaultdict(list)
    for record in records:
        by_entry[record["EcritureNum"]].append(record)
        assert len(record["EcritureDate"]) == 8 and record["EcritureDate"].isdigit()
    assert sorted(by_entry) == ["HA000001", "HA000002", "HA000003"]
    grosses = sorted(Decimal(truth["fields"]["total_gross"]) for _, truth in samples)
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
