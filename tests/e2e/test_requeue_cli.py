"""`invoicebot requeue` end to end: quarantined documents of a real store back in the inbox,
by id, by reason or all, each audited; bad usage and unknown ids refused."""

from __future__ import annotations

from pathlib import Path

from sqlmodel import Session, col, select

from invoicebot.model import InvoiceStatus
from invoicebot.pipeline import PipelineContext, extract_options
from invoicebot.settings import Settings
from invoicebot.store import init_store, make_engine
from invoicebot.store.retries import RequeueRecord
from invoicebot.store.tables import Document
from tests.e2e.test_cli import invoicebot, isolated_env
from tests.processing import process_document


def quarantine_two(env: dict[str, str], inbox: Path) -> list[int]:
    """Quarantine a truncated PDF (unreadable) and a text file named .pdf (unsupported) through
    the pipeline, in the store of ``env``; return their document ids."""
    inbox.mkdir(parents=True)
    (inbox / "truncated.pdf").write_bytes(b"%PDF-1.7\n1 0 obj\n<< /Type /Catalog")
    (inbox / "notes.pdf").write_text("Ceci n'est pas une facture.\n")
    settings = Settings(data_dir=Path(env["INVOICEBOT_DATA_DIR"]))
    engine = make_engine(settings.resolved_database_url)
    init_store(engine)
    context = PipelineContext(settings, engine, None, extract_options(settings))
    for path in sorted(inbox.iterdir()):
        outcome = process_document(path, context)
        assert outcome is not None and outcome.status is InvoiceStatus.QUARANTINED
    with Session(engine) as session:
        ids = [d.id for d in session.exec(select(Document).order_by(col(Document.id))).all()]
    engine.dispose()
    assert not any(inbox.iterdir())
    return [i for i in ids if i is not None]


def test_requeue_by_id_then_by_reason_is_audited(tmp_path: Path) -> None:
    env = isolated_env(tmp_path)
    inbox = tmp_path / "inbox"
    notes_id, truncated_id = quarantine_two(env, inbox)

    by_id = invoicebot("requeue", str(truncated_id), "--by", "Camille", env=env)
    assert by_id.returncode == 0, by_id.stderr
    assert sorted(p.name for p in inbox.iterdir()) == ["truncated.pdf"]
    assert "1 document(s) requeued by Camille" in by_id.stdout

    again = invoicebot("requeue", str(truncated_id), env=env)
    assert again.returncode == 1 and "not quarantined" in again.stderr

    by_reason = invoicebot("requeue", "--reason", "unsupported_format", "--by", "Sam", env=env)
    assert by_reason.returncode == 0, by_reason.stderr
    assert sorted(p.name for p in inbox.iterdir()) == ["notes.pdf", "truncated.pdf"]

    engine = make_engine(f"sqlite:///{Path(env['INVOICEBOT_DATA_DIR']) / 'invoicebot.db'}")
    with Session(engine) as session:
        audit = session.exec(select(RequeueRecord).order_by(col(RequeueRecord.id))).all()
        assert session.exec(select(Document)).all() == []
    engine.dispose()
    assert [(r.document_id, r.operator, r.error_code) for r in audit] == [
        (truncated_id, "Camille", "unreadable"),
        (notes_id, "Sam", "unsupported_format"),
    ]
    assert [Path(r.requeued_to).parent for r in audit] == [inbox, inbox]


def test_requeue_needs_ids_a_reason_or_all(tmp_path: Path) -> None:
    env = isolated_env(tmp_path)

    nothing = invoicebot("requeue", env=env)
    both = invoicebot("requeue", "3", "--all", env=env)
    empty = invoicebot("requeue", "--all", env=env)

    assert nothing.returncode == 2 and "--all" in nothing.stderr
    assert both.returncode == 2
    assert empty.returncode == 0 and "0 document(s) requeued" in empty.stdout
