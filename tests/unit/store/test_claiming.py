"""Claiming and archiving a document through the pipeline, on SQLite and PostgreSQL.

The extraction is a fake reader (the real ones are tested in tests/unit/extractors): it
returns a committed sample's expected JSON, and records the bytes it was handed.
"""

from __future__ import annotations

import hashlib
import json
import os
from dataclasses import replace
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy.engine import Engine
from sqlalchemy.exc import DataError
from sqlmodel import Session, col, select

from invoicebot import pipeline
from invoicebot.inbox import FileNotReadyError
from invoicebot.model import Extraction, InvoiceStatus
from invoicebot.pipeline import ClaimRefusedError, PipelineContext, extract_options
from invoicebot.settings import Settings
from invoicebot.store.tables import Document, ExceptionRecord, Invoice, RuleResultRow
from tests.conftest import sample_truths
from tests.processing import process_document

EXTRA_KEYS = ("kind", "faults", "duplicate_of")


def clean_truth() -> dict[str, Any]:
    return next(t for _p, t in sample_truths() if t["kind"] == "text-pdf" and not t["faults"])


class FakeReader:
    """Reads every document as the same clean sample (or as ``fields`` over it)."""

    def __init__(self, fields: dict[str, Any] | None = None, lines: list[Any] | None = None):
        self.fields = fields or {}
        self.lines = lines
        self.handed: list[bytes | None] = []
        self.wrong_bytes = False

    def read(
        self, path: Path, options: object, *, source: str, data: bytes | None = None
    ) -> Extraction:
        self.handed.append(data)
        truth = {k: v for k, v in clean_truth().items() if k not in EXTRA_KEYS}
        truth["fields"] = {**truth["fields"], **self.fields}
        if self.lines is not None:
            truth["lines"] = self.lines
        read = b"other bytes" if self.wrong_bytes or data is None else data
        truth.update(source=source, sha256=hashlib.sha256(read).hexdigest())
        return Extraction.model_validate(truth)

    def read_invoices(
        self, path: Path, options: object, *, source: str, data: bytes | None = None
    ) -> list[Extraction]:
        return [self.read(path, options, source=source, data=data)]


@pytest.fixture
def reader() -> FakeReader:
    return FakeReader()


@pytest.fixture
def context(engine: Engine, reader: FakeReader) -> PipelineContext:
    settings = Settings()
    return PipelineContext(settings, engine, None, extract_options(settings), reader)  # type: ignore[arg-type]


@pytest.fixture
def inbox(tmp_path: Path) -> Path:
    folder = tmp_path / "inbox"
    folder.mkdir()
    return folder


def documents(engine: Engine) -> list[Document]:
    with Session(engine) as session:
        return list(session.exec(select(Document)).all())


def archived(context: PipelineContext) -> list[str]:
    root = context.settings.archive_dir
    return sorted(str(p.relative_to(root)) for p in root.rglob("*") if p.is_file())


def test_an_empty_file_is_never_claimed(context: PipelineContext, inbox: Path) -> None:
    empty = inbox / "copying.pdf"
    empty.write_bytes(b"")
    assert process_document(empty, context) is None
    assert empty.exists() and documents(context.engine) == []


def test_the_bytes_claimed_are_the_bytes_extracted(
    context: PipelineContext, inbox: Path, reader: FakeReader
) -> None:
    path = inbox / "a.pdf"
    path.write_bytes(b"%PDF-1.7 invoice a")
    outcome = process_document(path, context)
    assert outcome is not None and outcome.status is InvoiceStatus.APPROVED
    assert reader.handed == [b"%PDF-1.7 invoice a"]
    [document] = documents(context.engine)
    assert document.sha256 == hashlib.sha256(b"%PDF-1.7 invoice a").hexdigest()


