"""Transient failures counted per file, and quarantined documents put back (audited).

A document that fails for a cause outside it (``ErrorCode.transient``) is released for the
next run; ``document_attempt`` counts those runs and keeps every reason, by the file's sha256
(the document row itself is deleted when the claim is released). ``requeue_record`` is the
audit trail of ``invoicebot requeue``: who put which quarantined document back, when, why it
had been quarantined and where its file went.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import JSON, Column, delete
from sqlmodel import Field, Session, SQLModel, col, select

from invoicebot.model import InvoiceError, InvoiceStatus
from invoicebot.store.tables import Document, ExceptionRecord, utcnow

# Longest operator name the requeue audit holds (as the review audit).
OPERATOR_MAX = 120


class DocumentAttempt(SQLModel, table=True):
    """The runs in which a file failed for a transient cause, with each reason."""

    __tablename__ = "document_attempt"

    sha256: str = Field(primary_key=True, max_length=64)
    file_name: str
    attempts: int = 0
    # One {"at", "code", "message"} per failed run, oldest first.
    reasons: list[dict[str, Any]] = Field(default_factory=list, sa_column=Column(JSON))
    first_at: datetime = Field(default_factory=utcnow)
    last_at: datetime = Field(default_factory=utcnow)


class RequeueRecord(SQLModel, table=True):
    """A quarantined document put back in the inbox by an operator (the audit record)."""

    __tablename__ = "requeue_record"

    id: int | None = Field(default=None, primary_key=True)
    document_id: int = Field(index=True)
    sha256: str = Field(index=True, max_length=64)
    file_name: str
    error_code: str | None = Field(default=None, max_length=40)
    error_message: str | None = None
    archived_path: str | None = None
    requeued_to: str
    operator: str = Field(max_length=OPERATOR_MAX)
    requeued_at: datetime = Field(default_factory=utcnow)


@dataclass(frozen=True)
class AttemptHistory:
    """How many runs a file failed in for a transient cause, and why, oldest first."""

    attempts: int
    reasons: tuple[tuple[str, str], ...]

    def describe(self) -> str:
        """Return every reason, numbered, on one line."""
        return "; ".join(
            f"{number}) {code}: {message}"
            for number, (code, message) in enumerate(self.reasons, start=1)
        )


class NotQuarantinedError(InvoiceError):
    """A document asked to be requeued is not in quarantine (or not in the store)."""

    def __init__(self, document_id: int, status: str | None) -> None:
        found = "no such document" if status is None else f"it is {status}"
        super().__init__(f"document {document_id} is not quarantined: {found}")
        self.document_id = document_id
        self.status = status


def record_attempt(
    session: Session, *, sha256: str, file_name: str, code: str, message: str
) -> AttemptHistory:
    """Count one more failed run of the file with these bytes; return its whole history."""
    attempt = session.get(DocumentAttempt, sha256)
    if attempt is None:
        attempt = DocumentAttempt(sha256=sha256, file_name=file_name)
    now = utcnow()
    attempt.attempts += 1
    attempt.last_at = now
    # A new list: SQLAlchemy sees a JSON column change only on assignment.
    attempt.reasons = [*attempt.reasons, {"at": now.isoformat(), "code": code, "message": message}]
    session.add(attempt)
    session.commit()
    return _history(attempt)


def attempt_history(session: Session, *, sha256: str) -> AttemptHistory:
    """Return the transient failures recorded for the file with these bytes (none: 0)."""
    attempt = session.get(DocumentAttempt, sha256)
    return AttemptHistory(0, ()) if attempt is None else _history(attempt)


def clear_attempts(session: Session, *, sha256: str) -> None:
    """Forget the transient failures of the file with these bytes (in the caller's
    transaction: commit it)."""
    session.execute(delete(DocumentAttempt).where(col(DocumentAttempt.sha256) == sha256))


def _history(attempt: DocumentAttempt) -> AttemptHistory:
    return AttemptHistory(
        attempts=attempt.attempts,
        reasons=tuple((str(r.get("code", "")), str(r.get("message", ""))) for r in attempt.reasons),
    )


def quarantined_documents(
    session: Session, *, ids: list[int] | None = None, reason: str | None = None
) -> list[Document]:
    """Return the quarantined documents, those with these ids or this error code only.

    Raises ``NotQuarantinedError`` for an id that is not a quarantined document.
    """
    query = select(Document).where(col(Document.status) == InvoiceStatus.QUARANTINED.value)
    if ids:
        query = query.where(col(Document.id).in_(ids))
    if reason is not None:
        query = query.where(col(Document.error_code) == reason)
    documents = list(session.exec(query.order_by(col(Document.id))).all())
    for wanted in ids or []:
        if all(document.id != wanted for document in documents):
            found = session.get(Document, wanted)
            raise NotQuarantinedError(wanted, None if found is None else found.status)
    return documents


def forget_quarantined(
    session: Session, *, document: Document, requeued_to: str, operator: str
) -> RequeueRecord:
    """Record the requeue of a quarantined ``document`` and delete its rows, so that its file
    is claimed afresh, with fresh attempts, by the next run; flushed, not committed."""
    assert document.id is not None  # a stored row
    record = RequeueRecord(
        document_id=document.id,
        sha256=document.sha256,
        file_name=document.file_name,
        error_code=document.error_code,
        error_message=document.error_message,
        archived_path=document.archived_path,
        requeued_to=requeued_to,
        operator=operator[:OPERATOR_MAX],
    )
    session.add(record)
    session.execute(delete(ExceptionRecord).where(col(ExceptionRecord.document_id) == document.id))
    session.execute(delete(Document).where(col(Document.id) == document.id))
    clear_attempts(session, sha256=document.sha256)
    session.flush()
    return record
