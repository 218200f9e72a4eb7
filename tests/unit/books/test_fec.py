"""The FEC file's format: 18 columns in the law's order, AAAAMMJJ dates, comma decimals."""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from pathlib import Path

import pandas as pd

from invoicebot.books.entries import (
    BookAccounts,
    BookLine,
    EntryLine,
    PurchaseInvoice,
    build_journal,
)
from invoicebot.books.fec import (
    FEC_COLUMNS,
    entry_table,
    fec_amount,
    fec_file_name,
    fec_text,
    write_fec,
)

LAW_COLUMNS = [
    "JournalCode",
    "JournalLib",
    "EcritureNum",
    "EcritureDate",
    "CompteNum",
    "CompteLib",
    "CompAuxNum",
    "CompAuxLib",
    "PieceRef",
    "PieceDate",
    "EcritureLib",
    "Debit",
    "Credit",
    "EcritureLet",
    "DateLet",
    "ValidDate",
    "Montantdevise",
    "Idevise",
]


def journal_lines() -> list[EntryLine]:
    invoice = PurchaseInvoice(
        invoice_id=7,
        invoice_number="F\t2026|42",
        invoice_date=date(2026, 3, 2),
        seller_name="Papeterie Martin",
        seller_siret="73282932000074",
        total_net=Decimal("1234.56"),
        total_tax=Decimal("246.91"),
        total_gross=Decimal("1481.47"),
        lines=(BookLine(net_amount=Decimal("1234.56"), tax_rate=Decimal("20")),),
        approved_on=date(2026, 3, 4),
    )
    return build_journal([invoice], BookAccounts()).lines


def test_the_header_is_the_18_columns_of_the_law_in_order() -> None:
    assert list(FEC_COLUMNS) == LAW_COLUMNS
    header = fec_text([]).split("\r\n")[0]
    assert header.split("\t") == LAW_COLUMNS


def test_records_have_18_fields_with_fec_dates_and_comma_amounts(tmp_path: Path) -> None:
    path = tmp_path / "fec.txt"
    write_fec(path, journal_lines())
    records = [row.split("\t") for row in path.read_bytes().decode("utf-8").split("\r\n")[1:-1]]
    assert len(records) == 3
    assert all(len(record) == 18 for record in records)
    supplier = dict(zip(LAW_COLUMNS, records[0], strict=True))
    assert supplier == {
        "JournalCode": "HA",
        "JournalLib": "Journal des achats",
        "EcritureNum": "HA000001",
        "EcritureDate": "20260302",
        "CompteNum": "401",
        "CompteLib": "Fournisseurs",
        "CompAuxNum": "732829320",
        "CompAuxLib": "Papeterie Martin",
        "PieceRef": "F 2026 42",
        "PieceDate": "20260302",
        "EcritureLib": "Papeterie Martin F 2026 42",
        "Debit": "0,00",
        "Credit": "1481,47",
        "EcritureLet": "",
        "DateLet": "",
        "ValidDate": "20260304",
        "Montantdevise": "",
        "Idevise": "",
    }
    assert [record[11:13] for record in records[1:]] == [["1234,56", "0,00"], ["246,91", "0,00"]]
    debits = sum(Decimal(r[11].replace(",", ".")) for r in records)
    credits = sum(Decimal(r[12].replace(",", ".")) for r in records)
    assert debits == credits


def test_amounts_have_a_comma_two_decimals_and_no_thousands_separator() -> None:
    assert fec_amount(Decimal("1234567.5")) == "1234567,50"
    assert fec_amount(Decimal("0")) == "0,00"
    assert fec_amount(None) == ""


def test_the_file_name_is_siren_fec_closing_date() -> None:
    assert fec_file_name("732829320", date(2026, 12, 31)) == "732829320FEC20261231.txt"


def test_the_table_holds_the_same_lines_with_dates_and_decimals(tmp_path: Path) -> None:
    table = entry_table(journal_lines())
    assert list(table.columns) == LAW_COLUMNS
    assert table["Debit"].sum() == table["Credit"].sum() == Decimal("1481.47")
    table.to_parquet(tmp_path / "fec.parquet", index=False)
    read = pd.read_parquet(tmp_path / "fec.parquet")
    assert list(read["Credit"]) == [Decimal("1481.47"), Decimal("0.00"), Decimal("0.00")]
    assert read["EcritureDate"][0] == date(2026, 3, 2)
