"""One document's path with real parts: a hang, a segfault and an 8 GB allocation each
quarantine their document with a typed reason while the others are processed; a transient
failure leaves the file in the inbox, counted, until it is quarantined with every reason; and
`requeue` puts it back, audited, to be processed once the cause is fixed.

Misbehaving extractors come in through ``ExtractOptions.plugins`` (``tests.misbehaving``).
No wall-clock assertion.
"""

from __future__ import annotations

import hashlib
import shutil
from collections.abc import Iterator
from dataclasses import replace
from pathlib import Path

import pytest
from sqlalchemy.engine import Engine
from sqlmodel import Session, SQLModel, select

from invoicebot import pipeline
from invoicebot.model import InvoiceStatus
from invoicebot.pipeline import PipelineContext, TransientFailureError, extract_options
from invoicebot.requeue import requeue
from invoicebot.settings import Settings
from invoicebot.store import init_store, make_engine
from invoicebot.store.retries import RequeueRecord, attempt_history
from invoicebot.store.tables import Document
from tests.inbox import pick_samples
from tests.misbehaving import EVERY_PLUGIN
from tests.processing import process_document

TEXT_PDFS = pick_samples(lambda t: t["kind"] == "text-pdf" and not t["faults"], 5)
SCAN = pick_samples(lambda t: t["kind"] == "scanned-pdf" and not t["faults"], 1)[0][0]


@pytest.fixture
def context(data_dir: Path) -> Iterator[PipelineContext]:
    settings = Settings().model_copy(update={"max_attempts": 2})
    engine: Engine = make_engine(settings.resolved_database_url)
    init_store(engine)
    options = replace(extract_options(settings), memory_mb=1536, plugins=EVERY_PLUGIN)
    yield PipelineContext(settings, engine, None, options)
    SQLModel.metadata.drop_all(engine)
    engine.dispose()


@pytest.fixture
def inbox(tmp_path: Path) -> Path:
    folder = tmp_path / "inbox"
    folder.mkdir()
    return folder


def stored(engine: Engine, name: str) -> Document | None:
    with Session(engine) as session:
        return session.exec(select(Document).where(Document.file_name == name)).first()


def test_a_hang_a_segfault_and_8_gb_are_quarantined_and_the_rest_processed(
    context: PipelineContext, inbox: Path
) -> None:
    names = ["a-good.pdf", "hang.pdf", "segfault.pdf", "allocate.pdf", "z-good.pdf"]
    for name, (sample, _truth) in zip(names, TEXT_PDFS, strict=True):
        shutil.copy2(sample, inbox / name)

    # Only the hang gets a short limit: a good document read by a fresh process (the one
    # before it was replaced) loads the reader's model first, which takes seconds on a loaded
    # machine, and must not be timed out for it.
    hang_limit = replace(context, options=replace(context.options, timeout_s=2.0))
    outcomes = {
        name: process_document(inbox / name, hang_limit if name == "hang.pdf" else context)
        for name in names
    }

    statuses = {name: outcome.status if outcome else None for name, outcome in outcomes.items()}
    assert statuses == {
        "a-good.pdf": InvoiceStatus.APPROVED,
        "hang.pdf": InvoiceStatus.QUARANTINED,
        "segfault.pdf": InvoiceStatus.QUARANTINED,
        "allocate.pdf": InvoiceStatus.QUARANTINED,
        "z-good.pdf": InvoiceStatus.APPROVED,
    }
    codes = {name: getattr(stored(context.engine, name), "error_code", None) for name in names}
    assert codes == {
        "a-good.pdf": None,
        "hang.pdf": "timeout",
        "segfault.pdf": "crashed",
        "allocate.pdf": "out_of_memory",
        "z-good.pdf": None,
    }
    quarantine = context.settings.archive_dir / "quarantine"
    assert sorted(p.name for p in quarantine.glob("*.pdf")) == [
        "allocate.pdf",
        "hang.pdf",
        "segfault.pdf",
    ]
    assert not any(inbox.iterdir())


