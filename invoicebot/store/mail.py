"""The mailbox channel's ledger: every attachment taken from a message, and where it went.

One row per (message, part): the key that makes a re-fetch after a crash write nothing new.
A usable attachment's row is ``pending`` before its file is written into the inbox and
``delivered`` after; a rejected one is ``quarantined`` with its reason. The row keeps the
message's provenance (sender, subject, message id, received time) beside the document's
sha256, where the review form finds it. Its ``sha256`` column also lets a purge or an erasure
of the document delete it (``invoicebot.store.retention``).
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from enum import StrEnum

from sqlalchemy import UniqueConstraint
from sqlmodel import Field, Session, SQLModel, col, select

from invoicebot.store.tables import Document, utcnow

# Longest values the ledger keeps of what a message says about itself (RFC 5322 allows more).
MESSAGE_ID_MAX = 998
PART_KEY_MAX = 200


class PartStatus(StrEnum):
    """Where one part of a message went."""

    PENDING = "pending"
    DELIVERED = "delivered"
    QUARANTINED = "quarantined"


class MailPart(SQLModel, table=True):
    """One attachment (or, for a message without any, the message itself) taken from a
    mailbox, with the message's provenance."""

    __tablename__ = "mail_part"
    __table_args__ = (UniqueConstraint("message_key", "part_key"),)

    id: int | None = Field(default=None, primary_key=True)
    # The Message-ID header, or the sha256 of the raw message when it has none.
    message_key: str = Field(max_length=MESSAGE_ID_MAX)
    # "2" for the second part; "2/3" for the third member of the ZIP file that part 2 is;
    # "message" for a message without any usable attachment.
    part_key: str = Field(max_length=PART_KEY_MAX)
    sha256: str = Field(index=True, max_length=64)
    file_name: str
    # The name the file took in the inbox, or the path of its quarantine copy.
    stored_as: str
    status: str = Field(index=True, max_length=20)
    reason: str | None = None
    sender: str
    subject: str
    message_id: str | None = Field(default=None, max_length=MESSAGE_ID_MAX)
    received_at: datetime | None = None
    mailbox: str
    fetched_at: datetime = Field(default_factory=utcnow)


def known_parts(session: Session, *, message_key: str) -> dict[str, MailPart]:
    """Return the ledger's rows of one message, by part key."""
    rows = session.exec(select(MailPart).where(MailPart.message_key == message_key)).all()
    return {row.part_key: row for row in rows}


def add_parts(session: Session, rows: Sequence[MailPart]) -> None:
    """Store the rows of one message in one transaction."""
    session.add_all(rows)
    session.commit()


def mark_delivered(session: Session, *, ids: Sequence[int]) -> None:
    """Set the rows ``delivered``, once their files are in the inbox."""
    for row in session.exec(select(MailPart).where(col(MailPart.id).in_(ids))).all():
        row.status = PartStatus.DELIVERED.value
        session.add(row)
    session.commit()


def is_claimed(session: Session, *, sha256: str) -> bool:
    """Return True when a batch already claimed these bytes (they reached the inbox)."""
    found = session.exec(select(Document.id).where(Document.sha256 == sha256)).first()
    return found is not None


def provenance_of(session: Session, *, sha256: str) -> list[MailPart]:
    """Return the messages that brought these bytes, oldest first."""
    return list(
        session.exec(
            select(MailPart)
            .where(MailPart.sha256 == sha256, MailPart.status == PartStatus.DELIVERED.value)
            .order_by(col(MailPart.id))
        ).all()
    )
