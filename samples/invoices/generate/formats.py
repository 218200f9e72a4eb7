"""Printed formats (dates, amounts, rates and quantities as each layout writes them) and
legal mentions."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, replace
from datetime import date
from decimal import Decimal

from samples.invoices.generate.invoices import Invoice
from samples.invoices.generate.kinds import EN_DASH
from samples.invoices.generate.parties import LayoutName

# ----------------------------------------------------------------------------------------
# Printed formats: dates, amounts, rates and quantities as each layout writes them
# ----------------------------------------------------------------------------------------

FRENCH_MONTHS = [
    "janvier",
    "février",
    "mars",
    "avril",
    "mai",
    "juin",
    "juillet",
    "août",
    "septembre",
    "octobre",
    "novembre",
    "décembre",
]
ENGLISH_MONTHS = [
    "Jan",
    "Feb",
    "Mar",
    "Apr",
    "May",
    "Jun",
    "Jul",
    "Aug",
    "Sep",
    "Oct",
    "Nov",
    "Dec",
]


def date_numeric(day: date) -> str:
    """Return ``14/11/2026``."""
    return day.strftime("%d/%m/%Y")


def date_french_long(day: date) -> str:
    """Return ``14 novembre 2026``."""
    return f"{day.day} {FRENCH_MONTHS[day.month - 1]} {day.year}"


def date_english_short(day: date) -> str:
    """Return ``Nov 14, 2026``."""
    return f"{ENGLISH_MONTHS[day.month - 1]} {day.day}, {day.year}"


def date_iso(day: date) -> str:
    """Return ``2026-11-14``."""
    return day.isoformat()


def date_german(day: date) -> str:
    """Return ``14.11.2026``."""
    return day.strftime("%d.%m.%Y")


@dataclass(frozen=True)
class Formats:
    """How a layout prints dates, numbers, money (``pattern`` places the currency) and rates."""

    date: Callable[[date], str]
    thousands: str
    decimal_mark: str
    pattern: str
    rate_suffix: str
    rate_places: int | None = None

    def number(self, value: Decimal, places: int = 2) -> str:
        """Return ``value`` with this layout's separators and no currency."""
        integer, _, fraction = f"{value:,.{places}f}".partition(".")
        integer = integer.replace(",", self.thousands)
        return f"{integer}{self.decimal_mark}{fraction}" if places else integer

    def amount(self, value: Decimal) -> str:
        """Return ``value`` as money, with the currency where this layout puts it."""
        return self.pattern.format(self.number(value))

    def rate(self, rate: Decimal) -> str:
        """Return a VAT rate such as ``5,5 %``, ``20%`` or ``20,00``."""
        if self.rate_places is not None:
            return self.number(rate, self.rate_places) + self.rate_suffix
        return self.quantity(rate) + self.rate_suffix

    def quantity(self, value: Decimal) -> str:
        """Return a quantity without trailing zeros (``3``, ``7,5``)."""
        if value == value.to_integral_value():
            return str(int(value))
        return format(value.normalize(), "f").replace(".", self.decimal_mark)


FORMATS: dict[LayoutName, Formats] = {
    "fr-classic": Formats(date_numeric, " ", ",", "{} €", " %"),
    "fr-letter": Formats(date_french_long, " ", ",", "{} €", " %"),
    "fr-boxed": Formats(date_numeric, " ", ",", "{}", "", rate_places=2),
    "en-modern": Formats(date_english_short, ",", ".", "€{}", "%"),
    "en-ledger": Formats(date_iso, ",", ".", "{} EUR", "%"),
    "de-standard": Formats(date_german, ".", ",", "{} €", " %"),
}
# Belgian sellers group thousands with a dot, as their accounting software does.
BELGIAN_LETTER_FORMATS = replace(FORMATS["fr-letter"], thousands=".")


def formats_for(invoice: Invoice) -> Formats:
    """Return the formats the invoice's layout uses for its seller."""
    if invoice.layout == "fr-letter" and invoice.seller.country == "BE":
        return BELGIAN_LETTER_FORMATS
    return FORMATS[invoice.layout]


def format_siret(siret: str) -> str:
    """Return a SIRET as printed: ``732 829 320 00074``."""
    return f"{siret[:3]} {siret[3:6]} {siret[6:9]} {siret[9:]}"


