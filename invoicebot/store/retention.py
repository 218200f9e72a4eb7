"""Retention and erasure in the store: purge old documents, erase a supplier's personal data.

``purge`` deletes every row about documents received before a cut-off (the document, its
invoice, lines, rule results, exceptions, review audit, labels, attempts, whatever table
refers to them), and ``erase`` replaces the personal data of one supplier (a sole trader's
name, identifiers, IBANs, the file names that carry them) where it is kept. Both return
what they did and leave one ``PrivacyAction`` audit row, which holds counts and the
criterion, never the personal data itself. Files and the Prefect side are the caller's
(``invoicebot/retention.py``); these functions do not commit unless their name says so.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import PurePath
from typing import Any

from sqlalchemy import JSON, Column, Table, delete, select, update
from sqlalchemy.sql.elements import ColumnElement
from sqlmodel import Field, Session, SQLModel, col

from invoicebot.model import InvoiceError
from invoicebot.store import master, retries, review_audit, tables, training_labels
from invoicebot.store.tables import Document, ExceptionRecord, Invoice, RuleResultRow, utcnow

# Invoices still waiting for an operator are never purged: they are not paid yet.
KEPT_STATUSES = (*review_audit.WAITING_STATUSES,)
# Documents still being processed are a live batch's: never purged either.
KEPT_DOCUMENT_STATUSES = ("processing",)
ERASED = "[erased]"


class PrivacyAction(SQLModel, table=True):
    """One purge or erasure (the audit record): what was asked, by whom, what it removed."""

    __tablename__ = "privacy_action"

    id: int | None = Field(default=None, primary_key=True)
    action: str = Field(max_length=20)
    criterion: str
    operator: str = Field(max_length=review_audit.PERSON_NAME_MAX)
    # Rows deleted or rewritten per table, files deleted, Prefect objects deleted.
    counts: dict[str, int] = Field(default_factory=dict, sa_column=Column(JSON))
    # What happened on the Prefect side ("not reachable: ..." when it was not).
    prefect: str = ""
    done_at: datetime = Field(default_factory=utcnow, index=True)


class UnknownSupplierError(InvoiceError):
    """No invoice or vendor of the store matches the supplier key given to ``erase``."""

    def __init__(self, key: str) -> None:
        super().__init__(
            f"no supplier matches {key!r}: give a vendor id of the master (SUP-003), a VAT "
            "number, a SIREN or SIRET, or a seller key as `invoicebot review list --json` "
            "shows them (vat:FR..., siren:..., name:...)"
        )
        self.key = key


@dataclass
class Selection:
    """The documents a purge or an erasure concerns, and what lives outside the store."""

    document_ids: list[int] = field(default_factory=list)
    invoice_ids: list[int] = field(default_factory=list)
    sha256s: list[str] = field(default_factory=list)
    # Archived files (and their quarantine reasons) to delete.
    files: list[str] = field(default_factory=list)
    # Prefect flow runs: the review runs of the invoices, the batch runs left empty.
    review_runs: list[str] = field(default_factory=list)
    batch_runs: list[str] = field(default_factory=list)
    # Prefect runs of every batch that held one of the documents.
    touched_batch_runs: list[str] = field(default_factory=list)


def _ids(values: Iterable[int | None]) -> list[int]:
    return sorted({value for value in values if value is not None})


def select_old_documents(session: Session, *, before: datetime) -> Selection:
    """Return the documents claimed before ``before`` that may be purged: not processing,
    and not an invoice still waiting for an operator."""
    waiting = select(col(Invoice.document_id)).where(col(Invoice.status).in_(KEPT_STATUSES))
    documents = session.execute(
        select(Document)
        .where(col(Document.claimed_at) < before)
        .where(col(Document.status).not_in(KEPT_DOCUMENT_STATUSES))
        .where(col(Document.id).not_in(waiting))
    ).all()
    return _selection(session, [row[0] for row in documents])


def _selection(
    session: Session, documents: Sequence[Document], *, invoice_ids: list[int] | None = None
) -> Selection:
    """Return the selection of ``documents`` and of ``invoice_ids`` (default: every invoice
    of the documents)."""
    document_ids = _ids(document.id for document in documents)
    if invoice_ids is None:
        invoice_ids = _ids(
            session.execute(
                select(col(Invoice.id)).where(col(Invoice.document_id).in_(document_ids))
            ).scalars()
        )
    files: list[str] = []
    for document in documents:
        if document.archived_path:
            files += [document.archived_path, document.archived_path + ".reason.json"]
    review_runs = sorted(
        session.execute(
            select(col(review_audit.ReviewRun.flow_run_id)).where(
                col(review_audit.ReviewRun.invoice_id).in_(invoice_ids)
            )
        ).scalars()
    )
    return Selection(
        document_ids=document_ids,
        invoice_ids=invoice_ids,
        sha256s=sorted(document.sha256 for document in documents),
        files=files,
        review_runs=review_runs,
        batch_runs=_emptied_batch_runs(session, document_ids),
        touched_batch_runs=sorted(
            str(run_id)
            for run_id in session.execute(
                select(col(tables.BatchRun.flow_run_id))
                .where(col(tables.BatchRun.flow_run_id).is_not(None))
                .where(
                    col(tables.BatchRun.id).in_(
                        select(col(Document.batch_id)).where(col(Document.id).in_(document_ids))
                    )
                )
            ).scalars()
        ),
    )


def _emptied_batch_runs(session: Session, document_ids: list[int]) -> list[str]:
    """Return the Prefect runs of the batches whose every document is in ``document_ids``."""
    chosen = set(document_ids)
    batches = session.execute(
        select(col(tables.BatchRun.id), col(tables.BatchRun.flow_run_id))
        .where(col(tables.BatchRun.flow_run_id).is_not(None))
        .where(
            col(tables.BatchRun.id).in_(
                select(col(Document.batch_id)).where(col(Document.id).in_(document_ids))
            )
        )
    ).all()
    emptied = []
    for batch_id, flow_run_id in batches:
        held = session.execute(
            select(col(Document.id)).where(Document.batch_id == batch_id)
        ).scalars()
        if set(held) <= chosen:
            emptied.append(str(flow_run_id))
    return sorted(emptied)


def delete_documents(session: Session, selection: Selection) -> dict[str, int]:
    """Delete the selected documents and every row that refers to them, in any table of the
    store (found from the foreign keys and the ``document_id``, ``invoice_id`` and
    ``sha256`` columns); return the rows deleted per table. Does not commit."""
    doomed: dict[str, list[Any]] = {"document": list(selection.document_ids)}
    if selection.invoice_ids:
        doomed["invoice"] = list(selection.invoice_ids)
    ordered = list(SQLModel.metadata.sorted_tables)
    # Parents first: a row is doomed when it refers to a doomed row.
    for table in ordered:
        if table.name in ("document", "invoice"):
            continue
        condition = _refers_to_doomed(table, doomed, selection)
        if condition is None:
            continue
        keys = list(table.primary_key.columns)
        rows = session.execute(select(*keys).where(condition)).all()
        if rows:
            doomed[table.name] = [tuple(row) for row in rows]
    counts: dict[str, int] = {}
    for table in reversed(ordered):
        if table.name not in doomed or not doomed[table.name]:
            continue
        if table.name in ("document", "invoice"):
            condition = table.c.id.in_(doomed[table.name])
        else:
            condition = _refers_to_doomed(table, doomed, selection)
        if condition is None:
            continue
        result = session.execute(delete(table).where(condition))
        counts[table.name] = int(getattr(result, "rowcount", 0) or 0)
    return counts


def _refers_to_doomed(
    table: Table, doomed: dict[str, list[Any]], selection: Selection
) -> ColumnElement[bool] | None:
    conditions: list[ColumnElement[bool]] = []
    for foreign_key in table.foreign_keys:
        target = foreign_key.column.table.name
        if target in doomed and len(foreign_key.column.table.primary_key.columns) == 1:
            ids = [key[0] if isinstance(key, tuple) else key for key in doomed[target]]
            conditions.append(foreign_key.parent.in_(ids))
    referenced = {fk.parent.name for fk in table.foreign_keys}
    # Tables that name a document or an invoice without a foreign key (audit, attempts).
    if "document_id" in table.c and "document_id" not in referenced:
        conditions.append(table.c.document_id.in_(selection.document_ids))
    if "invoice_id" in table.c and "invoice_id" not in referenced:
        conditions.append(table.c.invoice_id.in_(selection.invoice_ids))
    if "sha256" in table.c and table.name != "document":
        conditions.append(table.c.sha256.in_(selection.sha256s))
    if not conditions:
        return None
    combined = conditions[0]
    for condition in conditions[1:]:
        combined = combined | condition
    return combined


# --------------------------------------------------------------------------------------
# Erasure
# --------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Supplier:
    """The identifiers that name one supplier in the store."""

    seller_keys: frozenset[str]
    vat_ids: frozenset[str]
    sirens: frozenset[str]
    name_keys: frozenset[str]
    vendor_ids: frozenset[str]


def _fold(name: str) -> str:
    return "".join(ch for ch in name.casefold() if ch.isalnum())


def find_supplier(session: Session, *, key: str) -> Supplier:
    """Return the identifiers of the supplier ``key`` names: a vendor id of the master, a
    seller key (``vat:...``, ``siren:...``, ``name:...``), a VAT number, a SIREN or SIRET.
    Raise ``UnknownSupplierError`` when nothing in the store matches."""
    text = key.strip()
    compact = "".join(ch for ch in text.upper() if ch.isalnum())
    found = session.execute(
        select(master.Vendor).where(
            (col(master.Vendor.vendor_id) == text)
            | (col(master.Vendor.vat_id) == compact)
            | (col(master.Vendor.siren) == compact[:9])
        )
    ).scalars()
    vendors = list(found)
    seller_keys = {text} if ":" in text else set()
    vat_ids = {compact} if compact[:2].isalpha() and len(compact) > 4 else set()
    sirens = {compact[:9]} if compact.isdigit() and len(compact) in (9, 14) else set()
    name_keys = {text.split(":", 1)[1]} if text.startswith("name:") else set()
    for vendor in vendors:
        vat_ids |= {vendor.vat_id} if vendor.vat_id else set()
        sirens |= {vendor.siren} if vendor.siren else set()
        name_keys.add(vendor.name_key or _fold(vendor.name))
    if text.startswith("vat:"):
        vat_ids.add(text[4:].upper())
    if text.startswith("siren:"):
        sirens.add(text[6:])
    seller_keys |= {f"vat:{vat}" for vat in vat_ids}
    seller_keys |= {f"siren:{siren}" for siren in sirens}
    seller_keys |= {f"name:{name}" for name in name_keys}
    supplier = Supplier(
        seller_keys=frozenset(seller_keys),
        vat_ids=frozenset(vat_ids),
        sirens=frozenset(sirens),
        name_keys=frozenset(name_keys),
        vendor_ids=frozenset(vendor.vendor_id for vendor in vendors),
    )
    if not vendors and not select_supplier_documents(session, supplier).document_ids:
        raise UnknownSupplierError(key)
    return supplier


def select_supplier_documents(session: Session, supplier: Supplier) -> Selection:
    """Return the documents whose invoice names the supplier."""
    matches: list[ColumnElement[bool]] = [col(Invoice.seller_key).in_(supplier.seller_keys)]
    if supplier.vat_ids:
        matches.append(col(Invoice.seller_vat_id).in_(supplier.vat_ids))
    for siren in supplier.sirens:
        matches.append(col(Invoice.seller_siret).startswith(siren))
    condition = matches[0]
    for match in matches[1:]:
        condition = condition | match
    matching = session.execute(
        select(col(Invoice.document_id), col(Invoice.id)).where(condition)
    ).all()
    documents = session.execute(
        select(Document).where(col(Document.id).in_({row[0] for row in matching}))
    ).scalars()
    # A file holding several invoices (a stack) may hold other suppliers' invoices too:
    # only this supplier's are rewritten (the file itself, which names it, goes).
    return _selection(session, list(documents), invoice_ids=_ids(row[1] for row in matching))


def erase_supplier_rows(
    session: Session, supplier: Supplier, selection: Selection
) -> dict[str, int]:
    """Replace the supplier's personal data in the store; return the rows rewritten per
    table. Does not commit.

    Invoices keep their number, dates and amounts (the books need them) but lose the seller's
    name, identifiers and IBAN; rule results and exceptions lose their messages and compared
    values (they quote them); review audits lose the seller fields' corrections; file names
    become ``erased-<id>``; the classifier's snapshots of those invoices and the vendor
    master's rows of the supplier are deleted.
    """
    counts: dict[str, int] = {}
    invoice_ids = selection.invoice_ids

    def rewrite(name: str, statement: Any) -> None:
        result = session.execute(statement)
        counts[name] = counts.get(name, 0) + int(getattr(result, "rowcount", 0) or 0)

    if invoice_ids:
        rewrite(
            "invoice",
            update(Invoice)
            .where(col(Invoice.id).in_(invoice_ids))
            .values(
                seller_name=ERASED,
                seller_vat_id=None,
                seller_siret=None,
                seller_iban=None,
                seller_key=None,
            ),
        )
        rewrite(
            "rule_result",
            update(RuleResultRow)
            .where(col(RuleResultRow.invoice_id).in_(invoice_ids))
            .values(message=ERASED, compared={}),
        )
        rewrite(
            "exception",
            update(ExceptionRecord)
            .where(col(ExceptionRecord.invoice_id).in_(invoice_ids))
            .values(message=ERASED),
        )
        for decision in session.execute(
            select(review_audit.ReviewDecision).where(
                col(review_audit.ReviewDecision.invoice_id).in_(invoice_ids)
            )
        ).scalars():
            erased_changes = {
                name: ([ERASED, ERASED] if name.startswith("seller_") else values)
                for name, values in decision.changes.items()
            }
            if erased_changes != decision.changes:
                decision.changes = erased_changes
                session.add(decision)
                counts["review_decision"] = counts.get("review_decision", 0) + 1
        rewrite(
            "review_run",
            update(review_audit.ReviewRun)
            .where(col(review_audit.ReviewRun.invoice_id).in_(invoice_ids))
            .values(flow_run_name=ERASED),
        )
    for document in session.execute(
        select(Document).where(col(Document.id).in_(selection.document_ids))
    ).scalars():
        suffix = PurePath(document.file_name).suffix
        document.file_name = f"erased-{document.id}{suffix}"
        document.source = ERASED
        document.archived_path = None
        document.error_message = ERASED if document.error_message else None
        session.add(document)
        counts["document"] = counts.get("document", 0) + 1
    rewrite(
        "exception_case",
        delete(training_labels.ExceptionSnapshot).where(
            col(training_labels.ExceptionSnapshot.invoice_id).in_(invoice_ids)
            | (
                col(training_labels.ExceptionSnapshot.document_id).in_(selection.document_ids)
                & col(training_labels.ExceptionSnapshot.invoice_id).is_(None)
            )
        ),
    )
    rewrite(
        "requeue_record",
        update(retries.RequeueRecord)
        .where(col(retries.RequeueRecord.document_id).in_(selection.document_ids))
        .values(file_name=ERASED, error_message=None, archived_path=None),
    )
    if supplier.vendor_ids:
        rewrite(
            "vendor",
            delete(master.Vendor).where(col(master.Vendor.vendor_id).in_(supplier.vendor_ids)),
        )
    return counts


def record_action(
    session: Session,
    *,
    action: str,
    criterion: str,
    operator: str,
    counts: dict[str, int],
    prefect: str,
) -> PrivacyAction:
    """Add the audit record of a purge or an erasure and commit everything with it."""
    audit = PrivacyAction(
        action=action,
        criterion=criterion,
        operator=operator.strip()[: review_audit.PERSON_NAME_MAX] or "operator",
        counts=counts,
        prefect=prefect,
    )
    session.add(audit)
    session.commit()
    session.refresh(audit)
    return audit
