"""Claims of inbox files as leases: taken, renewed, taken over when lapsed, released.

A run claims a file's bytes (one ``document`` row per sha256) under an owner name unique to
that claim, with a lease it renews while it works (``invoicebot.leases``). Every write that
depends on holding the claim is a compare-and-set on the owner: a run whose lease lapsed and
was taken over finds out at its next renewal, and at the latest when it stores, which then
fails with ``LeaseLostError`` instead of storing the document a second time.
"""

from __future__ import annotations

import os
import socket
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import StrEnum
from typing import Final

from sqlalchemy import and_, delete, or_, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.sql.elements import ColumnElement
from sqlmodel import Session, col, select

from invoicebot.model import InvoiceError
from invoicebot.store.tables import ClaimTakeover, Document, utcnow

PROCESSING: Final = "processing"
# Claims made before leases (schema 0004) carry no expiry: they lapsed an hour after
# ``claimed_at``, the lease of that version.
LEGACY_LEASE: Final = timedelta(hours=1)
OWNER_MAX: Final = 120

Clock = Callable[[], datetime]


class ClaimOutcome(StrEnum):
    """What claiming a file's bytes gave."""

    CLAIMED = "claimed"
    ALREADY_PROCESSED = "already_processed"
    IN_PROGRESS = "in_progress"


@dataclass(frozen=True)
class Claim:
    """The result of ``claim_document``: the document row and whether this run owns it.

    ``owner`` is this claim's owner name (it renews and finishes the claim with it);
    ``taken_over_from`` names the run whose lapsed lease this claim took over, if any.
    """

    outcome: ClaimOutcome
    document_id: int
    status: str
    archived_path: str | None
    owner: str | None = None
    taken_over_from: str | None = None


class LeaseLostError(InvoiceError):
    """This run's claim on a document was taken over by another run (its lease lapsed):
    the other run processes the document, this one must not store or release it."""

    def __init__(self, document_id: int, owner: str) -> None:
        super().__init__(
            f"document {document_id}: the claim of {owner} was taken over by another run "
            "after its lease lapsed; that run processes the document"
        )
        self.document_id = document_id
        self.owner = owner


def new_owner() -> str:
    """Return a new claim owner name: this host and process, and a token of its own."""
    return f"{socket.gethostname()[:80]}:{os.getpid()}:{uuid.uuid4().hex[:16]}"[-OWNER_MAX:]


def claim_document(
    session: Session,
    *,
    sha256: str,
    source: str,
    file_name: str,
    size_bytes: int,
    batch_id: int | None,
    stale_after: timedelta,
    owner: str | None = None,
    clock: Clock = utcnow,
) -> Claim:
    """Claim the file with these bytes for this run, so no other run processes it.

    The claim is a lease of ``stale_after`` that its owner renews (``renew_lease``); a claim
    whose lease lapsed without being finished (its run died) is taken over, and the takeover
    recorded in ``claim_takeover``.
    """
    owner = owner or new_owner()
    now = clock()
    document = Document(
        sha256=sha256,
        source=source,
        file_name=file_name,
        size_bytes=size_bytes,
        batch_id=batch_id,
        claimed_at=now,
        claimed_by=owner,
        lease_expires_at=now + stale_after,
    )
    session.add(document)
    try:
        session.commit()
    except IntegrityError:
        session.rollback()
    else:
        assert document.id is not None  # set by the INSERT
        return Claim(ClaimOutcome.CLAIMED, document.id, PROCESSING, None, owner)
    existing = session.exec(select(Document).where(Document.sha256 == sha256)).one()
    assert existing.id is not None  # a stored row
    if existing.status != PROCESSING:
        return Claim(
            ClaimOutcome.ALREADY_PROCESSED, existing.id, existing.status, existing.archived_path
        )
    previous = existing.claimed_by
    previous_expiry = existing.lease_expires_at
    # Compare-and-set, the lapse checked by the database in the same statement: of two runs
    # taking over one lapsed claim, one wins; a renewal that comes first keeps it.
    taken = session.execute(
        update(Document)
        .where(col(Document.id) == existing.id)
        .where(col(Document.status) == PROCESSING)
        .where(_lapsed(now))
        .values(claimed_by=owner, lease_expires_at=now + stale_after, batch_id=batch_id)
    )
    if taken.rowcount != 1:  # type: ignore[attr-defined]
        session.rollback()
        return Claim(ClaimOutcome.IN_PROGRESS, existing.id, PROCESSING, None)
    session.add(
        ClaimTakeover(
            document_id=existing.id,
            sha256=sha256,
            previous_owner=previous,
            previous_lease_expires_at=previous_expiry,
            taken_by=owner,
            batch_id=batch_id,
            taken_at=now,
        )
    )
    session.commit()
    return Claim(ClaimOutcome.CLAIMED, existing.id, PROCESSING, None, owner, previous or "unknown")


