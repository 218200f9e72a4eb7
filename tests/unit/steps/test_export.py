"""The export step: approved invoices appended to a CSV and a Parquet dataset, by day."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, date, datetime
from decimal import Decimal
from pathlib import Path

import pandas as pd
import pyarrow as pa
import pytest

from invoicebot.model import Extraction, InvoiceFields, InvoiceStatus
from invoicebot.steps.document import DocumentContext
from invoicebot.steps.export import ExportSettings, ExportStep
from invoicebot.steps.testing import stored_document


def invoice(number: str, gross: str, digest: str) -> Extraction:
    fields = InvoiceFields(
        invoice_number=number,
        invoice_date=date(2026, 11, 20),
        seller_name="ACME Fournitures SAS",
        currency="EUR",
        total_net=Decimal(gross) - Decimal(10),
        total_tax=Decimal(10),
        total_gross=Decimal(gross),
    )
    return Extraction(source=f"inbox/{number}.pdf", sha256=digest * 64, fields=fields)


def on(day: datetime, doc: DocumentContext) -> DocumentContext:
    doc.pipeline = replace(doc.pipeline, clock=lambda: day)
    return doc


def test_approved_invoices_are_appended_by_day(tmp_path: Path) -> None:
    step = ExportStep(ExportSettings(folder=tmp_path))
    monday = datetime(2026, 12, 7, 9, 30, tzinfo=UTC)
    tuesday = datetime(2026, 12, 8, 10, 0, tzinfo=UTC)
    assert step.run(on(monday, stored_document([invoice("F-1", "120.00", "a")]))).values == {
        "exported": 1
    }
    step.run(on(monday, stored_document([invoice("F-2", "1481.47", "b")])))
    step.run(on(tuesday, stored_document([invoice("F-3", "99.90", "c")])))
    step.run(
        on(tuesday, stored_document([invoice("F-4", "5", "d")], status=InvoiceStatus.EXCEPTION))
    )

    monday_csv = pd.read_csv(tmp_path / "csv" / "day=2026-12-07" / "invoices.csv", dtype=str)
    assert list(monday_csv["invoice_number"]) == ["F-1", "F-2"]
    assert list(monday_csv["total_gross"]) == ["120.0000", "1481.4700"]
    assert len(pd.read_csv(tmp_path / "csv" / "day=2026-12-08" / "invoices.csv")) == 1

    dataset = pd.read_parquet(tmp_path / "parquet").sort_values("invoice_number")
    assert list(dataset["invoice_number"]) == ["F-1", "F-2", "F-3"]
    assert list(dataset["day"].astype(str)) == ["2026-12-07", "2026-12-07", "2026-12-08"]
    assert dataset["total_gross"].iloc[1] == Decimal("1481.4700")
    assert dataset["invoice_date"].iloc[0] == date(2026, 11, 20)


def test_a_document_without_approved_invoices_writes_nothing(tmp_path: Path) -> None:
    step = ExportStep(ExportSettings(folder=tmp_path, formats=("csv",)))
    doc = stored_document([invoice("F-9", "10", "e")], status=InvoiceStatus.EXCEPTION)
    assert step.run(doc).names == frozenset()
    assert not any(tmp_path.iterdir())


def test_an_amount_the_dataset_cannot_hold_exactly_fails_the_step(tmp_path: Path) -> None:
    step = ExportStep(ExportSettings(folder=tmp_path, formats=("parquet",)))
    with pytest.raises(pa.ArrowInvalid, match=r"[Dd]ecimal"):
        step.run(stored_document([invoice("F-5", "10.123456", "f")]))
