"""The rule families; importing this package registers every rule.

The catalogue (``invoicebot rules``, ``docs/rules.md``) lists them by family in
``FAMILIES`` order.
"""

from validation.rules import (
    arithmetic,
    credit_notes,
    dates,
    duplicates,
    french_mentions,
    hybrid,
    identifiers,
    official,
    orders,
    required,
    splitting,
    vendors,
)

# Family (module name) -> heading, in the order an operator meets the checks.
FAMILIES: dict[str, str] = {
    "required": "Required fields and mandatory mentions",
    "french_mentions": "Mentions of the French e-invoicing reform",
    "arithmetic": "Arithmetic (EN 16931)",
    "identifiers": "Identifiers",
    "dates": "Dates",
    "duplicates": "Duplicates",
    "credit_notes": "Credit notes",
    "vendors": "Vendor master",
    "orders": "Purchase orders and goods receipts",
    "hybrid": "Hybrid e-invoices",
    "official": "Official e-invoice rules (EN 16931, French CTC)",
    "splitting": "Files holding several invoices",
}

__all__ = [
    "FAMILIES",
    "arithmetic",
    "credit_notes",
    "dates",
    "duplicates",
    "french_mentions",
    "hybrid",
    "identifiers",
    "official",
    "orders",
    "required",
    "splitting",
    "vendors",
]
