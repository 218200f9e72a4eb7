"""A file holding several invoices (a scanned stack, concatenated PDFs) in the batch: each
invoice stored, validated and routed as its own, the file claimed and archived once."""

from __future__ import annotations

import io
from datetime import timedelta
from pathlib import Path

import pytest
from reportlab.lib.pagesizes import A4
from reportlab.pdfgen import canvas
from sqlalchemy.engine import Engine
from sqlmodel import Session, col, select

from invoicebot import pipeline
from invoicebot.kpis import documents_received, read_snapshot
from invoicebot.model import InvoiceStatus, invoice_number_key
from invoicebot.pipeline import PipelineContext, process_file
from invoicebot.review import resolve_exception, review_markdown
from invoicebot.store.review_audit import load_case
from invoicebot.store.tables import Document, ExceptionRecord, Invoice, utcnow
from invoicebot.store.training_labels import ExceptionSnapshot, OperatorDecision
from samples.randomised import TUNING_FAMILIES, GeneratedDocument, generate_document
from tests.inbox import concatenated_pdf
from tests.processing import process_document


@pytest.fixture(scope="module")
def invoices() -> list[GeneratedDocument]:
    """Three one-page text invoices of three sellers."""
    return [generate_document(TUNING_FAMILIES[n], 2000 + n) for n in (0, 5, 9)]


def terms_page() -> bytes:
    """Return a one-page PDF of terms and conditions: no invoice header, no totals."""
    buffer = io.BytesIO()
    page = canvas.Canvas(buffer, pagesize=A4)
    lines = [
        "Conditions générales de vente",
        "Tout retard de paiement entraîne une pénalité égale à trois fois le taux légal.",
        "Aucun escompte pour paiement anticipé.",
    ]
    for number, line in enumerate(lines):
        page.drawString(60, 780 - 18 * number, line)
    page.showPage()
    page.save()
    return buffer.getvalue()


def stack(folder: Path, name: str, parts: list[bytes]) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / name
    path.write_bytes(concatenated_pdf(parts))
    return path


def stored_invoices(engine: Engine) -> list[Invoice]:
    with Session(engine) as session:
        return list(session.exec(select(Invoice).order_by(col(Invoice.first_page))).all())


def number_keys(rows: list[Invoice]) -> list[str]:
    return [invoice_number_key(row.invoice_number or "") for row in rows]


def truth_keys(invoices: list[GeneratedDocument]) -> list[str]:
    return [invoice_number_key(invoice.truth["fields"]["invoice_number"]) for invoice in invoices]


def test_each_invoice_of_a_stack_is_stored_with_its_pages_and_the_file_archived_once(
    context: PipelineContext, invoices: list[GeneratedDocument], tmp_path: Path
) -> None:
    path = stack(tmp_path / "inbox", "stack.pdf", [invoice.data for invoice in invoices])

    outcomes = process_file(path, context)

    assert isinstance(outcomes, list)
    assert [outcome.page_range for outcome in outcomes] == [[1, 1], [2, 2], [3, 3]]
    assert all(outcome.source == str(path) for outcome in outcomes)
    assert not [e for o in outcomes for e in o.exceptions if e.rule == "SPLIT-PAGES"]
    # Three sellers' invoices in one file: none is a duplicate of another.
    assert not [e for o in outcomes for e in o.exceptions if e.category.value == "duplicate"]
    assert all("page_range" in outcome.model_dump(mode="json") for outcome in outcomes)
    rows = stored_invoices(context.engine)
    assert [(row.first_page, row.last_page) for row in rows] == [(1, 1), (2, 2), (3, 3)]
    assert number_keys(rows) == truth_keys(invoices)
    assert [row.status for row in rows] == [outcome.status.value for outcome in outcomes]
    with Session(context.engine) as session:
        (document,) = session.exec(select(Document)).all()
        assert {row.document_id for row in rows} == {document.id}
        exception_rows = session.exec(select(ExceptionRecord)).all()
        assert {row.invoice_id for row in exception_rows} <= {row.id for row in rows}
    expected_folder = (
        "exceptions"
        if any(outcome.status is InvoiceStatus.EXCEPTION for outcome in outcomes)
        else "approved"
    )
    assert document.status == ("exception" if expected_folder == "exceptions" else "approved")
    archived = list(context.settings.archive_dir.rglob("*.pdf"))
    assert archived == [context.settings.archive_dir / expected_folder / "stack.pdf"]
    assert document.archived_path == str(archived[0]) and not path.exists()

    # The KPIs count invoices: three, from one document.
    with Session(context.engine) as session:
        now = utcnow()
        snapshot = read_snapshot(session, start=now - timedelta(hours=1), end=now)
    assert len(snapshot.documents) == 3
    assert [row.page_range for row in snapshot.documents] == [(1, 1), (2, 2), (3, 3)]
    assert documents_received(snapshot.documents, exact_duplicates=0) == 1

    # The same file again: the known bytes are one exact duplicate, nothing stored twice.
    path.write_bytes(archived[0].read_bytes())
    (again,) = process_file(path, context)  # type: ignore[misc]
    assert again.status is InvoiceStatus.DUPLICATE and again.page_range is None
    assert len(stored_invoices(context.engine)) == 3