def test_a_transient_failure_is_retried_quarantined_with_every_reason_and_requeued(
    context: PipelineContext, inbox: Path
) -> None:
    path = inbox / SCAN.name
    shutil.copy2(SCAN, path)
    missing_language = replace(context, options=replace(context.options, ocr_languages="eng+xyz"))

    # First run: the file stays in the inbox, its attempt counted.
    with pytest.raises(TransientFailureError) as raised:
        process_document(path, missing_language)
    assert (raised.value.code.value, raised.value.attempts, raised.value.max_attempts) == (
        "ocr_unavailable",
        1,
        2,
    )
    assert path.exists() and stored(context.engine, SCAN.name) is None

    # Second run, the last attempt: quarantined with both reasons.
    outcome = process_document(path, missing_language)
    assert outcome is not None and outcome.status is InvoiceStatus.QUARANTINED
    document = stored(context.engine, SCAN.name)
    assert document is not None and document.error_code == "ocr_unavailable"
    assert document.error_message is not None
    assert "failed in 2 runs" in document.error_message
    assert "1) ocr_unavailable" in document.error_message
    assert "2) ocr_unavailable" in document.error_message
    assert not path.exists()

    # The language is installed (the options fixed); the operator requeues by reason.
    (done,) = requeue(context.engine, operator="Camille", reason="ocr_unavailable")
    assert done.moved_to == path and path.exists()
    with Session(context.engine) as session:
        (audit,) = session.exec(select(RequeueRecord)).all()
        assert (audit.operator, audit.error_code, audit.requeued_to) == (
            "Camille",
            "ocr_unavailable",
            str(path),
        )
        assert attempt_history(session, sha256=audit.sha256).attempts == 0
    assert stored(context.engine, SCAN.name) is None

    outcome = process_document(path, context)
    assert outcome is not None
    assert outcome.status in (InvoiceStatus.APPROVED, InvoiceStatus.EXCEPTION)


def test_a_bad_template_is_transient(context: PipelineContext, inbox: Path, tmp_path: Path) -> None:
    templates = tmp_path / "templates"
    templates.mkdir()
    (templates / "acme.yml").write_text("keywords: [A]\nfields: {amount: x}\noptons: {}\n")
    path = inbox / TEXT_PDFS[0][0].name
    shutil.copy2(TEXT_PDFS[0][0], path)
    with_templates = replace(context, options=replace(context.options, templates_dir=templates))

    with pytest.raises(TransientFailureError) as raised:
        process_document(path, with_templates)

    assert raised.value.code.value == "bad_template" and "optons" in raised.value.reason
    assert path.exists()


def test_a_timeout_under_load_is_transient(context: PipelineContext, inbox: Path) -> None:
    path = inbox / SCAN.name
    shutil.copy2(SCAN, path)
    # The extractor itself notices the limit (far below one OCR'd page): a cooperative timeout.
    slow = replace(context, options=replace(context.options, timeout_s=0.01))

    with pytest.raises(TransientFailureError) as raised:
        process_document(path, slow)

    assert raised.value.code.value == "timeout" and raised.value.attempts == 1
    assert path.exists()


def test_a_store_failure_counts_an_attempt_and_success_forgets_it(
    context: PipelineContext, inbox: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = inbox / TEXT_PDFS[0][0].name
    shutil.copy2(TEXT_PDFS[0][0], path)

    def failing_store(*_args: object, **_kwargs: object) -> None:
        raise OSError("disk full")

    monkeypatch.setattr(pipeline, "add_invoice", failing_store)
    with pytest.raises(OSError, match="disk full"):
        process_document(path, context)
    assert path.exists() and stored(context.engine, path.name) is None
    monkeypatch.undo()
    digest = hashlib.sha256(path.read_bytes()).hexdigest()
    with Session(context.engine) as session:
        history = attempt_history(session, sha256=digest)
    assert history.attempts == 1 and history.reasons[0][0] == "store_unavailable"

    outcome = process_document(path, context)

    assert outcome is not None and outcome.status is InvoiceStatus.APPROVED
    with Session(context.engine) as session:
        assert attempt_history(session, sha256=digest).attempts == 0
