"""One generated document: its bytes and the truth of what its page prints."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from typing import Any

from samples.randomised.content import Invoice, draw_invoice
from samples.randomised.degrade import photo_jpeg, scanned_pdf
from samples.randomised.family import Family, make_family
from samples.randomised.formats import plain_decimal
from samples.randomised.render import render_invoice

KINDS: tuple[str, ...] = ("text-pdf", "scanned-pdf", "photo")
TRUTH_KIND = {"text-pdf": "text-pdf", "scanned-pdf": "scanned-pdf", "photo": "image"}
METHOD = {"text-pdf": "text", "scanned-pdf": "ocr", "photo": "ocr"}
SUFFIX = {"text-pdf": ".pdf", "scanned-pdf": "-scan.pdf", "photo": "-photo.jpg"}


@dataclass(frozen=True)
class GeneratedDocument:
    """A document's file name, its bytes and the extraction a perfect reader would give."""

    filename: str
    data: bytes
    truth: dict[str, Any]


def generate_document(
    family: int, index: int, kind: str = "text-pdf", *, seed: int = 2026
) -> GeneratedDocument:
    """Return document ``index`` of ``family`` as ``kind``; the same arguments give the
    same bytes."""
    if kind not in KINDS:
        raise ValueError(f"kind must be one of {', '.join(KINDS)}, got {kind!r}")
    if index < 0:
        raise ValueError(f"index must be >= 0, got {index}")
    layout = make_family(family)
    invoice = draw_invoice(layout, index, seed)
    rendered = render_invoice(layout, invoice, seed)
    pdf, printed, pages = rendered.pdf, rendered.printed, rendered.pages
    line_pages = rendered.line_pages
    stem = f"rnd-f{family:02d}-{index:04d}"
    if kind == "scanned-pdf":
        data = scanned_pdf(pdf, f"{seed}/{stem}/scan", title=stem)
    elif kind == "photo":
        data = photo_jpeg(pdf, f"{seed}/{stem}/photo")
        # A photo shows the first page only: the truth keeps what that page prints.
        printed = {name: text for name, text in printed.items() if rendered.field_pages[name] == 1}
        line_pages = tuple(page for page in line_pages if page == 1)
        pages = 1
    else:
        data = pdf
    filename = stem + SUFFIX[kind]
    record = truth(layout, invoice, printed, pages, kind, filename, data)
    record["lines"] = record["lines"][: len(line_pages)]
    return GeneratedDocument(filename, data, record)


def truth(
    family: Family,
    invoice: Invoice,
    printed: dict[str, str],
    pages: int,
    kind: str,
    filename: str,
    data: bytes,
) -> dict[str, Any]:
    """Return the contract-shaped truth: only fields the page prints, normalised."""
    values: dict[str, str | None] = {
        "invoice_number": invoice.number,
        "invoice_date": invoice.issue_date.isoformat(),
        "due_date": invoice.due_date.isoformat() if invoice.due_date else None,
        "currency": family.numbers.currency,
        "seller_name": invoice.seller.name,
        "seller_vat_id": invoice.seller.vat_id,
        "seller_siret": invoice.seller.siret,
        "seller_iban": invoice.seller.iban,
        "buyer_name": invoice.buyer.name,
        "buyer_vat_id": invoice.buyer.vat_id,
        "po_number": invoice.po_number,
        "total_net": f"{invoice.net:.2f}",
        "total_tax": f"{invoice.tax:.2f}",
        "total_gross": f"{invoice.gross:.2f}",
        "amount_due": f"{invoice.amount_due:.2f}",
    }
    fields = {name: value if name in printed else None for name, value in values.items()}
    columns = family.columns
    lines = [
        {
            "description": " ".join(line.description),
            "quantity": plain_decimal(line.quantity) if "quantity" in columns else None,
            "unit_price": f"{line.unit_price:.2f}" if "unit_price" in columns else None,
            "net_amount": f"{line.net_amount:.2f}",
            "tax_rate": plain_decimal(line.tax_rate) if "rate" in columns else None,
        }
        for line in invoice.lines
    ]
    return {
        "source": filename,
        "sha256": hashlib.sha256(data).hexdigest(),
        "method": METHOD[kind],
        "language": family.language,
        "pages": pages,
        "fields": fields,
        "lines": lines,
        "confidence": {},
        "error": None,
        "kind": TRUTH_KIND[kind],
        "faults": [],
        "family": family.number,
        "group": family.group,
        "printed": dict(sorted(printed.items())),
    }