def test_a_failure_after_the_first_invoice_stores_none_and_the_rerun_stores_each_once(
    context: PipelineContext,
    invoices: list[GeneratedDocument],
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    path = stack(tmp_path / "inbox", "stack.pdf", [invoice.data for invoice in invoices])
    real_add = pipeline.add_invoice
    added: list[int] = []

    def crash_after_the_first(*args: object, **kwargs: object) -> int:
        if added:
            raise RuntimeError("the worker dies after storing invoice 1 of 3")
        invoice_id = real_add(*args, **kwargs)  # type: ignore[arg-type]
        added.append(invoice_id)
        return invoice_id

    monkeypatch.setattr(pipeline, "add_invoice", crash_after_the_first)
    with pytest.raises(RuntimeError, match="invoice 1 of 3"):
        process_file(path, context)
    assert added and path.exists()
    assert stored_invoices(context.engine) == []  # one transaction: none of the three

    monkeypatch.undo()
    outcomes = process_file(path, context)

    assert isinstance(outcomes, list) and len(outcomes) == 3
    rows = stored_invoices(context.engine)
    assert [(row.first_page, row.last_page) for row in rows] == [(1, 1), (2, 2), (3, 3)]
    assert number_keys(rows) == truth_keys(invoices)
    with Session(context.engine) as session:
        assert len(session.exec(select(Document)).all()) == 1
    assert len(list(context.settings.archive_dir.rglob("*.pdf"))) == 1


def test_an_unsure_cut_is_a_split_pages_exception_on_the_invoice_concerned(
    context: PipelineContext, invoices: list[GeneratedDocument], tmp_path: Path
) -> None:
    # Terms and conditions after the first invoice's totals: its pages or the next's?
    parts = [invoices[0].data, terms_page(), invoices[1].data, invoices[2].data]
    path = stack(tmp_path / "inbox", "stack.pdf", parts)

    outcomes = process_file(path, context)

    assert isinstance(outcomes, list)
    assert [outcome.page_range for outcome in outcomes] == [[1, 2], [3, 3], [4, 4]]
    doubted, *sure = outcomes
    assert doubted.status is InvoiceStatus.EXCEPTION
    (split,) = [e for e in doubted.exceptions if e.rule == "SPLIT-PAGES"]
    assert split.category.value == "low_confidence"
    assert "Pages 1-2" in split.message
    assert "page 2 follows a totals block but shows no invoice header" in split.message
    assert not [e for o in sure for e in o.exceptions if e.rule == "SPLIT-PAGES"]
    with Session(context.engine) as session:
        first = session.exec(select(Invoice).where(Invoice.first_page == 1)).one()
        assert first.id is not None
        case = load_case(session, invoice_id=first.id)
        assert case.page_range == [1, 2] and case.invoices_in_file == 3
        assert "SPLIT-PAGES" in {item.rule for item in case.exceptions}
        # The classifier's view is kept per invoice.
        snapshot = session.exec(
            select(ExceptionSnapshot).where(ExceptionSnapshot.invoice_id == first.id)
        ).one()
        assert snapshot.document_id == first.document_id
        # The review form shows where the invoice is in its file.
        assert "pages 1-2 of a file of 3 invoices, cut with confidence 0.60" in (
            review_markdown(case)
        )
        # An operator's decision is this invoice's alone.
        others = {row.id: row.status for row in stored_invoices(context.engine)[1:]}
        resolve_exception(
            session,
            invoice_id=first.id,
            decision="reject",
            corrections={},
            reviewer="Ana",
            comment="the terms page belongs to it",
            channel="terminal",
            settings=context.settings,
        )
        label = session.exec(select(OperatorDecision)).one()
        assert label.invoice_id == first.id
    rows = stored_invoices(context.engine)
    assert rows[0].status == "rejected"
    assert {row.id: row.status for row in rows[1:]} == others


def test_a_file_read_as_one_invoice_is_stored_as_before(
    context: PipelineContext, invoices: list[GeneratedDocument], tmp_path: Path
) -> None:
    path = stack(tmp_path / "inbox", "one.pdf", [invoices[0].data])

    outcome = process_document(path, context)

    assert outcome is not None and outcome.page_range is None
    assert "page_range" not in outcome.model_dump(mode="json")
    assert "page_range" not in outcome.model_dump_json()
    (row,) = stored_invoices(context.engine)
    assert (row.first_page, row.last_page) == (None, None)
    assert number_keys([row]) == truth_keys(invoices[:1])


def test_an_invoice_of_a_stack_sent_again_in_another_file_is_a_duplicate(
    context: PipelineContext, invoices: list[GeneratedDocument], tmp_path: Path
) -> None:
    inbox = tmp_path / "inbox"
    process_file(stack(inbox, "stack.pdf", [invoice.data for invoice in invoices]), context)

    again = process_document(stack(inbox, "again.pdf", [invoices[1].data]), context)

    assert again is not None and again.status is InvoiceStatus.EXCEPTION
    (duplicate,) = [e for e in again.exceptions if e.rule == "DUPLICATE-INVOICE-NUMBER"]
    assert "stack.pdf" in duplicate.message
