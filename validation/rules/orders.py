"""The invoice against its purchase order and goods receipts: 2-way and 3-way match.

These rules apply only once purchase orders are imported (``invoicebot orders import``,
``invoicebot receipts import``), and PO-MISSING only for suppliers the vendor master marks
``po_required``.
"""

from __future__ import annotations

from decimal import Decimal

from invoicebot.model import ExceptionCategory, Severity, invoice_number_key
from validation.context import RuleContext
from validation.registry import Verdict, rule
from validation.text import exact, money


@rule(id="PO-MISSING", category=ExceptionCategory.PURCHASE_ORDER)
def order_quoted_when_required(context: RuleContext) -> Verdict | None:
    """The invoice quotes a purchase order when its supplier requires one.

    Applies to suppliers marked ``po_required`` in the vendor master. Without a PO there is
    no approved commitment to pay against: find the PO with the requester, or have the
    invoice approved by the budget holder.
    """
    match = context.vendor_match
    if match is None or match.vendor is None or not match.vendor.po_required:
        return None
    po_number = context.fields.po_number
    values = {"vendor_id": match.vendor.vendor_id, "po_number": po_number}
    if po_number:
        return Verdict(True, f"The invoice quotes purchase order {po_number}.", values)
    return Verdict(
        False,
        f"{match.vendor.name} works with purchase orders, but the invoice quotes none: find "
        "the PO with the requester before paying.",
        values,
    )


@rule(id="PO-UNKNOWN", category=ExceptionCategory.PURCHASE_ORDER)
def quoted_order_on_file(context: RuleContext) -> Verdict | None:
    """The purchase order the invoice quotes is on file.

    Applies when purchase orders are imported and the supplier requires one (a PO
    reference of a supplier that does not use POs is just a reference). PO numbers are
    compared without case, spaces or punctuation. An unknown PO is a misread number, a PO
    not yet imported, or a PO that does not exist.
    """
    po_number = context.fields.po_number
    match = context.vendor_match
    if not po_number:
        return None
    values = {"po_number": po_number}
    if context.purchase_order is not None:
        return Verdict(True, f"Purchase order {po_number} is on file.", values)
    if match is None or match.vendor is None or not match.vendor.po_required:
        return None
    if not context.has_orders:
        return None
    return Verdict(
        False,
        f"The invoice quotes purchase order {po_number}, which is not on file: check the "
        "number on the document and with the requester.",
        values,
    )


@rule(id="PO-SUPPLIER", category=ExceptionCategory.PURCHASE_ORDER)
def order_belongs_to_supplier(context: RuleContext) -> Verdict | None:
    """The purchase order was placed with the supplier who invoices (2-way match).

    Applies when the PO is on file with its supplier and the invoice's supplier is matched
    in the vendor master.
    """
    order = context.purchase_order
    match = context.vendor_match
    if order is None or order.vendor_id is None or match is None or match.vendor is None:
        return None
    values = {"po_number": order.po_number, "po_vendor_id": order.vendor_id}
    values["vendor_id"] = match.vendor.vendor_id
    if order.vendor_id == match.vendor.vendor_id:
        return Verdict(
            True, f"Purchase order {order.po_number} was placed with this supplier.", values
        )
    placed_with = context.master.vendor(order.vendor_id)
    name = placed_with.name if placed_with else order.vendor_id
    return Verdict(
        False,
        f"Purchase order {order.po_number} was placed with {name}, not with "
        f"{match.vendor.name}, who sends this invoice.",
        values,
    )


@rule(id="PO-AMOUNT", category=ExceptionCategory.PURCHASE_ORDER)
def invoiced_within_order_amount(context: RuleContext) -> Verdict | None:
    """What is invoiced on a purchase order stays within its amount (2-way match).

    Compares the net total of this invoice plus the earlier invoices quoting the same PO
    with the PO's net amount; tolerance: 2 % or 1.00, whichever is larger
    (``purchase_orders.amount_tolerance_percent`` and ``amount_tolerance``). The currency
    must be the PO's. Over-invoicing needs the buyer's approval of the extra amount. The
    credit notes quoting the PO count less; a credit note itself never over-invoices.
    """
    order = context.purchase_order
    fields = context.fields
    if order is None or fields.total_net is None or not order.lines:
        return None
    if context.extraction.document_type.is_credit:
        return None
    currency = fields.currency
    if currency and order.currency and currency.upper() != order.currency:
        return Verdict(
            False,
            f"The invoice is in {currency}, but purchase order {order.po_number} is in "
            f"{order.currency}.",
            {"currency": currency, "po_currency": order.currency},
        )
    po_numbers = sorted({order.po_number, *([fields.po_number] if fields.po_number else [])})
    number_key = invoice_number_key(fields.invoice_number) if fields.invoice_number else None
    earlier = context.history.net_invoiced_on_order(
        po_numbers=po_numbers,
        exclude_number_key=number_key or None,
        exclude_document_id=context.document_id,
    )
    settings = context.config.purchase_orders
    allowed = order.amount + max(
        order.amount * settings.amount_tolerance_percent / 100, settings.amount_tolerance
    )
    invoiced = earlier + fields.total_net
    values = {
        "po_number": order.po_number,
        "po_amount": money(order.amount),
        "invoiced_before": money(earlier),
        "this_invoice_net": money(fields.total_net),
        "invoiced_total": money(invoiced),
    }
    if invoiced <= allowed:
        return Verdict(
            True, f"The amount invoiced is within purchase order {order.po_number}.", values
        )
    before = f" (with {money(earlier)} invoiced before)" if earlier else ""
    return Verdict(
        False,
        f"Purchase order {order.po_number} is for {money(order.amount)} net, but "
        f"{money(invoiced)} is invoiced on it{before}: {money(invoiced - order.amount)} more "
        "than ordered.",
        values,
    )


