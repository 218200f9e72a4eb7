"""Planning the set: kinds, layouts, faults and duplicates."""

from __future__ import annotations

import random
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date, timedelta
from typing import Literal

from samples.invoices.generate.facturx import FacturxLevel
from samples.invoices.generate.invoices import Invoice, SellerLedger, apply_fault, draft_invoice
from samples.invoices.generate.kinds import DOCUMENTS_PER_FAULT, FAULT_PLAN, Fault, Kind
from samples.invoices.generate.parties import (
    BUYER_PROFILES,
    FACTURX_LAYOUTS,
    LAYOUT_ORDER,
    SELLER_PROFILES,
    SIRET_LAYOUTS,
    Buyer,
    LayoutName,
    Seller,
    make_buyer,
    make_seller,
)

# ----------------------------------------------------------------------------------------
# Planning the set: kinds, layouts, faults and duplicates
# ----------------------------------------------------------------------------------------

ImageFormat = Literal["png", "jpg"]


@dataclass(frozen=True)
class DocumentPlan:
    """One document to write: its name, how it is made and the invoice printed on it."""

    stem: str
    kind: Kind
    invoice: Invoice
    faults: tuple[Fault, ...] = ()
    duplicate_of: str | None = None
    image_format: ImageFormat | None = None
    facturx_level: FacturxLevel | None = None
    dpi: int = 200

    @property
    def file_name(self) -> str:
        """Return the document's file name."""
        return f"{self.stem}.{self.image_format or 'pdf'}"


def plan_kinds(count: int, rng: random.Random) -> list[Kind]:
    """Return each document's kind, shuffled: mostly text PDFs, a fifth scans, an eighth
    images and up to two Factur-X hybrids."""
    facturx_count = 2 if count >= 20 else 1 if count >= 5 else 0
    scans, images = round(count * 0.2), round(count * 0.125)
    texts = count - facturx_count - scans - images
    kinds = [Kind.TEXT_PDF] * texts + [Kind.SCANNED_PDF] * scans + [Kind.IMAGE] * images
    kinds += [Kind.FACTURX] * facturx_count
    rng.shuffle(kinds)
    return kinds


def plan_layouts(kinds: Sequence[Kind]) -> list[LayoutName]:
    """Return each document's layout: all layouts in turn, French ones for Factur-X."""
    layouts: list[LayoutName] = []
    facturx_seen = others_seen = 0
    for kind in kinds:
        if kind is Kind.FACTURX:
            layouts.append(FACTURX_LAYOUTS[facturx_seen % len(FACTURX_LAYOUTS)])
            facturx_seen += 1
        else:
            layouts.append(LAYOUT_ORDER[others_seen % len(LAYOUT_ORDER)])
            others_seen += 1
    return layouts


@dataclass
class FaultAssignment:
    """Which documents carry a fault, and which earlier document each duplicate repeats."""

    faults: dict[int, Fault] = field(default_factory=dict)
    originals: dict[int, int] = field(default_factory=dict)

    def is_free(self, index: int) -> bool:
        """Return True when the document neither carries a fault nor is duplicated."""
        return index not in self.faults and index not in self.originals.values()

    def clean_texts_before(self, index: int, kinds: Sequence[Kind]) -> list[int]:
        """Return the clean text PDFs before ``index``: what a duplicate may repeat."""
        return [i for i in range(index) if kinds[i] is Kind.TEXT_PDF and self.is_free(i)]