def test_fields_read_from_other_bytes_are_never_stored(
    context: PipelineContext, inbox: Path, reader: FakeReader
) -> None:
    reader.wrong_bytes = True
    path = inbox / "a.pdf"
    path.write_bytes(b"%PDF-1.7 invoice a")
    with pytest.raises(FileNotReadyError, match="not the bytes claimed"):
        process_document(path, context)
    assert path.exists()
    assert [d.status for d in documents(context.engine)] == []


def test_a_non_utf8_file_name_is_stored_and_archived_readably(
    context: PipelineContext, inbox: Path
) -> None:
    path = Path(os.fsdecode(os.fsencode(inbox) + b"/facture-\xe9t\xe9.pdf"))
    path.write_bytes(b"%PDF-1.7 invoice with a latin-1 name")
    outcome = process_document(path, context)
    assert outcome is not None and outcome.status is InvoiceStatus.APPROVED
    assert outcome.source.endswith("facture-\\xe9t\\xe9.pdf")
    [document] = documents(context.engine)
    assert document.file_name == "facture-\\xe9t\\xe9.pdf"
    assert archived(context) == ["approved/facture-\\xe9t\\xe9.pdf"]
    assert document.archived_path == str(
        context.settings.archive_dir / "approved" / "facture-\\xe9t\\xe9.pdf"
    )


HOSTILE_FIELDS: dict[str, Any] = {
    "currency": "EURO",
    "seller_vat_id": "FR" + "1" * 60,
    "seller_name": "Société Générale d'Équipement " * 300,
    "buyer_name": "Nul\x00Byte GmbH",
    "po_number": "PO-" + "9" * 5000,
}


def test_hostile_values_are_exceptions_not_store_errors(
    context: PipelineContext, inbox: Path, reader: FakeReader
) -> None:
    reader.fields = HOSTILE_FIELDS
    reader.lines = [
        {"description": "x" * 10_000, "quantity": "1", "unit_price": "1e20", "net_amount": "1e20",
         "tax_rate": "20"},
    ]  # fmt: skip
    path = inbox / "hostile.pdf"
    path.write_bytes(b"%PDF-1.7 hostile")
    outcome = process_document(path, context)

    assert outcome is not None and outcome.status is InvoiceStatus.EXCEPTION
    limited = {e.message.split(" read,")[0] for e in outcome.exceptions if e.rule == "FIELD-LIMIT"}
    # Without its VAT number the seller's key is made from its name, too long for it.
    assert limited == {
        "The currency",
        "The seller vat id",
        "The seller name",
        "The lines[1].unit price",
        "The lines[1].net amount",
    }
    with Session(context.engine) as session:
        invoice = session.exec(select(Invoice)).one()
        assert (invoice.currency, invoice.seller_vat_id, invoice.seller_name) == (None,) * 3
        assert invoice.buyer_name == "Nul\ufffdByte GmbH"
        assert invoice.po_number == HOSTILE_FIELDS["po_number"]
        rules = session.exec(
            select(RuleResultRow.rule).where(col(RuleResultRow.passed).is_(False))
        ).all()
        assert rules.count("FIELD-LIMIT") == 5
        categories = session.exec(
            select(ExceptionRecord.category).where(col(ExceptionRecord.rule) == "FIELD-LIMIT")
        ).all()
        assert set(categories) == {"missing_field"}


