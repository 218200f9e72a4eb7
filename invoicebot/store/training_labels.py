"""Operators' decisions on exception invoices: the classifier's training labels.

The review UI calls ``record_label`` when an operator decides what to do with an exception
invoice; ``labelled_history`` turns the decisions into ``LabelledCase`` objects.

The features of a label must be what the classifier saw when the invoice arrived, not the
invoice after review (a correction overwrites fields, confidences and rule results): the
pipeline stores that view of each exception invoice (``store_exception_case``, an
``ExceptionSnapshot`` row) with the suggestion. Invoices stored before snapshots existed
are rebuilt from the store, with the supplier history as it was before them.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import JSON, Column, case, func, update
from sqlmodel import Field, Session, SQLModel, col, select

from classifiers.cases import ExceptionCase, LabelledCase, SupplierHistory
from invoicebot.model import (
    Extraction,
    InvoiceError,
    InvoiceStatus,
    Method,
    Resolution,
    RuleResult,
    Suggestion,
    seller_key,
)
from invoicebot.store import master
from invoicebot.store.tables import ExceptionRecord, Invoice, RuleResultRow, utcnow


class OperatorDecision(SQLModel, table=True):
    """What an operator decided for one exception invoice (append-only: the latest counts)."""

    __tablename__ = "operator_decision"

    id: int | None = Field(default=None, primary_key=True)
    document_id: int = Field(foreign_key="document.id", index=True)
    invoice_id: int | None = Field(default=None, foreign_key="invoice.id", index=True)
    exception_id: int | None = Field(default=None, foreign_key="exception.id")
    resolution: str = Field(max_length=40)
    suggested_resolution: str | None = Field(default=None, max_length=40)
    suggestion_probability: float | None = None
    decided_by: str = Field(max_length=120)
    comment: str = ""
    decided_at: datetime = Field(default_factory=utcnow, index=True)


class ExceptionSnapshot(SQLModel, table=True):
    """The classifier's view of an exception invoice when it arrived (``ExceptionCase``)."""

    __tablename__ = "exception_case"

    id: int | None = Field(default=None, primary_key=True)
    document_id: int = Field(foreign_key="document.id", index=True)
    # One per invoice (a file may hold several); None only for rows kept from before 0006
    # whose document had no invoice row.
    invoice_id: int | None = Field(default=None, foreign_key="invoice.id", unique=True)
    case: dict[str, Any] = Field(sa_column=Column(JSON, nullable=False))
    created_at: datetime = Field(default_factory=utcnow)


class UnknownResolutionError(InvoiceError):
    """A decision named a resolution that is not one of ``Resolution``."""

    def __init__(self, value: str) -> None:
        allowed = ", ".join(resolution.value for resolution in Resolution)
        super().__init__(f"unknown resolution {value!r}; expected one of: {allowed}")
        self.value = value


def record_label(
    session: Session,
    *,
    document_id: int,
    resolution: Resolution | str,
    decided_by: str,
    comment: str = "",
    exception_id: int | None = None,
    invoice_id: int | None = None,
) -> int:
    """Store an operator's decision on an exception invoice; return the decision's id.

    ``document_id`` is the exception's ``ExceptionRecord.document_id``; ``invoice_id`` names
    the invoice decided (a file may hold several; None: the document's first invoice);
    ``exception_id`` optionally names the reviewed exception row. The suggestion shown to
    the operator is copied from the invoice's exception rows, so that acceptance of
    suggestions can be measured. Deciding again adds a row; the latest one is the label.
    Commits. Raises ``UnknownResolutionError`` for a resolution outside ``Resolution``.
    """
    try:
        decided = Resolution(resolution)
    except ValueError:
        raise UnknownResolutionError(str(resolution)) from None
    if invoice_id is None:
        invoice_id = session.exec(
            select(Invoice.id).where(Invoice.document_id == document_id).order_by(col(Invoice.id))
        ).first()
    shown_query = select(ExceptionRecord).where(ExceptionRecord.document_id == document_id)
    if invoice_id is not None:
        shown_query = shown_query.where(ExceptionRecord.invoice_id == invoice_id)
    shown = session.exec(shown_query.order_by(col(ExceptionRecord.id))).first()
    decision = OperatorDecision(
        document_id=document_id,
        invoice_id=invoice_id,
        exception_id=exception_id,
        resolution=decided.value,
        suggested_resolution=shown.suggested_resolution if shown else None,
        suggestion_probability=shown.suggestion_probability if shown else None,
        decided_by=decided_by,
        comment=comment,
    )
    session.add(decision)
    session.commit()
    assert decision.id is not None  # set by the INSERT
    return decision.id


def store_exception_case(
    session: Session,
    *,
    document_id: int,
    case: ExceptionCase,
    suggestion: Suggestion | None,
    invoice_id: int | None = None,
    commit: bool = True,
) -> None:
    """Keep the classifier's view of an exception invoice, and attach its suggestion (if
    any) to its exception rows; commit unless ``commit=False``.

    ``invoice_id`` names the invoice (a file may hold several); None: the document's first.
    """
    if invoice_id is None:
        invoice_id = session.exec(
            select(Invoice.id).where(Invoice.document_id == document_id).order_by(col(Invoice.id))
        ).first()
    session.add(
        ExceptionSnapshot(
            document_id=document_id, invoice_id=invoice_id, case=case.model_dump(mode="json")
        )
    )
    if suggestion is not None:
        rows = update(ExceptionRecord).where(col(ExceptionRecord.document_id) == document_id)
        if invoice_id is not None:
            rows = rows.where(col(ExceptionRecord.invoice_id) == invoice_id)
        session.execute(
            rows.values(
                suggested_resolution=suggestion.resolution.value,
                suggestion_probability=suggestion.probability,
            )
        )
    if commit:
        session.commit()
    else:
        session.flush()