def held_under_lease(session: Session, *, sha256: str, clock: Clock = utcnow) -> bool:
    """Return True when a run holds the file with these bytes and its lease runs: claiming
    it now would find it in progress."""
    now = clock()
    held = session.exec(
        select(Document.id)
        .where(Document.sha256 == sha256)
        .where(Document.status == PROCESSING)
        .where(col(Document.lease_expires_at) >= now)
    ).first()
    return held is not None


def _lapsed(now: datetime) -> ColumnElement[bool]:
    return or_(
        col(Document.lease_expires_at) < now,
        and_(
            col(Document.lease_expires_at).is_(None), col(Document.claimed_at) < now - LEGACY_LEASE
        ),
    )


def renew_lease(
    session: Session, *, document_id: int, owner: str, lease: timedelta, clock: Clock = utcnow
) -> bool:
    """Extend the lease of ``owner``'s claim to ``lease`` from now; commit. Return False when
    the claim is no longer ``owner``'s (taken over, or finished)."""
    renewed = session.execute(
        update(Document)
        .where(col(Document.id) == document_id)
        .where(col(Document.claimed_by) == owner)
        .where(col(Document.status) == PROCESSING)
        .values(lease_expires_at=clock() + lease)
    )
    session.commit()
    return bool(renewed.rowcount == 1)  # type: ignore[attr-defined]


def hold_claim(session: Session, *, document_id: int, owner: str) -> None:
    """Lock ``owner``'s claim for the rest of this transaction, which finishes it; raise
    ``LeaseLostError`` when another run took it over.

    The row stays locked until the commit (PostgreSQL's row lock; SQLite's write lock), so
    no takeover can slip in between this check and the document's finishing.
    """
    held = session.execute(
        update(Document)
        .where(col(Document.id) == document_id)
        .where(col(Document.claimed_by) == owner)
        .where(col(Document.status) == PROCESSING)
        .values(claimed_by=owner)
    )
    if held.rowcount != 1:  # type: ignore[attr-defined]
        raise LeaseLostError(document_id, owner)


def release_claim(session: Session, *, document_id: int, owner: str | None = None) -> None:
    """Delete an unfinished claim so that the file is processed again by the next run.

    With ``owner``, only that owner's claim: a claim taken over meanwhile is left alone.
    """
    statement = (
        delete(Document)
        .where(col(Document.id) == document_id)
        .where(col(Document.status) == PROCESSING)
    )
    if owner is not None:
        statement = statement.where(col(Document.claimed_by) == owner)
    session.execute(statement)
    session.commit()


def takeovers(session: Session, *, document_id: int | None = None) -> list[ClaimTakeover]:
    """Return the recorded takeovers, oldest first (of one document, when given)."""
    query = select(ClaimTakeover).order_by(col(ClaimTakeover.id))
    if document_id is not None:
        query = query.where(ClaimTakeover.document_id == document_id)
    return list(session.exec(query).all())
