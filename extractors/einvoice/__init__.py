"""E-invoices: the XML embedded in Factur-X / ZUGFeRD / XRechnung PDFs, and CII or UBL files.

The XML states every field exactly, so each non-null field gets confidence 1.0. Supported
syntaxes: UN/CEFACT CII D16B and D22B (one namespace: Factur-X 1.0x, ZUGFeRD 2, XRechnung
CII, the French EXTENDED-CTC-FR), ZUGFeRD 1.0 (and its un-namespaced release candidate
``CBFBUY:5``, still found in old Mustang samples), and UBL 2.1 ``Invoice`` and ``CreditNote``.

The document type (BT-3: CII ``TypeCode``, UBL ``InvoiceTypeCode`` / ``CreditNoteTypeCode``, a
UBL ``CreditNote`` without one being a credit note) and the preceding invoice it refers to
(BG-3: number BT-25, date BT-26) are read too: a credit note states its amounts positive,
its type says they are owed to the buyer.

A standalone XML file has no page, so its extraction says ``pages: 0``. Beyond the contract's
fields, the extraction carries what the XML states for the arithmetic and bank rules
(``Extraction.extras``): the payee's BIC, the sum of the lines, allowances, charges, prepaid
and rounding amounts, and the VAT breakdown.

In ``common`` the syntaxes, types and XML helpers; ``cii`` and ``ubl`` read each syntax;
``reading`` is the extractor and the entry points.
"""

from __future__ import annotations

from extractors.einvoice.common import (
    CII_D16B,
    CII_SYNTAXES,
    EMBEDDED_XML_NAMES,
    UBL_NAMESPACES,
    UBL_ROOTS,
    ZUGFERD_1,
    CiiSyntax,
    EInvoiceReading,
    MalformedEInvoiceError,
    StatedDocument,
    UnsupportedEInvoiceError,
    parse_xml,
)
from extractors.einvoice.reading import (
    EInvoiceExtractor,
    count_pdf_pages,
    find_embedded_xml,
    read_einvoice,
    read_einvoice_xml,
    read_stated_extras,
)

__all__ = [
    "CII_D16B",
    "CII_SYNTAXES",
    "EMBEDDED_XML_NAMES",
    "UBL_NAMESPACES",
    "UBL_ROOTS",
    "ZUGFERD_1",
    "CiiSyntax",
    "EInvoiceExtractor",
    "EInvoiceReading",
    "MalformedEInvoiceError",
    "StatedDocument",
    "UnsupportedEInvoiceError",
    "count_pdf_pages",
    "find_embedded_xml",
    "parse_xml",
    "read_einvoice",
    "read_einvoice_xml",
    "read_stated_extras",
]
