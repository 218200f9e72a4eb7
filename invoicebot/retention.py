"""Retention and erasure: what ``invoicebot purge`` and ``invoicebot erase`` do, audited.

The Prefect side (flow runs, artifacts) is passed in as a function by the caller
(``flows/retention.py``): this layer does not import Prefect. The order makes a failure
safe to retry: Prefect first (deleting what is already gone is no error), then the files,
then the store with its audit record in one commit — the rows that name the Prefect runs
and the files are deleted last, so a second run finds what a failed one left.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path

from sqlmodel import Session

from invoicebot.model import InvoiceError
from invoicebot.pageview import clear_page_cache
from invoicebot.settings import Settings
from invoicebot.store.retention import (
    PrivacyAction,
    Selection,
    delete_documents,
    erase_supplier_rows,
    find_supplier,
    record_action,
    select_old_documents,
    select_supplier_documents,
)


class PrefectUnreachableError(InvoiceError):
    """A Prefect API is configured but does not answer: its runs cannot be deleted now."""

    def __init__(self, url: str, problem: Exception) -> None:
        super().__init__(
            f"the Prefect API at {url} does not answer ({problem!r}): nothing was deleted; "
            "start it (make serve) and run the command again, or add --store-only"
        )
        self.url = url
        self.problem = problem


@dataclass(frozen=True)
class PrefectSide:
    """What the Prefect server did: a sentence for the audit and counts."""

    summary: str
    counts: dict[str, int]


# delete_runs, strip_artifacts_of -> what was deleted on the Prefect server.
PrefectCleaner = Callable[[list[str], list[str]], PrefectSide]


@dataclass(frozen=True)
class RetentionResult:
    """A purge or an erasure done: its audit record and the documents it concerned."""

    audit: PrivacyAction
    selection: Selection


def purge(
    session: Session,
    settings: Settings,
    *,
    older_than_days: int,
    operator: str,
    prefect: PrefectCleaner,
    now: datetime | None = None,
) -> RetentionResult:
    """Delete every document received more than ``older_than_days`` ago (not those still
    waiting for an operator): store rows, archive files, exact duplicates set aside before
    the cut-off, the invoices' review runs and the batch runs left empty; audit it."""
    cutoff = (now or datetime.now(UTC)) - timedelta(days=older_than_days)
    selection = select_old_documents(session, before=cutoff)
    side = prefect(selection.review_runs + selection.batch_runs, [])
    counts = dict(side.counts)
    counts["files"] = _delete_files(selection.files)
    counts["page_images"] = clear_page_cache(settings, selection.sha256s)
    counts["duplicate_files"] = _delete_old_duplicates(settings, before=cutoff)
    counts |= delete_documents(session, selection)
    audit = record_action(
        session,
        action="purge",
        criterion=f"received before {cutoff:%Y-%m-%d %H:%M} UTC ({older_than_days} days)",
        operator=operator,
        counts=counts,
        prefect=side.summary,
    )
    return RetentionResult(audit=audit, selection=selection)


def erase(
    session: Session,
    settings: Settings,
    *,
    supplier_key: str,
    operator: str,
    prefect: PrefectCleaner,
) -> RetentionResult:
    """Erase the personal data of one supplier (a sole trader): names, identifiers and IBANs
    replaced in the store, its vendor master row deleted, its archived files and the
    copies set aside as duplicates deleted, its review runs and the batch artifacts that
    listed it deleted on the Prefect server; audit it (the audit names the key given, not
    the data). Raise ``store.retention.UnknownSupplierError`` when nothing matches."""
    supplier = find_supplier(session, key=supplier_key)
    selection = select_supplier_documents(session, supplier)
    side = prefect(selection.review_runs, selection.touched_batch_runs)
    counts = dict(side.counts)
    counts["files"] = _delete_files(selection.files)
    counts["page_images"] = clear_page_cache(settings, selection.sha256s)
    counts["duplicate_files"] = _delete_duplicates_of(settings, set(selection.sha256s))
    counts |= erase_supplier_rows(session, supplier, selection)
    audit = record_action(
        session,
        action="erase",
        criterion=f"supplier {supplier_key.strip()}",
        operator=operator,
        counts=counts,
        prefect=side.summary,
    )
    return RetentionResult(audit=audit, selection=selection)


def _delete_files(paths: list[str]) -> int:
    deleted = 0
    for name in paths:
        path = Path(name)
        if path.is_file():
            path.unlink()
            deleted += 1
    return deleted


def _duplicates_dir(settings: Settings) -> Path:
    return settings.archive_dir / "duplicates"


def _delete_old_duplicates(settings: Settings, *, before: datetime) -> int:
    """Delete the exact duplicates set aside before ``before`` (the store has no row for
    them: their bytes are an earlier document's)."""
    folder = _duplicates_dir(settings)
    if not folder.is_dir():
        return 0
    deleted = 0
    for path in folder.iterdir():
        if path.is_file() and path.stat().st_mtime < before.timestamp():
            path.unlink()
            deleted += 1
    return deleted


def _delete_duplicates_of(settings: Settings, sha256s: set[str]) -> int:
    """Delete the duplicates set aside whose bytes are one of ``sha256s``."""
    folder = _duplicates_dir(settings)
    if not folder.is_dir() or not sha256s:
        return 0
    deleted = 0
    for path in folder.iterdir():
        if path.is_file() and _sha256(path) in sha256s:
            path.unlink()
            deleted += 1
    return deleted


def _sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as stream:
        for block in iter(lambda: stream.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()
