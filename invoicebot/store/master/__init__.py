"""Master data in the store: the vendor master, purchase orders and goods receipts.

Imported from the ERP's CSV exports (``invoicebot vendors import``, ``orders import``,
``receipts import``); read by the vendor and purchase-order rules through ``StoreHistory``.
An import checks every row first and writes nothing when one is wrong, so a half-imported
master never decides whether an IBAN is the supplier's.

CSV files: UTF-8 (an Excel BOM is fine), comma, semicolon or tab separated, a header row.
Amounts and quantities take a dot or a decimal comma; dates are ``YYYY-MM-DD`` or
``DD/MM/YYYY``; yes/no columns take yes, no, true, false, 1, 0, oui, non or nothing (no).

``tables`` holds the tables, ``csv_rows`` the reading of a CSV export, ``vendors`` and
``orders`` the imports and look-ups of each, ``pipelined`` several look-ups in one round trip.
"""

from __future__ import annotations

from invoicebot.store.master.csv_rows import (
    NO,
    YES,
    CsvRow,
    ImportSummary,
    MasterDataError,
    RowProblems,
    parse_account,
    parse_currency,
    parse_date,
    parse_decimal,
    parse_flag,
    read_csv,
)
from invoicebot.store.master.orders import (
    ORDER_COLUMNS,
    ORDER_OPTIONAL,
    ORDER_WITH_LINES,
    RECEIPT_COLUMNS,
    RECEIPT_OPTIONAL,
    ParsedOrder,
    has_orders,
    import_orders,
    import_receipts,
    order_from_rows,
    parse_orders,
    purchase_order,
)
from invoicebot.store.master.pipelined import run_pipelined
from invoicebot.store.master.tables import (
    GoodsReceipt,
    MasterRevision,
    PurchaseOrder,
    PurchaseOrderLine,
    Vendor,
    bump_revision,
    quantity_column,
)
from invoicebot.store.master.vendors import (
    REVISIONS,
    VENDOR_BY_ID,
    VENDOR_COLUMNS,
    VENDOR_FIELDS,
    VENDOR_NAMES,
    VENDOR_OPTIONAL,
    VENDOR_RECORD_COLUMNS,
    VENDORS_BY_IDENTIFIER,
    has_vendors,
    import_vendors,
    master_revisions,
    parse_vendor,
    revisions_from_rows,
    vendor_by_id,
    vendor_names,
    vendor_record,
    vendors_by_identifier,
)

__all__ = [
    "NO",
    "ORDER_COLUMNS",
    "ORDER_OPTIONAL",
    "ORDER_WITH_LINES",
    "RECEIPT_COLUMNS",
    "RECEIPT_OPTIONAL",
    "REVISIONS",
    "VENDORS_BY_IDENTIFIER",
    "VENDOR_BY_ID",
    "VENDOR_COLUMNS",
    "VENDOR_FIELDS",
    "VENDOR_NAMES",
    "VENDOR_OPTIONAL",
    "VENDOR_RECORD_COLUMNS",
    "YES",
    "CsvRow",
    "GoodsReceipt",
    "ImportSummary",
    "MasterDataError",
    "MasterRevision",
    "ParsedOrder",
    "PurchaseOrder",
    "PurchaseOrderLine",
    "RowProblems",
    "Vendor",
    "bump_revision",
    "has_orders",
    "has_vendors",
    "import_orders",
    "import_receipts",
    "import_vendors",
    "master_revisions",
    "order_from_rows",
    "parse_account",
    "parse_currency",
    "parse_date",
    "parse_decimal",
    "parse_flag",
    "parse_orders",
    "parse_vendor",
    "purchase_order",
    "quantity_column",
    "read_csv",
    "revisions_from_rows",
    "run_pipelined",
    "vendor_by_id",
    "vendor_names",
    "vendor_record",
    "vendors_by_identifier",
]