def test_a_refused_claim_is_retried_then_quarantined_with_every_reason(
    context: PipelineContext, inbox: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    def refusing_claim(*_args: object, **_kwargs: object) -> None:
        raise DataError("INSERT INTO document ...", {}, Exception("value too long"))

    monkeypatch.setattr(pipeline, "claim_document", refusing_claim)
    context = replace(context, settings=context.settings.model_copy(update={"max_attempts": 3}))
    path = inbox / "poison.pdf"
    path.write_bytes(b"%PDF-1.7 poison")
    for attempt in (1, 2):
        with pytest.raises(ClaimRefusedError) as refused:
            process_document(path, context)
        assert (refused.value.attempts, refused.value.max_attempts) == (attempt, 3)
        assert path.exists()

    outcome = process_document(path, context)

    assert outcome is not None and outcome.status is InvoiceStatus.QUARANTINED
    assert "refused 3 times" in outcome.exceptions[0].message
    assert not path.exists()
    assert archived(context) == ["quarantine/poison.pdf", "quarantine/poison.pdf.reason.json"]
    reason = json.loads(
        (context.settings.archive_dir / "quarantine" / "poison.pdf.reason.json").read_text()
    )
    assert len(reason["unclaimable"]) == 3 and "value too long" in reason["unclaimable"][0]
    [document] = documents(context.engine)
    assert (document.status, document.error_code) == ("quarantined", "unclaimable")
    # The same bytes dropped again are known: a duplicate, not a fourth attempt.
    monkeypatch.undo()
    path.write_bytes(b"%PDF-1.7 poison")
    again = process_document(path, context)
    assert again is not None and again.status is InvoiceStatus.DUPLICATE


def test_a_run_that_died_before_moving_the_file_is_finished_by_the_next(
    context: PipelineContext, inbox: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    def dying_move(*_args: object, **_kwargs: object) -> Path:
        raise KeyboardInterrupt  # as good as a kill: nothing after the commit runs

    path = inbox / "a.pdf"
    path.write_bytes(b"%PDF-1.7 invoice a")
    monkeypatch.setattr(pipeline, "archive_file", dying_move)
    with pytest.raises(KeyboardInterrupt):
        process_document(path, context)
    monkeypatch.undo()
    assert path.exists() and [d.status for d in documents(context.engine)] == ["approved"]

    assert process_document(path, context) is None

    assert not path.exists()
    assert archived(context) == ["approved/a.pdf"]


def test_a_move_cut_between_link_and_unlink_is_finished_not_duplicated(
    context: PipelineContext, inbox: Path
) -> None:
    path = inbox / "a.pdf"
    path.write_bytes(b"%PDF-1.7 invoice a")
    process_document(path, context)
    # The state a kill between the archive's link and the inbox's unlink leaves.
    os.link(context.settings.archive_dir / "approved" / "a.pdf", path)

    assert process_document(path, context) is None

    assert not path.exists()
    assert archived(context) == ["approved/a.pdf"]


def test_a_resent_copy_goes_to_the_duplicates(context: PipelineContext, inbox: Path) -> None:
    path = inbox / "a.pdf"
    path.write_bytes(b"%PDF-1.7 invoice a")
    sent = path.stat().st_mtime_ns
    process_document(path, context)
    # The supplier sends it again, later, copied with its times (cp -p, shutil.copy2).
    path.write_bytes(b"%PDF-1.7 invoice a")
    os.utime(path, ns=(sent, sent))
    again = process_document(path, context)
    assert again is not None and again.status is InvoiceStatus.DUPLICATE
    assert archived(context) == ["approved/a.pdf", "duplicates/a.pdf"]


def test_a_name_taken_while_processing_gets_a_suffix_and_the_store_follows(
    context: PipelineContext, inbox: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    planned = pipeline.archive_target

    def taken_meanwhile(path: Path, sha256: str, status: InvoiceStatus, settings: Any) -> Path:
        target = planned(path, sha256, status, settings)
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_bytes(b"another batch's scan0001.pdf")
        return target

    monkeypatch.setattr(pipeline, "archive_target", taken_meanwhile)
    path = inbox / "scan0001.pdf"
    path.write_bytes(b"%PDF-1.7 our scan0001")
    process_document(path, context)

    sha = hashlib.sha256(b"%PDF-1.7 our scan0001").hexdigest()
    ours = context.settings.archive_dir / "approved" / f"scan0001-{sha[:12]}.pdf"
    assert ours.read_bytes() == b"%PDF-1.7 our scan0001"
    other = context.settings.archive_dir / "approved" / "scan0001.pdf"
    assert other.read_bytes() == b"another batch's scan0001.pdf"
    [document] = documents(context.engine)
    assert document.archived_path == str(ours)
