"""What a rule reads: the extraction, the store's look-ups, the master data, the configuration.

The store implements the ``InvoiceHistory`` and ``MasterData`` protocols
(``invoicebot.store.StoreHistory``); tests fake them. Rules never import the store.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from functools import cached_property

from invoicebot.model import Extraction, InvoiceFields

# What a document states beyond the contract's fields is a domain type (extractors fill it
# and never import validation); rules read it from the context, so it is re-exported here.
from invoicebot.model import InvoiceExtras as InvoiceExtras
from invoicebot.model import VatSubtotal as VatSubtotal
from validation.config import RuleConfig
from validation.matching import (
    LinePairing,
    VendorMatch,
    find_purchase_order,
    match_vendor,
    pair_order_lines,
)

# The store's answers are defined below the context (``validation.records``), where the
# matching reads them too; re-exported here, where rules and the store have always found them.
from validation.records import EmptyHistory as EmptyHistory
from validation.records import EmptyMaster as EmptyMaster
from validation.records import InvoiceHistory as InvoiceHistory
from validation.records import MasterData as MasterData
from validation.records import OrderLineRecord as OrderLineRecord
from validation.records import PriorInvoice as PriorInvoice
from validation.records import PurchaseOrderRecord as PurchaseOrderRecord
from validation.records import VendorRecord as VendorRecord


@dataclass(frozen=True)
class RuleContext:
    """Everything one validation of one invoice may read.

    ``reference_date`` is "today" for the date rules: the processing date by default, a
    fixed date for tests and the samples. ``page_fields`` is the printed page's reading of a
    hybrid e-invoice whose fields came from its XML.
    """

    extraction: Extraction
    history: InvoiceHistory = field(default_factory=EmptyHistory)
    master: MasterData = field(default_factory=EmptyMaster)
    config: RuleConfig = field(default_factory=RuleConfig)
    document_id: int | None = None
    reference_date: date = field(default_factory=date.today)
    page_fields: InvoiceFields | None = None
    extras: InvoiceExtras = field(default_factory=InvoiceExtras)

    @property
    def fields(self) -> InvoiceFields:
        """Return the extraction's header fields."""
        return self.extraction.fields

    @cached_property
    def vendor_match(self) -> VendorMatch | None:
        """Return the vendor-master supplier this invoice's seller is, when one matches."""
        return match_vendor(self)

    @cached_property
    def has_vendor_master(self) -> bool:
        """Return True when a vendor master is on file."""
        return self.master.has_vendors()

    @cached_property
    def has_orders(self) -> bool:
        """Return True when purchase orders are on file."""
        return self.master.has_orders()

    @cached_property
    def purchase_order(self) -> PurchaseOrderRecord | None:
        """Return the purchase order quoted on the invoice, when it is on file."""
        return find_purchase_order(self)

    @cached_property
    def order_lines(self) -> LinePairing | None:
        """Return the invoice lines paired with the lines of its purchase order."""
        return pair_order_lines(self)
