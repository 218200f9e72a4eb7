"""Rendering and writing the set, with the buyer's master data (vendor master, purchase
orders, goods receipts), and the command line."""

from __future__ import annotations

import argparse
import csv
import hashlib
import json
import random
from collections.abc import Sequence
from datetime import date, timedelta
from pathlib import Path

from invoicebot.model import Extraction, InvoiceFields, Line
from samples.invoices.generate.facturx import render_facturx
from samples.invoices.generate.invoices import Invoice
from samples.invoices.generate.kinds import CURRENCY, METHOD_BY_KIND, Kind
from samples.invoices.generate.parties import LANGUAGE_BY_LAYOUT, SELLER_PROFILES, Seller
from samples.invoices.generate.pdf import render_pdf
from samples.invoices.generate.planning import DocumentPlan, plan_documents
from samples.invoices.generate.scans import ScanLook, degrade, encoded_image, rasterise, scanned_pdf

# ----------------------------------------------------------------------------------------
# Rendering and writing
# ----------------------------------------------------------------------------------------


def render_document(plan: DocumentPlan, seed: int) -> bytes:
    """Return the bytes of the planned document."""
    if plan.kind is Kind.TEXT_PDF:
        return render_pdf(plan.invoice)
    if plan.kind is Kind.FACTURX:
        return render_facturx(plan.invoice, plan.facturx_level or "en16931")
    # The degradation has its own generator so that one document's look does not depend on
    # how many draws the documents before it made.
    rng = random.Random(f"{seed}/{plan.stem}")
    look = ScanLook.draw(rng, white_balanced=plan.image_format == "png")
    page = degrade(rasterise(render_pdf(plan.invoice), plan.dpi), look, rng)
    if plan.image_format is None:
        return scanned_pdf(page, plan.dpi, look.quality, plan.stem)
    return encoded_image(page, plan.image_format, plan.dpi, look.quality)


def expected_extraction(plan: DocumentPlan, document: bytes) -> Extraction:
    """Return the extraction a perfect extractor would give: what is printed on the page."""
    invoice, totals = plan.invoice, plan.invoice.totals
    fields = InvoiceFields(
        invoice_number=invoice.number,
        invoice_date=invoice.issue_date,
        due_date=invoice.due_date,
        currency=CURRENCY,
        seller_name=invoice.seller.name,
        seller_vat_id=invoice.printed.vat_id,
        seller_siret=invoice.printed.siret,
        seller_iban=invoice.printed.iban,
        buyer_name=invoice.buyer.name,
        buyer_vat_id=invoice.buyer.vat_id if invoice.show_buyer_vat else None,
        po_number=invoice.po_number,
        total_net=totals.net,
        total_tax=totals.tax,
        total_gross=totals.gross,
        amount_due=invoice.amount_due,
    )
    lines = [
        Line(
            description=line.description,
            quantity=line.quantity,
            unit_price=line.unit_price,
            net_amount=line.net_amount,
            tax_rate=line.tax_rate,
        )
        for line in invoice.lines
    ]
    return Extraction(
        source=plan.file_name,
        sha256=hashlib.sha256(document).hexdigest(),
        method=METHOD_BY_KIND[plan.kind],
        language=LANGUAGE_BY_LAYOUT[invoice.layout],
        pages=1,
        fields=fields,
        lines=lines,
        confidence={},
        error=None,
    )


def sample_record(plan: DocumentPlan, document: bytes) -> dict[str, object]:
    """Return the JSON written beside a document: the extraction plus kind and faults."""
    record: dict[str, object] = expected_extraction(plan, document).to_contract()
    record["kind"] = plan.kind.value
    record["faults"] = [fault.value for fault in plan.faults]
    if plan.duplicate_of is not None:
        record["duplicate_of"] = plan.duplicate_of
    return record


# ----------------------------------------------------------------------------------------
# Master data: the buyer's vendor master, purchase orders and goods receipts
# ----------------------------------------------------------------------------------------

# "Today" for the date rules when they check the committed set, so that it never ages.
SAMPLES_REFERENCE_DATE = date(2026, 11, 26)
VENDOR_COLUMNS = (
    "vendor_id", "name", "vat_id", "siret", "iban", "bic", "currency", "payment_terms_days",
    "po_required",
)  # fmt: skip
ORDER_COLUMNS = (
    "po_number", "vendor_id", "currency", "line", "description", "quantity", "unit_price",
    "ordered_on",
)  # fmt: skip
RECEIPT_COLUMNS = ("po_number", "line", "quantity", "received_on", "receipt_id")
MasterRows = dict[str, list[dict[str, str]]]


def vendor_id(seller: Seller) -> str:
    """Return the seller's supplier code in the buyer's ERP: ``SUP-007``."""
    return f"SUP-{SELLER_PROFILES.index(seller.profile) + 1:03d}"