def format_vat_id(vat_id: str) -> str:
    """Return a VAT number as its country prints it (``FR 44 732829320``, ``GB 123 4567 89``)."""
    country, body = vat_id[:2], vat_id[2:]
    if country == "FR":
        return f"FR {body[:2]} {body[2:]}"
    if country == "GB":
        return f"GB {body[:3]} {body[3:7]} {body[7:]}"
    if country == "BE":
        return f"BE {body[:4]}.{body[4:7]}.{body[7:]}"
    return vat_id


COUNTRY_NAMES: dict[str, dict[str, str]] = {
    "fr": {"FR": "France", "GB": "Royaume-Uni", "DE": "Allemagne", "BE": "Belgique"},
    "en": {"FR": "France", "GB": "United Kingdom", "DE": "Germany", "BE": "Belgium"},
    "de": {"FR": "Frankreich", "GB": "Großbritannien", "DE": "Deutschland", "BE": "Belgien"},
}


# ----------------------------------------------------------------------------------------
# Legal mentions
# ----------------------------------------------------------------------------------------


def french_legal_terms(invoice: Invoice) -> str:
    """Return the payment terms and late-payment mentions French law requires."""
    return (
        f"Conditions de paiement : {invoice.payment_days} jours date de facture, par virement. "
        "Pas d'escompte pour paiement anticipé. En cas de retard de paiement, des pénalités "
        f"au taux annuel de {invoice.penalty_rate} % seront exigibles, ainsi qu'une indemnité "
        "forfaitaire pour frais de recouvrement de 40 € (art. L441-10 et D441-5 du Code de "
        "commerce)."
    )


def belgian_legal_terms(invoice: Invoice) -> str:
    """Return the payment terms and late-payment mentions of a Belgian seller."""
    return (
        f"Conditions : paiement à {invoice.payment_days} jours par virement. Tout montant "
        "impayé à l'échéance porte de plein droit un intérêt de retard conformément à la loi "
        "du 2 août 2002 concernant la lutte contre le retard de paiement, ainsi qu'une "
        "indemnité forfaitaire de 40 €."
    )


def french_company_line(invoice: Invoice) -> str:
    """Return the French identity footer: legal form, capital, RCS, SIRET and VAT number."""
    seller, printed = invoice.seller, invoice.printed
    legal_form = seller.name.rsplit(" ", 1)[-1]
    capital = f"{seller.capital:,}".replace(",", " ")
    parts = [
        seller.name,
        f"{legal_form} au capital de {capital} €",
        seller.registration,
        f"SIRET {format_siret(printed.siret or '')}",
        f"N° TVA intracommunautaire {format_vat_id(printed.vat_id)}",
    ]
    return f" {EN_DASH} ".join(parts)


def belgian_company_line(invoice: Invoice) -> str:
    """Return the Belgian identity footer: registered office, RPM and VAT number."""
    seller = invoice.seller
    parts = [
        seller.name,
        f"Siège social : {seller.address.street}, {seller.address.city_line}",
        seller.registration,
        f"TVA {format_vat_id(invoice.printed.vat_id)}",
    ]
    return f" {EN_DASH} ".join(parts)


def english_legal_terms(invoice: Invoice) -> str:
    """Return the payment terms and late-payment mention of an English-language seller."""
    if invoice.seller.country == "FR":
        return (
            f"Payment terms: {invoice.payment_days} days from invoice date. No discount for "
            "early payment. Late payment: penalties at an annual rate of "
            f"{invoice.penalty_rate.replace(',', '.')}% plus a fixed recovery fee of €40 "
            "(French Commercial Code, art. L441-10)."
        )
    return (
        f"Payment terms: {invoice.payment_days} days from invoice date. Please quote invoice "
        f"{invoice.number} as the payment reference. We reserve the right to charge interest "
        "on late payments under the Late Payment of Commercial Debts (Interest) Act 1998."
    )


def english_company_line(invoice: Invoice) -> str:
    """Return the English-language identity footer."""
    seller, printed = invoice.seller, invoice.printed
    address = f"{seller.address.street}, {seller.address.city_line}"
    vat_id = format_vat_id(printed.vat_id)
    if seller.country == "FR":
        siret = format_siret(printed.siret or "")
        parts = [seller.name, seller.registration, f"SIRET {siret}", f"VAT No. {vat_id}", address]
    else:
        parts = [seller.name, seller.registration, f"Registered office: {address}"]
        parts.append(f"VAT Reg. No. {vat_id}")
    return " · ".join(parts)
