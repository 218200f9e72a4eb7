"""How rule messages write amounts, rates and countries: plainly, and never failing."""

from __future__ import annotations

from decimal import ROUND_HALF_UP, Decimal, InvalidOperation

from invoicebot.model import format_decimal

CENT = Decimal("0.01")

COUNTRY_NAMES = {
    "AT": "Austrian",
    "BE": "Belgian",
    "CH": "Swiss",
    "DE": "German",
    "ES": "Spanish",
    "FR": "French",
    "GB": "British",
    "IT": "Italian",
    "LU": "Luxembourg",
    "NL": "Dutch",
}


def round_cent(value: Decimal) -> Decimal:
    """Return ``value`` rounded half-up to the cent (unchanged when too large to round)."""
    try:
        return value.quantize(CENT, rounding=ROUND_HALF_UP)
    except InvalidOperation:
        return value


def money(value: Decimal) -> str:
    """Return an amount as a plain decimal string with two decimals: ``1234.50``."""
    return format_decimal(round_cent(value))


def exact(value: Decimal) -> str:
    """Return a number as printed, without trailing zeros after the point: ``5.5``."""
    text = format_decimal(value)
    if "." in text:
        text = text.rstrip("0").rstrip(".")
    return text


def percent(rate: Decimal) -> str:
    """Return a VAT rate for a message: ``5.5 %``."""
    return f"{exact(rate)} %"


def country_adjective(country: str) -> str:
    """Return ``French`` for ``FR``; the code itself for countries without a name here."""
    return COUNTRY_NAMES.get(country, country)