def assign_faults(
    kinds: Sequence[Kind], layouts: list[LayoutName], rng: random.Random
) -> FaultAssignment:
    """Return the faulty documents (one per 5, in ``FAULT_PLAN`` order). A duplicate takes
    the layout of the clean text PDF it repeats, which always comes before it."""
    assignment = FaultAssignment()
    for fault, kind in FAULT_PLAN[: len(kinds) // DOCUMENTS_PER_FAULT]:
        candidates = [i for i, k in enumerate(kinds) if k is kind and assignment.is_free(i)]
        if fault is Fault.SIRET_CHECK:
            candidates = [i for i in candidates if layouts[i] in SIRET_LAYOUTS]
        if fault is Fault.DUPLICATE:
            candidates = [i for i in candidates if assignment.clean_texts_before(i, kinds)]
        if not candidates:
            continue
        chosen = rng.choice(candidates)
        if fault is Fault.DUPLICATE:
            original = rng.choice(assignment.clean_texts_before(chosen, kinds))
            assignment.originals[chosen] = original
            layouts[chosen] = layouts[original]
        assignment.faults[chosen] = fault
    return assignment


def document_stem(index: int, layout: LayoutName, kind: Kind) -> str:
    """Return a file stem that says what the document is: ``fr-classic-0007-scan``."""
    suffix = {Kind.SCANNED_PDF: "-scan", Kind.FACTURX: "-facturx"}.get(kind, "")
    return f"{layout}-{index + 1:04d}{suffix}"


def choose_buyer(seller: Seller, buyers: Sequence[Buyer], rng: random.Random) -> Buyer:
    """Return a customer, usually one from the seller's own country."""
    local = [buyer for buyer in buyers if buyer.address.country == seller.country]
    if local and rng.random() < 0.75:
        return rng.choice(local)
    return rng.choice(buyers)


@dataclass
class InvoiceBook:
    """The sellers, buyers and running numbers an invoice set is drawn from."""

    sellers: list[Seller]
    buyers: list[Buyer]
    ledgers: dict[str, SellerLedger]

    @classmethod
    def draw(cls, rng: random.Random) -> InvoiceBook:
        """Return every seller and buyer with identifiers drawn from ``rng``."""
        sellers = [make_seller(profile, rng) for profile in SELLER_PROFILES]
        buyers = [make_buyer(profile, rng) for profile in BUYER_PROFILES]
        first_day = date(2026, 1, 2)
        ledgers = {
            seller.name: SellerLedger(
                rng.randint(20, 900), first_day + timedelta(days=rng.randint(0, 60))
            )
            for seller in sellers
        }
        return cls(sellers, buyers, ledgers)

    def invoice(self, layout: LayoutName, fault: Fault | None, rng: random.Random) -> Invoice:
        """Return the next invoice of a seller printing with ``layout``, with ``fault``."""
        candidates = [seller for seller in self.sellers if seller.profile.layout == layout]
        if fault is Fault.SIRET_CHECK:
            candidates = [seller for seller in candidates if seller.siret]
        seller = rng.choice(candidates)
        buyer = choose_buyer(seller, self.buyers, rng)
        min_lines = 2 if fault is Fault.LINES_MISMATCH else 1
        invoice = draft_invoice(seller, buyer, self.ledgers[seller.name], rng, min_lines)
        return apply_fault(invoice, fault, rng) if fault else invoice


def plan_documents(count: int, seed: int) -> list[DocumentPlan]:
    """Return the plan of ``count`` documents for ``seed``: pure data, nothing rendered."""
    rng = random.Random(seed)
    book = InvoiceBook.draw(rng)
    kinds = plan_kinds(count, rng)
    layouts = plan_layouts(kinds)
    assignment = assign_faults(kinds, layouts, rng)
    plans: list[DocumentPlan] = []
    for index, (kind, layout) in enumerate(zip(kinds, layouts, strict=True)):
        fault = assignment.faults.get(index)
        original = plans[assignment.originals[index]] if index in assignment.originals else None
        invoice = original.invoice if original else book.invoice(layout, fault, rng)
        plan = DocumentPlan(
            stem=document_stem(index, layout, kind),
            kind=kind,
            invoice=invoice,
            faults=(fault,) if fault else (),
            duplicate_of=original.file_name if original else None,
            image_format=("png" if index % 2 == 0 else "jpg") if kind is Kind.IMAGE else None,
            facturx_level=facturx_level(kind, kinds[:index]),
            dpi=rng.choice((200, 200, 300)) if kind is Kind.SCANNED_PDF else 200,
        )
        plans.append(plan)
    return plans


def facturx_level(kind: Kind, earlier: Sequence[Kind]) -> FacturxLevel | None:
    """Return the Factur-X profile: EN 16931 for the first hybrid, BASIC for the next."""
    if kind is not Kind.FACTURX:
        return None
    return "basic" if Kind.FACTURX in earlier else "en16931"
