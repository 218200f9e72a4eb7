"""One document's path without Prefect: on SQLite and PostgreSQL, defects and failures."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

import pytest
from sqlmodel import Session, select

from invoicebot import pipeline
from invoicebot.model import InvoiceStatus
from invoicebot.pipeline import PipelineContext
from invoicebot.store.tables import Document
from tests.inbox import copy_into, pick_samples
from tests.processing import process_document


@pytest.fixture
def inbox(tmp_path: Path) -> Path:
    folder = tmp_path / "inbox"
    copy_into(folder, pick_samples(lambda t: t["kind"] == "text-pdf" and not t["faults"], 2))
    return folder


def test_documents_are_processed_once(context: PipelineContext, inbox: Path) -> None:
    first, second = sorted(inbox.iterdir())
    copy = first.read_bytes()
    assert process_document(first, context).status is InvoiceStatus.APPROVED  # type: ignore[union-attr]
    assert process_document(second, context).status is InvoiceStatus.APPROVED  # type: ignore[union-attr]
    assert not any(inbox.iterdir())
    first.write_bytes(copy)
    outcome = process_document(first, context)
    assert outcome is not None and outcome.status is InvoiceStatus.DUPLICATE
    assert (context.settings.archive_dir / "duplicates" / first.name).exists()


def test_an_extractor_defect_quarantines_the_document(
    context: PipelineContext, inbox: Path
) -> None:
    # The defect happens in the reading process: a plug-in extractor that raises.
    options = replace(context.options, plugins=("tests.misbehaving:Defect",))
    path = sorted(inbox.iterdir())[0].rename(inbox / "defect.pdf")
    outcome = process_document(path, replace(context, options=options))
    assert outcome is not None and outcome.status is InvoiceStatus.QUARANTINED
    assert "ZeroDivisionError" in outcome.exceptions[0].message
    assert (context.settings.archive_dir / "quarantine" / path.name).exists()


def test_a_store_failure_leaves_the_file_for_the_next_run(
    context: PipelineContext, inbox: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    def failing_store(*_args: object, **_kwargs: object) -> None:
        raise OSError("disk full")

    monkeypatch.setattr(pipeline, "add_invoice", failing_store)
    path = sorted(inbox.iterdir())[0]
    with pytest.raises(OSError, match="disk full"):
        process_document(path, context)
    assert path.exists()
    with Session(context.engine) as session:
        assert session.exec(select(Document)).all() == []
    monkeypatch.undo()
    outcome = process_document(path, context)
    assert outcome is not None and outcome.status is InvoiceStatus.APPROVED
