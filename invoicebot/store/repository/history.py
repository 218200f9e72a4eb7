"""The look-ups of earlier invoices the rules make, and ``StoreHistory``: the store as the
rules' ``InvoiceHistory`` and ``MasterData``."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import date
from decimal import Decimal
from typing import Any

from sqlalchemy import bindparam, case, func, or_
from sqlalchemy import select as core_select
from sqlmodel import Session, col

from invoicebot.model import (
    DocumentType,
)
from invoicebot.store import master
from invoicebot.store.tables import (
    Document,
    Invoice,
)
from validation.context import PriorInvoice, PurchaseOrderRecord, VendorRecord
from validation.lookups import GrossLookup, IdentifierLookup, LookupPlan, NumberLookup

# The duplicate and purchase-order look-ups run for every invoice: their statements are
# built once (the compiled SQL is then cached) and return plain rows, not ORM objects.
PRIOR_COLUMNS = (
    col(Invoice.document_id),
    col(Document.file_name),
    col(Invoice.invoice_number),
    col(Invoice.invoice_date),
    col(Invoice.total_gross),
    col(Invoice.status),
    col(Invoice.document_type),
    col(Invoice.id),
)
# Stand-ins for "exclude nothing": ids are positive, number keys alphanumeric.
NO_DOCUMENT = -1
NO_NUMBER_KEY = "#"
_other_number = or_(
    col(Invoice.invoice_number_key).is_(None),
    col(Invoice.invoice_number_key) != bindparam("exclude_number_key"),
)
SAME_SELLER_AND_NUMBER = (
    core_select(*PRIOR_COLUMNS)
    .join(Document, col(Document.id) == col(Invoice.document_id))
    .where(col(Invoice.seller_key) == bindparam("seller_key"))
    .where(col(Invoice.invoice_number_key) == bindparam("invoice_number_key"))
    .where(col(Invoice.document_id) != bindparam("exclude_document_id"))
    .order_by(col(Invoice.id))
)
SAME_SELLER_AND_GROSS = (
    core_select(*PRIOR_COLUMNS)
    .join(Document, col(Document.id) == col(Invoice.document_id))
    .where(col(Invoice.seller_key) == bindparam("seller_key"))
    .where(col(Invoice.total_gross) == bindparam("total_gross"))
    .where(col(Invoice.invoice_date).between(bindparam("first_date"), bindparam("last_date")))
    .where(_other_number)
    .where(col(Invoice.document_id) != bindparam("exclude_document_id"))
    .order_by(col(Invoice.id))
    .limit(20)
)
# A credit note's net (stated positive) takes from what was invoiced on the order.
CREDIT_TYPES = [kind.value for kind in DocumentType if kind.is_credit]
SIGNED_NET = case(
    (col(Invoice.document_type).in_(CREDIT_TYPES), -col(Invoice.total_net)),
    else_=col(Invoice.total_net),
)
NET_INVOICED_ON_ORDER = (
    core_select(func.sum(SIGNED_NET))
    .where(col(Invoice.po_number).in_(bindparam("po_numbers", expanding=True)))
    .where(_other_number)
    .where(col(Invoice.document_id) != bindparam("exclude_document_id"))
)
# The same, leaving out one invoice rather than a document's: a file holding several
# invoices on one order counts each of the others.
NET_INVOICED_ON_ORDER_BUT_INVOICE = (
    core_select(func.sum(SIGNED_NET))
    .where(col(Invoice.po_number).in_(bindparam("po_numbers", expanding=True)))
    .where(_other_number)
    .where(col(Invoice.id) != bindparam("exclude_invoice_id"))
)


def prior_from_row(row: Sequence[Any]) -> PriorInvoice:
    """Return the earlier invoice in a row of ``PRIOR_COLUMNS``."""
    return PriorInvoice(
        document_id=row[0],
        source=row[1],
        invoice_number=row[2],
        invoice_date=row[3],
        total_gross=row[4],
        status=row[5],
        document_type=DocumentType(row[6]),
        invoice_id=row[7],
    )


def number_parameters(lookup: NumberLookup) -> dict[str, object]:
    """Return the parameters of ``SAME_SELLER_AND_NUMBER`` for ``lookup``."""
    return {
        "seller_key": lookup.seller_key,
        "invoice_number_key": lookup.invoice_number_key,
        "exclude_document_id": _document_or_none(lookup.exclude_document_id),
    }


def gross_parameters(lookup: GrossLookup) -> dict[str, object]:
    """Return the parameters of ``SAME_SELLER_AND_GROSS`` for ``lookup``."""
    return {
        "seller_key": lookup.seller_key,
        "total_gross": lookup.total_gross,
        "first_date": lookup.first_date,
        "last_date": lookup.last_date,
        "exclude_number_key": lookup.exclude_number_key or NO_NUMBER_KEY,
        "exclude_document_id": _document_or_none(lookup.exclude_document_id),
    }


def _document_or_none(document_id: int | None) -> int:
    return NO_DOCUMENT if document_id is None else document_id


def same_seller_and_number(
    session: Session,
    *,
    seller_key: str,
    invoice_number_key: str,
    exclude_document_id: int | None,
) -> list[PriorInvoice]:
    """Return stored invoices with this seller key and normalised number (indexed look-up)."""
    lookup = NumberLookup(seller_key, invoice_number_key, exclude_document_id)
    rows = session.connection().execute(SAME_SELLER_AND_NUMBER, number_parameters(lookup))
    return [prior_from_row(row) for row in rows]


def same_seller_and_gross(
    session: Session,
    *,
    seller_key: str,
    total_gross: Decimal,
    first_date: date,
    last_date: date,
    exclude_number_key: str | None,
    exclude_document_id: int | None,
) -> list[PriorInvoice]:
    """Return stored invoices of this seller with this gross total dated in the window,
    leaving out those numbered ``exclude_number_key`` (indexed look-up)."""
    lookup = GrossLookup(
        seller_key, total_gross, first_date, last_date, exclude_number_key, exclude_document_id
    )
    rows = session.connection().execute(SAME_SELLER_AND_GROSS, gross_parameters(lookup))
    return [prior_from_row(row) for row in rows]


def net_invoiced_on_order(
    session: Session,
    *,
    po_numbers: Sequence[str],
    exclude_number_key: str | None,
    exclude_document_id: int | None,
    exclude_invoice_id: int | None = None,
    invoice_scoped: bool = False,
) -> Decimal:
    """Return the net total of stored invoices quoting one of ``po_numbers`` (indexed),
    leaving out those numbered ``exclude_number_key`` and those of document
    ``exclude_document_id``; ``invoice_scoped``: only invoice ``exclude_invoice_id`` (None:
    none) instead, so that the other invoices of a file holding several count."""
    parameters: dict[str, object] = {
        "po_numbers": list(po_numbers),
        "exclude_number_key": exclude_number_key or NO_NUMBER_KEY,
    }
    if invoice_scoped:
        statement = NET_INVOICED_ON_ORDER_BUT_INVOICE
        parameters["exclude_invoice_id"] = (
            NO_DOCUMENT if exclude_invoice_id is None else exclude_invoice_id
        )
    else:
        statement = NET_INVOICED_ON_ORDER
        parameters["exclude_document_id"] = _document_or_none(exclude_document_id)
    total = session.connection().execute(statement, parameters).scalar()
    return Decimal(0) if total is None else Decimal(total).quantize(Decimal("0.01"))


class StoreHistory:
    """The store seen through validation's ``InvoiceHistory`` and ``MasterData`` protocols.

    Made per invoice: which master data is on file is read once per instance.

    ``invoice_scoped``: what was already invoiced on a purchase order leaves out only
    invoice ``invoice_id`` (the one re-checked in a review; None: an invoice not stored
    yet), not every invoice of its document, so that the other invoices of a file holding
    several count. The duplicate look-ups leave a document's invoices out either way: the
    invoices of one file are not duplicates of each other.
    """

    def __init__(
        self, session: Session, *, invoice_scoped: bool = False, invoice_id: int | None = None
    ) -> None:
        self._session = session
        self._invoice_scoped = invoice_scoped
        self._invoice_id = invoice_id
        self._revisions: dict[str, str] | None = None
        self._prefetched: dict[object, Any] = {}

    def prefetch(self, plan: LookupPlan) -> None:
        """Answer the plan's look-ups now, in one round trip on PostgreSQL; the look-ups
        below then answer from memory. Nothing is done on SQLite, which runs in process."""
        requests: list[tuple[object, Any, dict[str, object]]] = []
        if self._revisions is None:
            requests.append(("revisions", master.REVISIONS, {}))
        if plan.same_seller_and_number is not None:
            lookup = plan.same_seller_and_number
            requests.append((lookup, SAME_SELLER_AND_NUMBER, number_parameters(lookup)))
        if plan.same_seller_and_gross is not None:
            gross = plan.same_seller_and_gross
            requests.append((gross, SAME_SELLER_AND_GROSS, gross_parameters(gross)))
        if plan.vendors_by_identifier is not None:
            ids = plan.vendors_by_identifier
            by_ids: dict[str, object] = {"vat_id": ids.vat_id, "siren": ids.siren}
            requests.append((ids, master.VENDORS_BY_IDENTIFIER, by_ids))
        if plan.purchase_order is not None:
            requests.append(
                (
                    ("purchase_order", plan.purchase_order),
                    master.ORDER_WITH_LINES,
                    {"po_key": plan.purchase_order},
                )
            )
        answers = master.run_pipelined(
            self._session, [(statement, parameters) for _, statement, parameters in requests]
        )
        if answers is None:
            return
        for (key, statement, _parameters), rows in zip(requests, answers, strict=True):
            if key == "revisions":
                self._revisions = master.revisions_from_rows(rows)
            elif statement is master.VENDORS_BY_IDENTIFIER:
                self._prefetched[key] = [master.vendor_record(row) for row in rows]
            elif statement is master.ORDER_WITH_LINES:
                self._prefetched[key] = master.order_from_rows(rows)
            else:
                self._prefetched[key] = [prior_from_row(row) for row in rows]

    def _master_revisions(self) -> dict[str, str]:
        if self._revisions is None:
            self._revisions = master.master_revisions(self._session)
        return self._revisions

    def same_seller_and_number(
        self, *, seller_key: str, invoice_number_key: str, exclude_document_id: int | None
    ) -> list[PriorInvoice]:
        """Return stored invoices of this seller with this normalised number."""
        lookup = NumberLookup(seller_key, invoice_number_key, exclude_document_id)
        if lookup in self._prefetched:
            return list(self._prefetched[lookup])
        return same_seller_and_number(
            self._session,
            seller_key=seller_key,
            invoice_number_key=invoice_number_key,
            exclude_document_id=exclude_document_id,
        )

    def same_seller_and_gross(
        self,
        *,
        seller_key: str,
        total_gross: Decimal,
        first_date: date,
        last_date: date,
        exclude_number_key: str | None,
        exclude_document_id: int | None,
    ) -> list[PriorInvoice]:
        """Return stored invoices of this seller with this gross total dated in the window."""
        lookup = GrossLookup(
            seller_key, total_gross, first_date, last_date, exclude_number_key, exclude_document_id
        )
        if lookup in self._prefetched:
            return list(self._prefetched[lookup])
        return same_seller_and_gross(
            self._session,
            seller_key=seller_key,
            total_gross=total_gross,
            first_date=first_date,
            last_date=last_date,
            exclude_number_key=exclude_number_key,
            exclude_document_id=exclude_document_id,
        )

    def net_invoiced_on_order(
        self,
        *,
        po_numbers: Sequence[str],
        exclude_number_key: str | None,
        exclude_document_id: int | None,
    ) -> Decimal:
        """Return the net total of stored invoices quoting one of ``po_numbers``."""
        return net_invoiced_on_order(
            self._session,
            po_numbers=po_numbers,
            exclude_number_key=exclude_number_key,
            exclude_document_id=exclude_document_id,
            exclude_invoice_id=self._invoice_id,
            invoice_scoped=self._invoice_scoped,
        )

    def has_vendors(self) -> bool:
        """Return True when a vendor master has been imported."""
        return "vendors" in self._master_revisions()

    def vendors_by_identifier(self, *, vat_id: str | None, siren: str | None) -> list[VendorRecord]:
        """Return the suppliers with this VAT number or this SIREN."""
        lookup = IdentifierLookup(vat_id, siren)
        if lookup in self._prefetched:
            return list(self._prefetched[lookup])
        return master.vendors_by_identifier(self._session, vat_id=vat_id, siren=siren)

    def vendor_names(self) -> Mapping[str, str]:
        """Return every supplier's folded name by vendor id."""
        return master.vendor_names(
            self._session, revision=self._master_revisions().get("vendors", "")
        )

    def vendor(self, vendor_id: str) -> VendorRecord | None:
        """Return the supplier with this vendor id."""
        return master.vendor_by_id(self._session, vendor_id=vendor_id)

    def has_orders(self) -> bool:
        """Return True when purchase orders have been imported."""
        return "orders" in self._master_revisions()

    def purchase_order(self, po_key: str) -> PurchaseOrderRecord | None:
        """Return the purchase order with this folded number."""
        key = ("purchase_order", po_key)
        if key in self._prefetched:
            order: PurchaseOrderRecord | None = self._prefetched[key]
            return order
        return master.purchase_order(self._session, po_key=po_key)