def supplier_history(
    session: Session,
    *,
    seller_key: str | None,
    seller_iban: str | None,
    vat_id: str | None,
    siren: str | None,
    before_invoice_id: int | None = None,
) -> SupplierHistory:
    """Return what the store knew of a supplier before invoice ``before_invoice_id``
    (before now when None): invoices seen, their exception rate, whether the IBAN is new."""
    if seller_key is None:
        return SupplierHistory()
    prior = select(
        func.count(col(Invoice.id)),
        func.sum(case((col(Invoice.status) == InvoiceStatus.EXCEPTION.value, 1), else_=0)),
    ).where(Invoice.seller_key == seller_key)
    ibans = select(Invoice.seller_iban).distinct().where(Invoice.seller_key == seller_key)
    if before_invoice_id is not None:
        prior = prior.where(col(Invoice.id) < before_invoice_id)
        ibans = ibans.where(col(Invoice.id) < before_invoice_id)
    seen, exceptions = session.exec(prior).one()
    known_ibans = {iban for iban in session.exec(ibans.limit(50)).all() if iban}
    vendors = master.vendors_by_identifier(session, vat_id=vat_id, siren=siren)
    known_ibans.update(iban for vendor in vendors for iban in vendor.ibans)
    return SupplierHistory(
        known=bool(seen) or bool(vendors),
        invoices_seen=int(seen or 0),
        exception_rate=float(exceptions or 0) / seen if seen else 0.0,
        # Only a change from a known IBAN counts: a supplier's first IBAN is not a change.
        iban_changed=bool(seller_iban and known_ibans and seller_iban not in known_ibans),
    )


def classified_failures(results: Sequence[RuleResult]) -> list[RuleResult]:
    """Return the failed results the classifier learns from: not the information ones (a
    paper invoice lacking the French reform's mentions, a credit note's invoice not on
    file), which never make an exception and so say nothing of how one is resolved."""
    return [result for result in results if result.is_exception]


def exception_case(
    invoice: Invoice, failed: list[RuleResult], supplier: SupplierHistory
) -> ExceptionCase:
    """Return the classifier's view of a stored invoice and its failed rules."""
    return ExceptionCase(
        seller_key=invoice.seller_key,
        method=Method(invoice.method) if invoice.method else None,
        language=invoice.language,
        currency=invoice.currency,
        total_gross=invoice.total_gross,
        confidence=dict(invoice.confidence or {}),
        failed=classified_failures(failed),
        supplier=supplier,
    )


def extraction_case(
    session: Session, *, extraction: Extraction, results: Sequence[RuleResult]
) -> ExceptionCase:
    """Return the classifier's view of an invoice being processed (not stored yet)."""
    fields = extraction.fields
    key = seller_key(fields)
    supplier = supplier_history(
        session,
        seller_key=key,
        seller_iban=fields.seller_iban,
        vat_id=fields.seller_vat_id,
        siren=fields.seller_siret[:9] if fields.seller_siret else None,
    )
    return ExceptionCase(
        seller_key=key,
        method=extraction.method,
        language=extraction.language,
        currency=fields.currency,
        total_gross=fields.total_gross,
        confidence=dict(extraction.confidence),
        failed=classified_failures(results),
        supplier=supplier,
    )


def labelled_history(session: Session, *, limit: int = 100_000) -> list[LabelledCase]:
    """Return the latest operator decision of each decided invoice, as labelled cases,
    most recent decisions first (at most ``limit``)."""
    decisions = session.exec(
        select(OperatorDecision)
        .where(col(OperatorDecision.invoice_id).is_not(None))
        .order_by(col(OperatorDecision.decided_at).desc(), col(OperatorDecision.id).desc())
    ).all()
    latest: dict[int, OperatorDecision] = {}
    for decision in decisions:
        assert decision.invoice_id is not None  # filtered in the query
        latest.setdefault(decision.invoice_id, decision)
        if len(latest) >= limit:
            break
    snapshots = {
        snapshot.invoice_id: snapshot.case
        for snapshot in session.exec(
            select(ExceptionSnapshot).where(col(ExceptionSnapshot.invoice_id).in_(list(latest)))
        ).all()
    }
    return [
        LabelledCase(
            case=(
                ExceptionCase.model_validate(snapshots[invoice_id])
                if invoice_id in snapshots
                else _stored_case(session, invoice_id)
            ),
            resolution=Resolution(decision.resolution),
            source="operator",
        )
        for invoice_id, decision in latest.items()
    ]


def _stored_case(session: Session, invoice_id: int) -> ExceptionCase:
    invoice = session.get_one(Invoice, invoice_id)
    rows = session.exec(
        select(RuleResultRow)
        .where(RuleResultRow.invoice_id == invoice_id)
        .where(col(RuleResultRow.passed).is_(False))
        .order_by(col(RuleResultRow.id))
    ).all()
    failed = [
        RuleResult.model_validate(
            {
                "rule": row.rule,
                "category": row.category,
                "severity": row.severity,
                "passed": row.passed,
                "message": row.message,
                "values": row.compared or {},
            }
        )
        for row in rows
    ]
    supplier = supplier_history(
        session,
        seller_key=invoice.seller_key,
        seller_iban=invoice.seller_iban,
        vat_id=invoice.seller_vat_id,
        siren=invoice.seller_siret[:9] if invoice.seller_siret else None,
        before_invoice_id=invoice_id,
    )
    return exception_case(invoice, failed, supplier)
