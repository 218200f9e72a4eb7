"""Purchase orders and goods receipts: importing them, and the look-up of an invoice's order."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from pathlib import Path
from typing import Any

from sqlalchemy import (
    bindparam,
    delete,
    func,
)
from sqlalchemy import select as core_select
from sqlmodel import Session, col, select

from invoicebot.store.master.csv_rows import (
    CsvRow,
    ImportSummary,
    MasterDataError,
    RowProblems,
    parse_currency,
    parse_date,
    parse_decimal,
    read_csv,
)
from invoicebot.store.master.tables import (
    GoodsReceipt,
    PurchaseOrder,
    PurchaseOrderLine,
    bump_revision,
)
from invoicebot.store.master.vendors import master_revisions
from invoicebot.store.tables import utcnow
from validation.context import OrderLineRecord, PurchaseOrderRecord
from validation.identity import (
    reference_key,
)

# --------------------------------------------------------------------------------------
# Purchase orders and goods receipts
# --------------------------------------------------------------------------------------

ORDER_COLUMNS = {"po_number", "quantity", "unit_price"}
ORDER_OPTIONAL = {"vendor_id", "currency", "line", "description", "ordered_on"}


@dataclass
class ParsedOrder:
    """A purchase order read from the CSV, before it is stored."""

    po_number: str
    vendor_id: str | None
    currency: str | None
    ordered_on: date | None
    lines: dict[int, tuple[str | None, Decimal, Decimal]]


def parse_orders(rows: Iterable[CsvRow], problems: RowProblems) -> dict[str, ParsedOrder]:
    """Return the purchase orders of the rows (one row per PO line), by PO key."""
    orders: dict[str, ParsedOrder] = {}
    for row in rows:
        po_number = row.text("po_number")
        if po_number is None or not reference_key(po_number):
            problems.add(row, "the PO number is empty")
            continue
        try:
            quantity = parse_decimal(row.text("quantity") or "")
            unit_price = parse_decimal(row.text("unit_price") or "")
            currency = parse_currency(row.text("currency") or "") if row.text("currency") else None
            ordered_on = (
                parse_date(row.text("ordered_on") or "") if row.text("ordered_on") else None
            )
            line_text = row.text("line")
            order = orders.get(reference_key(po_number))
            line = int(line_text) if line_text else (len(order.lines) + 1 if order else 1)
        except ValueError as error:
            problems.add(row, str(error))
            continue
        if quantity <= 0 or unit_price < 0 or line < 1:
            problems.add(row, "quantity must be positive, unit price and line not negative")
            continue
        vendor_id = row.text("vendor_id")
        if order is None:
            order = ParsedOrder(po_number, vendor_id, currency, ordered_on, {})
            orders[reference_key(po_number)] = order
        elif (order.vendor_id, order.currency) != (vendor_id, currency):
            problems.add(row, f"PO {po_number} has another vendor_id or currency on an earlier row")
            continue
        if line in order.lines:
            problems.add(row, f"PO {po_number} line {line} appears twice")
            continue
        order.lines[line] = (row.text("description"), quantity, unit_price)
    return orders


def import_orders(session: Session, *, path: Path) -> ImportSummary:
    """Add or replace (by PO number) every purchase order of a CSV with one row per PO
    line, in one transaction; raise ``MasterDataError``, importing nothing, on a wrong row."""
    rows = read_csv(path, required=ORDER_COLUMNS, optional=ORDER_OPTIONAL)
    problems = RowProblems()
    orders = parse_orders(rows, problems)
    if problems.items:
        raise MasterDataError(path, problems.items)
    stored = {
        order.po_key: order
        for order in session.exec(
            select(PurchaseOrder).where(col(PurchaseOrder.po_key).in_(list(orders)))
        ).all()
    }
    for po_key, parsed in orders.items():
        order = stored.get(po_key) or PurchaseOrder(po_number=parsed.po_number, po_key=po_key)
        order.po_number = parsed.po_number
        order.vendor_id = parsed.vendor_id
        order.currency = parsed.currency
        order.ordered_on = parsed.ordered_on
        order.updated_at = utcnow()
        session.add(order)
        session.flush()
        session.execute(
            delete(PurchaseOrderLine).where(col(PurchaseOrderLine.order_id) == order.id)
        )
        assert order.id is not None  # set by the flush
        for line, (description, quantity, unit_price) in sorted(parsed.lines.items()):
            session.add(
                PurchaseOrderLine(
                    order_id=order.id,
                    line=line,
                    description=description,
                    quantity=quantity,
                    unit_price=unit_price,
                )
            )
    bump_revision(session, name="orders")
    session.commit()
    return ImportSummary(added=len(orders) - len(stored), updated=len(stored))


RECEIPT_COLUMNS = {"po_number", "line", "quantity"}
RECEIPT_OPTIONAL = {"received_on", "receipt_id"}


def import_receipts(session: Session, *, path: Path) -> ImportSummary:
    """Add or update goods receipts (one row per PO line received), in one transaction.

    A row is identified by PO, line and ``receipt_id`` (else ``received_on``): importing
    the same file twice does not count the goods twice. Raise ``MasterDataError``,
    importing nothing, when a row is wrong or names a PO line not on file.
    """
    rows = read_csv(path, required=RECEIPT_COLUMNS, optional=RECEIPT_OPTIONAL)
    problems = RowProblems()
    keys = {reference_key(row.text("po_number") or "") for row in rows}
    orders = {
        order.po_key: order
        for order in session.exec(
            select(PurchaseOrder).where(col(PurchaseOrder.po_key).in_(list(keys)))
        ).all()
    }
    order_ids = [order.id for order in orders.values()]
    known_lines = set(
        session.exec(
            select(PurchaseOrderLine.order_id, PurchaseOrderLine.line).where(
                col(PurchaseOrderLine.order_id).in_(order_ids)
            )
        ).all()
    )
    receipts: dict[tuple[int, int, str], tuple[Decimal, date | None]] = {}
    for row in rows:
        po_number = row.text("po_number") or ""
        order = orders.get(reference_key(po_number))
        try:
            line = int(row.text("line") or "")
            quantity = parse_decimal(row.text("quantity") or "")
            received_on = (
                parse_date(row.text("received_on") or "") if row.text("received_on") else None
            )
        except ValueError as error:
            problems.add(row, str(error))
            continue
        if order is None or order.id is None:
            problems.add(row, f"PO {po_number!r} is not on file: import the orders first")
            continue
        if (order.id, line) not in known_lines:
            problems.add(row, f"PO {po_number} has no line {line}")
            continue
        receipt_key = row.text("receipt_id") or (received_on.isoformat() if received_on else "")
        key = (order.id, line, receipt_key)
        if key in receipts:
            problems.add(
                row,
                f"receipt {receipt_key or '(no id)'} of PO {po_number} line {line} appears twice",
            )
            continue
        receipts[key] = (quantity, received_on)
    if problems.items:
        raise MasterDataError(path, problems.items)
    existing = {
        (receipt.order_id, receipt.line, receipt.receipt_key): receipt
        for receipt in session.exec(
            select(GoodsReceipt).where(col(GoodsReceipt.order_id).in_(order_ids))
        ).all()
    }
    for (order_id, line, receipt_key), (quantity, received_on) in receipts.items():
        receipt = existing.get((order_id, line, receipt_key)) or GoodsReceipt(
            order_id=order_id, line=line, receipt_key=receipt_key, quantity=quantity
        )
        receipt.quantity = quantity
        receipt.received_on = received_on
        session.add(receipt)
    bump_revision(session, name="receipts")
    session.commit()
    updated = sum(1 for key in receipts if key in existing)
    return ImportSummary(added=len(receipts) - updated, updated=updated)


_received = (
    core_select(func.coalesce(func.sum(col(GoodsReceipt.quantity)), 0))
    .where(col(GoodsReceipt.order_id) == col(PurchaseOrderLine.order_id))
    .where(col(GoodsReceipt.line) == col(PurchaseOrderLine.line))
    .scalar_subquery()
)
ORDER_WITH_LINES = (
    core_select(
        col(PurchaseOrder.po_number),
        col(PurchaseOrder.vendor_id),
        col(PurchaseOrder.currency),
        col(PurchaseOrderLine.line),
        col(PurchaseOrderLine.description),
        col(PurchaseOrderLine.quantity),
        col(PurchaseOrderLine.unit_price),
        _received,
    )
    .select_from(PurchaseOrder)
    .outerjoin(PurchaseOrderLine, col(PurchaseOrderLine.order_id) == col(PurchaseOrder.id))
    .where(col(PurchaseOrder.po_key) == bindparam("po_key"))
    .order_by(col(PurchaseOrderLine.line))
)


def has_orders(session: Session) -> bool:
    """Return True when purchase orders have been imported."""
    return "orders" in master_revisions(session)


def purchase_order(session: Session, *, po_key: str) -> PurchaseOrderRecord | None:
    """Return the purchase order with this folded number, its lines and what was received
    against each (one query)."""
    return order_from_rows(session.connection().execute(ORDER_WITH_LINES, {"po_key": po_key}).all())


def order_from_rows(rows: Sequence[Sequence[Any]]) -> PurchaseOrderRecord | None:
    """Return the purchase order in the rows of ``ORDER_WITH_LINES`` (None: no rows)."""
    if not rows:
        return None
    po_number, vendor_id, currency = rows[0][:3]
    return PurchaseOrderRecord(
        po_number=po_number,
        vendor_id=vendor_id,
        currency=currency,
        lines=tuple(
            OrderLineRecord(
                line=line,
                description=description,
                quantity=quantity,
                unit_price=unit_price,
                received=Decimal(str(received)),
            )
            for *_order, line, description, quantity, unit_price, received in rows
            if line is not None
        ),
    )