@rule(id="PO-LINE-MATCH", category=ExceptionCategory.PURCHASE_ORDER, severity=Severity.WARNING)
def lines_are_on_order(context: RuleContext) -> Verdict | None:
    """Every invoice line bills a line of the purchase order.

    Lines are paired by description (similarity ``purchase_orders.line_match_min_score``,
    80 of 100 by default), else by unit price. A line that matches nothing (delivery costs,
    an extra item) needs the requester's approval.
    """
    pairing = context.order_lines
    if pairing is None:
        return None
    unmatched = [pair for pair in pairing.pairs if pair.order_line is None]
    values = {"po_number": pairing.order.po_number, "lines": str(len(pairing.pairs))}
    if not unmatched:
        return Verdict(True, f"Every line is on purchase order {pairing.order.po_number}.", values)
    listed = "; ".join(
        f"line {pair.position} ({pair.line.description or 'no description'})" for pair in unmatched
    )
    values["unmatched"] = ", ".join(str(pair.position) for pair in unmatched)
    return Verdict(
        False,
        f"Not on purchase order {pairing.order.po_number}: {listed}.",
        values,
    )


@rule(id="PO-RECEIVED-QUANTITY", category=ExceptionCategory.PURCHASE_ORDER)
def quantities_received(context: RuleContext) -> Verdict | None:
    """No line invoices more than was received (3-way match).

    Compares each invoice line's quantity with the quantity received against its PO line
    (all goods receipts so far). Goods not received yet are not paid yet: wait for the
    receipt, or check with the requester. Switch off with ``purchase_orders.three_way_match``
    for services without receipts.
    """
    pairing = context.order_lines
    if pairing is None or not context.config.purchase_orders.three_way_match:
        return None
    compared = [
        pair
        for pair in pairing.pairs
        if pair.order_line is not None and pair.line.quantity is not None
    ]
    if not compared:
        return None
    over = [
        pair
        for pair in compared
        if pair.order_line is not None
        and pair.line.quantity is not None
        and pair.line.quantity > pair.order_line.received
    ]
    values = {
        f"line {pair.position}": f"{exact(pair.line.quantity or Decimal(0))} invoiced / "
        f"{exact(pair.order_line.received)} received"
        for pair in compared
        if pair.order_line is not None
    }
    if not over:
        return Verdict(True, "Every invoiced quantity has been received.", values)
    listed = "; ".join(
        f"line {pair.position} ({pair.line.description or 'no description'}): "
        f"{exact(pair.line.quantity or Decimal(0))} invoiced, "
        f"{exact(pair.order_line.received)} received"
        for pair in over
        if pair.order_line is not None
    )
    return Verdict(
        False,
        f"More invoiced than received on purchase order {pairing.order.po_number}: {listed}.",
        values,
    )


@rule(id="PO-UNIT-PRICE", category=ExceptionCategory.PURCHASE_ORDER)
def unit_prices_as_ordered(context: RuleContext) -> Verdict | None:
    """No unit price is above the purchase order's price beyond the tolerance (3-way match).

    Tolerance: 1 % by default (``purchase_orders.price_tolerance_percent``). A lower price
    is in the buyer's favour and passes. A higher one needs the buyer's approval or a
    credit note from the supplier.
    """
    pairing = context.order_lines
    if pairing is None:
        return None
    compared = [
        pair
        for pair in pairing.pairs
        if pair.order_line is not None and pair.line.unit_price is not None
    ]
    if not compared:
        return None
    factor = 1 + context.config.purchase_orders.price_tolerance_percent / 100
    over = [
        pair
        for pair in compared
        if pair.order_line is not None
        and pair.line.unit_price is not None
        and pair.line.unit_price > pair.order_line.unit_price * factor + Decimal("0.005")
    ]
    values = {
        f"line {pair.position}": f"{exact(pair.line.unit_price or Decimal(0))} invoiced / "
        f"{exact(pair.order_line.unit_price)} ordered"
        for pair in compared
        if pair.order_line is not None
    }
    if not over:
        return Verdict(True, "Every unit price is the ordered price.", values)
    listed = "; ".join(
        f"line {pair.position} ({pair.line.description or 'no description'}): "
        f"{exact(pair.line.unit_price or Decimal(0))} invoiced, "
        f"{exact(pair.order_line.unit_price)} ordered"
        for pair in over
        if pair.order_line is not None
    )
    return Verdict(
        False,
        f"Unit prices above purchase order {pairing.order.po_number}: {listed}.",
        values,
    )
