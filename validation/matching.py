"""Matching an invoice to the master data: its supplier, its purchase order, its order lines.

Computed once per invoice (``RuleContext`` caches the results) and shared by the vendor and
purchase-order rules.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from decimal import Decimal
from functools import lru_cache

from rapidfuzz import fuzz, process

from invoicebot.model import Line
from validation.identity import fold_company_name
from validation.lookups import identifier_lookup, order_key
from validation.records import InvoiceFacts, OrderLineRecord, PurchaseOrderRecord, VendorRecord


@dataclass(frozen=True)
class VendorMatch:
    """Which supplier of the master the seller is (``vendor`` None: none is), and how it was
    found: by ``SIRET``, ``VAT number``, ``SIREN`` or ``name`` (with the name's score)."""

    vendor: VendorRecord | None
    by: str | None = None
    score: float = 0.0
    nearest_name: str | None = None
    nearest_score: float = 0.0


def match_vendor(context: InvoiceFacts) -> VendorMatch | None:
    """Return the seller's supplier in the vendor master; None when there is no master.

    Identifiers first (SIRET, then VAT number, then SIREN), then the closest name when its
    similarity reaches ``vendors.name_match_min_score``. A match by identifier needs no
    other look-up (the usual case, one query); whether a master is on file is asked only
    when none matches.
    """
    fields = context.fields
    lookup = identifier_lookup(context)
    if lookup is not None:
        vat_id, siren = lookup.vat_id, lookup.siren
        candidates = context.master.vendors_by_identifier(vat_id=vat_id, siren=siren)
        ranked = [
            (rank, by, vendor)
            for vendor in candidates
            for rank, by, hit in (
                (0, "SIRET", bool(fields.seller_siret) and vendor.siret == fields.seller_siret),
                (1, "VAT number", vat_id is not None and vendor.vat_id == vat_id),
                (2, "SIREN", siren is not None and vendor.siren == siren),
            )
            if hit
        ]
        if ranked:
            _rank, by, vendor = min(ranked, key=lambda item: (item[0], item[2].vendor_id))
            return VendorMatch(vendor, by, 100.0)
    if not context.has_vendor_master:
        return None
    if not fields.seller_name:
        return VendorMatch(None)
    names = context.master.vendor_names()
    folded = fold_company_name(fields.seller_name)
    best = process.extractOne(folded, names, scorer=fuzz.token_sort_ratio) if names else None
    if best is None:
        return VendorMatch(None)
    _name, score, vendor_id = best
    nearest = context.master.vendor(vendor_id)
    if nearest is not None and score >= context.config.vendors.name_match_min_score:
        return VendorMatch(nearest, "name", score)
    return VendorMatch(None, nearest_name=nearest.name if nearest else None, nearest_score=score)


def find_purchase_order(context: InvoiceFacts) -> PurchaseOrderRecord | None:
    """Return the purchase order quoted on the invoice when it is on file."""
    key = order_key(context)
    return context.master.purchase_order(key) if key else None


@dataclass(frozen=True)
class LinePair:
    """An invoice line (``position`` counts from 1) and the order line it bills, if any."""

    position: int
    line: Line
    order_line: OrderLineRecord | None


@dataclass(frozen=True)
class LinePairing:
    """The invoice's lines paired with the lines of its purchase order."""

    order: PurchaseOrderRecord
    pairs: tuple[LinePair, ...]


@lru_cache(maxsize=4096)
def fold_text(value: str) -> str:
    """Return ``value`` without case, accents or punctuation, for comparing descriptions."""
    decomposed = unicodedata.normalize("NFKD", value.casefold())
    plain = "".join(ch for ch in decomposed if not unicodedata.combining(ch))
    return " ".join(re.sub(r"[^0-9a-z]+", " ", plain).split())


def pair_order_lines(context: InvoiceFacts) -> LinePairing | None:
    """Return each invoice line with the order line it bills: the most similar descriptions
    first, then, for lines left, the one unused order line with the same unit price."""
    order = context.purchase_order
    lines = context.extraction.lines
    if order is None or not order.lines or not lines:
        return None
    minimum = context.config.purchase_orders.line_match_min_score
    ordered = [
        (j, fold_text(order_line.description))
        for j, order_line in enumerate(order.lines)
        if order_line.description
    ]
    candidates: list[tuple[float, int, int]] = []
    for i, line in enumerate(lines):
        if not line.description:
            continue
        text = fold_text(line.description)
        for j, order_text in ordered:
            score = fuzz.token_set_ratio(text, order_text, score_cutoff=minimum)
            if score >= minimum:
                candidates.append((score, i, j))
    paired: dict[int, int] = {}
    used: set[int] = set()
    for _score, i, j in sorted(candidates, key=lambda c: (-c[0], c[1], c[2])):
        if i not in paired and j not in used:
            paired[i] = j
            used.add(j)
    for i, line in enumerate(lines):
        if i in paired or line.unit_price is None:
            continue
        same_price = [
            j
            for j, order_line in enumerate(order.lines)
            if j not in used and _same_amount(order_line.unit_price, line.unit_price)
        ]
        if len(same_price) == 1:
            paired[i] = same_price[0]
            used.add(same_price[0])
    pairs = tuple(
        LinePair(i + 1, line, order.lines[paired[i]] if i in paired else None)
        for i, line in enumerate(lines)
    )
    return LinePairing(order, pairs)


def _same_amount(first: Decimal, second: Decimal) -> bool:
    return abs(first - second) < Decimal("0.005")
