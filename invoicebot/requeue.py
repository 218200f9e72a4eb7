"""Quarantined documents put back in the inbox (``invoicebot requeue``), audited.

Once the cause of a quarantine is fixed (an OCR language installed, a template corrected, a
limit raised), the operator requeues the documents: each file goes from
``archive/quarantine/`` back to the inbox it came from, its rows are deleted (an audit record,
``requeue_record``, keeps who, when, why it had been quarantined and where the file went) and
its transient attempts are forgotten, so that the next run claims and reads it afresh.
"""

from __future__ import annotations

import logging
import shutil
from dataclasses import dataclass
from pathlib import Path

from sqlalchemy.engine import Engine
from sqlmodel import Session

from invoicebot.model import InvoiceError
from invoicebot.store.retries import forget_quarantined, quarantined_documents
from invoicebot.store.tables import Document

logger = logging.getLogger(__name__)


class ArchivedFileMissingError(InvoiceError):
    """A quarantined document's file is not where the store says it was archived."""

    def __init__(self, document_id: int, archived_path: str | None) -> None:
        super().__init__(
            f"document {document_id}: its quarantined file {archived_path} is missing; "
            "nothing was requeued for it"
        )
        self.document_id = document_id
        self.archived_path = archived_path


@dataclass(frozen=True)
class Requeued:
    """A document put back: its former id, file, quarantine reason and where it went."""

    document_id: int
    file_name: str
    error_code: str | None
    error_message: str | None
    moved_to: Path


def requeue(
    engine: Engine,
    *,
    operator: str,
    ids: list[int] | None = None,
    reason: str | None = None,
    inbox: Path | None = None,
) -> list[Requeued]:
    """Put the quarantined documents with these ids and/or this error code (neither: all)
    back in ``inbox`` (default: the inbox each came from); return what was requeued.

    Raises ``NotQuarantinedError`` for an id that is not quarantined (nothing is requeued then)
    and ``ArchivedFileMissingError`` when a file is gone (those before it stay requeued).
    """
    with Session(engine) as session:
        documents = quarantined_documents(session, ids=ids, reason=reason)
    return [
        _requeue_one(engine, document, operator=operator, inbox=inbox) for document in documents
    ]


def _requeue_one(
    engine: Engine, document: Document, *, operator: str, inbox: Path | None
) -> Requeued:
    assert document.id is not None  # a stored row
    archived = Path(document.archived_path) if document.archived_path else None
    if archived is None or not archived.is_file():
        raise ArchivedFileMissingError(document.id, document.archived_path)
    original = Path(document.source)
    target = _free_name((inbox or original.parent) / original.name, document.id)
    with Session(engine) as session:
        forget_quarantined(session, document=document, requeued_to=str(target), operator=operator)
        target.parent.mkdir(parents=True, exist_ok=True)
        shutil.move(archived, target)
        try:
            session.commit()
        except BaseException:
            # The rows stay: the file goes back to the quarantine folder with them.
            shutil.move(target, archived)
            raise
    reason_file = archived.with_name(archived.name + ".reason.json")
    reason_file.unlink(missing_ok=True)
    logger.info("requeued document %d (%s) to %s", document.id, document.error_code, target)
    return Requeued(
        document_id=document.id,
        file_name=document.file_name,
        error_code=document.error_code,
        error_message=document.error_message,
        moved_to=target,
    )


def _free_name(target: Path, document_id: int) -> Path:
    """Return ``target``, or a name beside it that no file has, never overwriting one."""
    if not target.exists():
        return target
    return target.with_name(f"{target.stem}-requeued-{document_id}{target.suffix}")