def master_data(plans: Sequence[DocumentPlan]) -> MasterRows:
    """Return the vendor master, purchase-order and goods-receipt rows matching ``plans``.

    Every seller that invoices is in the master with its true identifiers and IBAN (not
    the broken ones a faulty sample prints) and its shortest payment terms. A seller whose
    every invoice quotes a purchase order requires one; those orders are on file with the
    invoiced lines, fully received on the delivery date. Nothing is drawn at random, so
    the documents do not change.
    """
    invoices_by_seller: dict[str, list[Invoice]] = {}
    for plan in plans:
        invoices_by_seller.setdefault(plan.invoice.seller.name, []).append(plan.invoice)
    vendors, orders, receipts = [], [], []
    seen_orders: set[str] = set()
    for invoices in sorted(invoices_by_seller.values(), key=lambda i: vendor_id(i[0].seller)):
        seller = invoices[0].seller
        po_required = all(invoice.po_number for invoice in invoices)
        vendors.append(
            {
                "vendor_id": vendor_id(seller),
                "name": seller.name,
                "vat_id": seller.vat_id,
                "siret": seller.siret or "",
                "iban": seller.iban,
                "bic": seller.bank.bic,
                "currency": CURRENCY,
                "payment_terms_days": str(min(invoice.payment_days for invoice in invoices)),
                "po_required": "yes" if po_required else "no",
            }
        )
        if not po_required:
            continue
        for invoice in invoices:
            if invoice.po_number is None or invoice.po_number in seen_orders:
                continue
            seen_orders.add(invoice.po_number)
            for number, line in enumerate(invoice.lines, start=1):
                orders.append(
                    {
                        "po_number": invoice.po_number,
                        "vendor_id": vendor_id(seller),
                        "currency": CURRENCY,
                        "line": str(number),
                        "description": line.description,
                        "quantity": format(line.quantity, "f"),
                        "unit_price": f"{line.unit_price:.2f}",
                        "ordered_on": (invoice.delivery_date - timedelta(days=14)).isoformat(),
                    }
                )
                receipts.append(
                    {
                        "po_number": invoice.po_number,
                        "line": str(number),
                        "quantity": format(line.quantity, "f"),
                        "received_on": invoice.delivery_date.isoformat(),
                        "receipt_id": f"GR-{len(receipts) + 1:05d}",
                    }
                )
    return {"vendors.csv": vendors, "purchase_orders.csv": orders, "goods_receipts.csv": receipts}


def write_master_data(out_dir: Path, plans: Sequence[DocumentPlan]) -> list[Path]:
    """Write the master-data CSV files of ``plans`` into ``out_dir``; return their paths."""
    columns = {
        "vendors.csv": VENDOR_COLUMNS,
        "purchase_orders.csv": ORDER_COLUMNS,
        "goods_receipts.csv": RECEIPT_COLUMNS,
    }
    written = []
    for name, rows in master_data(plans).items():
        path = out_dir / name
        with path.open("w", encoding="utf-8", newline="") as file:
            writer = csv.DictWriter(file, fieldnames=columns[name], lineterminator="\n")
            writer.writeheader()
            writer.writerows(rows)
        written.append(path)
    return written


def generate(out_dir: Path, *, count: int = 40, seed: int = 2026) -> list[Path]:
    """Write ``count`` sample invoices with their JSON into ``out_dir``; return the documents.

    The buyer's master data matching them is written beside them: ``vendors.csv``,
    ``purchase_orders.csv`` and ``goods_receipts.csv``. Only the generator's own file names
    are written (overwritten if present); nothing is deleted.
    """
    if count < 1:
        raise ValueError(f"count must be at least 1, got {count}")
    out_dir.mkdir(parents=True, exist_ok=True)
    written: list[Path] = []
    plans = plan_documents(count, seed)
    for plan in plans:
        document = render_document(plan, seed)
        path = out_dir / plan.file_name
        path.write_bytes(document)
        record = json.dumps(sample_record(plan, document), indent=2, ensure_ascii=False)
        (out_dir / f"{plan.stem}.json").write_text(record + "\n", encoding="utf-8")
        written.append(path)
    write_master_data(out_dir, plans)
    return written


def main(argv: Sequence[str] | None = None) -> None:
    """Parse the command line and write the sample set."""
    parser = argparse.ArgumentParser(
        description="Generate sample invoices beside their expected extraction JSON."
    )
    parser.add_argument("--out", type=Path, default=Path("samples/invoices"), help="directory")
    parser.add_argument("--count", type=int, default=40, help="number of documents")
    parser.add_argument("--seed", type=int, default=2026, help="same seed, same bytes")
    arguments = parser.parse_args(argv)
    if arguments.count < 1:
        parser.error("--count must be at least 1")
    paths = generate(arguments.out, count=arguments.count, seed=arguments.seed)
    print(f"wrote {len(paths)} documents and their JSON to {arguments.out}")
