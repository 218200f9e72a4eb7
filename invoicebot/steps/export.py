"""An optional step: approved invoices appended to a CSV and a Parquet dataset, by day.

Shipped through the ``invoicebot.steps`` entry-point group like any package's step; turn it
on with one line in the steps configuration (after ``route``, once the invoices are
committed)::

    - export: {folder: /data/exports}

``<folder>/csv/day=YYYY-MM-DD/invoices.csv`` gets one row per approved invoice (a header
when the file is new); ``<folder>/parquet/day=YYYY-MM-DD/<sha256>.parquet`` holds the same
rows, one file per document, so that ``pandas.read_parquet(<folder>/parquet)`` reads the
dataset with its ``day`` partition. The day is the processing day (UTC).
"""

from __future__ import annotations

import fcntl
import io
import os
from decimal import Decimal
from pathlib import Path
from typing import Literal

import pandas as pd
import pyarrow as pa
from pydantic import BaseModel, ConfigDict, Field

from invoicebot.model import InvoiceStatus
from invoicebot.steps.document import DocumentContext, InvoiceState, StepResult

Format = Literal["csv", "parquet"]

AMOUNT = pa.decimal128(20, 4)
SCHEMA = pa.schema(
    [
        ("processed_at", pa.timestamp("s", tz="UTC")),
        ("source", pa.string()),
        ("sha256", pa.string()),
        ("invoice_id", pa.int64()),
        ("invoice_number", pa.string()),
        ("invoice_date", pa.date32()),
        ("due_date", pa.date32()),
        ("seller_name", pa.string()),
        ("seller_vat_id", pa.string()),
        ("seller_siret", pa.string()),
        ("po_number", pa.string()),
        ("currency", pa.string()),
        ("total_net", AMOUNT),
        ("total_tax", AMOUNT),
        ("total_gross", AMOUNT),
        ("amount_due", AMOUNT),
    ]
)
COLUMNS = SCHEMA.names
# Four decimals in the Parquet file: an amount with more fails the step, never rounded.
SCALE = Decimal("0.0001")


class ExportSettings(BaseModel):
    """The export step's settings."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    folder: Path | None = Field(
        default=None, description="where the datasets go; default: exports/ in the data dir"
    )
    formats: tuple[Format, ...] = Field(
        default=("csv", "parquet"), min_length=1, description="csv, parquet or both"
    )


class ExportStep:
    """Append the document's approved invoices to the day's CSV and Parquet datasets."""

    name = "export"
    needs = ("archived",)
    adds = ("exported",)
    settings_model = ExportSettings

    def __init__(self, settings: ExportSettings | None = None) -> None:
        self.settings = settings or ExportSettings()

    def run(self, doc: DocumentContext) -> StepResult:
        """Write the rows of the approved invoices; return how many (``exported``)."""
        approved = [state for state in doc.invoices if state.status is InvoiceStatus.APPROVED]
        if not approved:
            return StepResult(note="no approved invoice")
        processed_at = doc.pipeline.clock()
        frame = pd.DataFrame([_row(doc, state) for state in approved], columns=COLUMNS)
        frame["processed_at"] = pd.Timestamp(processed_at).floor("s")
        folder = self.settings.folder or doc.settings.data_dir / "exports"
        day = f"day={processed_at.date().isoformat()}"
        if "csv" in self.settings.formats:
            append_csv(folder / "csv" / day / "invoices.csv", frame)
        if "parquet" in self.settings.formats:
            target = folder / "parquet" / day / f"{doc.sha256 or 'unclaimed'}.parquet"
            target.parent.mkdir(parents=True, exist_ok=True)
            # Named after the file's digest: a document written twice is one file.
            frame.to_parquet(target, schema=SCHEMA, index=False)
        return StepResult(values={"exported": len(approved)})


def _row(doc: DocumentContext, state: InvoiceState) -> dict[str, object]:
    fields = state.extraction.fields
    return {
        "source": doc.source,
        "sha256": doc.sha256,
        "invoice_id": state.invoice_id,
        "invoice_number": fields.invoice_number,
        "invoice_date": fields.invoice_date,
        "due_date": fields.due_date,
        "seller_name": fields.seller_name,
        "seller_vat_id": fields.seller_vat_id,
        "seller_siret": fields.seller_siret,
        "po_number": fields.po_number,
        "currency": fields.currency,
        "total_net": _amount(fields.total_net),
        "total_tax": _amount(fields.total_tax),
        "total_gross": _amount(fields.total_gross),
        "amount_due": _amount(fields.amount_due),
    }


def _amount(value: Decimal | None) -> Decimal | None:
    # Quantized only when exact (the Parquet column's scale): never rounded.
    return value.quantize(SCALE) if value is not None and value == value.quantize(SCALE) else value


def append_csv(path: Path, frame: pd.DataFrame) -> None:
    """Append ``frame``'s rows to the CSV at ``path``, with a header when it is new; locked,
    so that the documents of a batch in other threads or processes append whole rows."""
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("a", encoding="utf-8", newline="") as file:
        fcntl.flock(file, fcntl.LOCK_EX)
        try:
            text = io.StringIO()
            frame.to_csv(text, index=False, header=os.fstat(file.fileno()).st_size == 0)
            file.write(text.getvalue())
        finally:
            fcntl.flock(file, fcntl.LOCK_UN)
