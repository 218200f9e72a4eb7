"""Repository functions of the store: keyword-only, the session first.

``recording`` writes batches, documents, invoices and quarantines; ``history`` holds the
look-ups of earlier invoices and ``StoreHistory``, what the rules read of the store.
"""

from __future__ import annotations

from invoicebot.store.repository.history import (
    CREDIT_TYPES,
    NET_INVOICED_ON_ORDER,
    NET_INVOICED_ON_ORDER_BUT_INVOICE,
    NO_DOCUMENT,
    NO_NUMBER_KEY,
    PRIOR_COLUMNS,
    SAME_SELLER_AND_GROSS,
    SAME_SELLER_AND_NUMBER,
    SIGNED_NET,
    StoreHistory,
    gross_parameters,
    net_invoiced_on_order,
    number_parameters,
    prior_from_row,
    same_seller_and_gross,
    same_seller_and_number,
)
from invoicebot.store.repository.recording import (
    StoreUsageError,
    add_invoice,
    begin_write,
    credited_invoice_id,
    finish_batch,
    finish_document,
    link_waiting_credit_notes,
    lock_seller,
    other_running_batches,
    record_invoice,
    record_quarantine,
    record_unclaimable,
    set_archived_path,
    start_batch,
)

__all__ = [
    "CREDIT_TYPES",
    "NET_INVOICED_ON_ORDER",
    "NET_INVOICED_ON_ORDER_BUT_INVOICE",
    "NO_DOCUMENT",
    "NO_NUMBER_KEY",
    "PRIOR_COLUMNS",
    "SAME_SELLER_AND_GROSS",
    "SAME_SELLER_AND_NUMBER",
    "SIGNED_NET",
    "StoreHistory",
    "StoreUsageError",
    "add_invoice",
    "begin_write",
    "credited_invoice_id",
    "finish_batch",
    "finish_document",
    "gross_parameters",
    "link_waiting_credit_notes",
    "lock_seller",
    "net_invoiced_on_order",
    "number_parameters",
    "other_running_batches",
    "prior_from_row",
    "record_invoice",
    "record_quarantine",
    "record_unclaimable",
    "same_seller_and_gross",
    "same_seller_and_number",
    "set_archived_path",
    "start_batch",
]
