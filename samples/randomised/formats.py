"""How values are printed: dates, amounts, currencies, rates, quantities and identifiers.

Fourteen date formats: twelve any family may use and two (``ymd_slash``, ``dmy_dot_short``)
that only validation families print, so a reader meets unseen date shapes when measured.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from decimal import Decimal

from samples.randomised.vocabulary import MONTHS, SHORT_MONTHS, WEEKDAYS, Language

SHARED_DATE_FORMATS: tuple[str, ...] = (
    "dmy_slash",  # 13/03/2026
    "dmy_dot",  # 13.03.2026
    "iso",  # 2026-03-13
    "long",  # 13 mars 2026, 13. März 2026, 13 de marzo de 2026, 13 March 2026
    "us_long",  # March 13, 2026
    "d_mon_y_dash",  # 13-Mar-2026
    "mdy_slash",  # 03/13/2026 (US)
    "dmy_slash_short",  # 13/03/26
    "mon_d_y",  # Mar 13 2026
    "d_mon_y",  # 13 Mar 2026
    "compact",  # 20260313
    "dmy_dash",  # 13-03-2026
    "weekday_long",  # Friday 13 March 2026
)
HELD_OUT_DATE_FORMATS: tuple[str, ...] = ("ymd_slash", "dmy_dot_short")  # 2026/03/13, 13.03.26
US_DATE_FORMATS: tuple[str, ...] = ("us_long", "mdy_slash", "mon_d_y")


def format_date(day: date, style: str, language: Language) -> str:
    """Return ``day`` printed in ``style``, month names in ``language``."""
    month, short = MONTHS[language][day.month - 1], SHORT_MONTHS[language][day.month - 1]
    en_short = SHORT_MONTHS["en"][day.month - 1]
    formats = {
        "dmy_slash": f"{day:%d/%m/%Y}",
        "dmy_dot": f"{day:%d.%m.%Y}",
        "iso": day.isoformat(),
        "long": _long_date(day, month, language),
        "us_long": f"{MONTHS['en'][day.month - 1]} {day.day}, {day.year}",
        "d_mon_y_dash": f"{day.day:02d}-{en_short}-{day.year}",
        "mdy_slash": f"{day:%m/%d/%Y}",
        "dmy_slash_short": f"{day:%d/%m/%y}",
        "mon_d_y": f"{en_short} {day.day} {day.year}",
        "d_mon_y": f"{day.day} {short} {day.year}",
        "compact": f"{day:%Y%m%d}",
        "dmy_dash": f"{day:%d-%m-%Y}",
        "weekday_long": f"{WEEKDAYS[language][day.weekday()]} {_long_date(day, month, language)}",
        "ymd_slash": f"{day:%Y/%m/%d}",
        "dmy_dot_short": f"{day:%d.%m.%y}",
    }
    return formats[style]


def _long_date(day: date, month: str, language: Language) -> str:
    if language == "de":
        return f"{day.day}. {month} {day.year}"
    if language == "es":
        return f"{day.day} de {month} de {day.year}"
    if language == "en":
        return f"{day.day} {month} {day.year}"
    if language == "fr" and day.day == 1:
        return f"1er {month} {day.year}"
    return f"{day.day} {month} {day.year}"


# name -> (thousands separator, decimal mark)
AMOUNT_FORMATS: dict[str, tuple[str, str]] = {
    "space_comma": (" ", ","),  # 1 234,56
    "dot_comma": (".", ","),  # 1.234,56
    "comma_dot": (",", "."),  # 1,234.56
    "plain_dot": ("", "."),  # 1234.56
    "apostrophe_dot": ("'", "."),  # 1'234.56
    "plain_comma": ("", ","),  # 1234,56
    "nbsp_comma": ("\u00a0", ","),  # 1 234,56 with a no-break space
}

CURRENCY_SYMBOLS: dict[str, str] = {"EUR": "€", "GBP": "£", "USD": "$", "CHF": "CHF"}
# How a family marks money: symbol or ISO code, before or after, or only on the totals.
CURRENCY_STYLES: tuple[str, ...] = (
    "symbol_after",
    "symbol_before",
    "code_after",
    "code_before",
    "totals_only_code",
    "header_only",
)


@dataclass(frozen=True)
class NumberStyle:
    """A family's way of printing numbers and money."""

    amount_format: str
    currency: str
    currency_style: str
    rate_style: str  # "plain" 20 %, "tight" 20%, "decimals" 20,00, "bare" 20
    quantity_decimals: bool  # 2,00 rather than 2

    @property
    def separators(self) -> tuple[str, str]:
        """Return the thousands separator and the decimal mark."""
        return AMOUNT_FORMATS[self.amount_format]

    def number(self, value: Decimal, places: int = 2) -> str:
        """Return ``value`` with this style's separators, no currency."""
        thousands, mark = self.separators
        sign = "-" if value < 0 else ""
        integer, _, fraction = f"{abs(value):,.{places}f}".partition(".")
        integer = integer.replace(",", thousands)
        return f"{sign}{integer}{mark}{fraction}" if places else f"{sign}{integer}"

    def money(self, value: Decimal, *, total: bool = False) -> str:
        """Return ``value`` as money, marked where this style marks it."""
        text = self.number(value)
        symbol = CURRENCY_SYMBOLS[self.currency]
        style = self.currency_style
        if style == "totals_only_code":
            return f"{text} {self.currency}" if total else text
        if style == "header_only":
            return text
        if style == "symbol_after":
            return f"{text} {symbol}"
        if style == "symbol_before":
            return f"{symbol} {text}" if symbol == "CHF" else f"{symbol}{text}"
        if style == "code_after":
            return f"{text} {self.currency}"
        return f"{self.currency} {text}"

    def rate(self, rate: Decimal) -> str:
        """Return a VAT rate: ``20 %``, ``5.5%``, ``20,00`` or ``20``."""
        _, mark = self.separators
        if self.rate_style == "decimals":
            return self.number(rate)
        plain = plain_decimal(rate).replace(".", mark)
        if self.rate_style == "plain":
            return f"{plain} %"
        if self.rate_style == "tight":
            return f"{plain}%"
        return plain

    def quantity(self, value: Decimal) -> str:
        """Return a quantity: ``3``, ``7,5`` or ``3,00``."""
        if self.quantity_decimals:
            return self.number(value)
        _, mark = self.separators
        return plain_decimal(value).replace(".", mark)


def plain_decimal(value: Decimal) -> str:
    """Return ``value`` without trailing zeros or exponent: ``20``, ``5.5``."""
    if value == value.to_integral_value():
        return str(int(value))
    return format(value.normalize(), "f")


def format_vat_id(vat_id: str, spaced: bool) -> str:
    """Return a VAT number compact or spaced as its country prints it."""
    if not spaced:
        return vat_id
    country, body = vat_id[:2], vat_id[2:]
    if country == "FR":
        return f"FR {body[:2]} {body[2:]}"
    if country == "GB":
        return f"GB {body[:3]} {body[3:7]} {body[7:]}"
    if country == "BE":
        return f"BE {body[:4]}.{body[4:7]}.{body[7:]}"
    if country == "CH":
        return f"CHE-{body[3:6]}.{body[6:9]}.{body[9:12]} MWST"
    return f"{country} {body}"


def format_siret(siret: str, spaced: bool) -> str:
    """Return a SIRET as ``732 829 320 00074`` or compact."""
    return f"{siret[:3]} {siret[3:6]} {siret[6:9]} {siret[9:]}" if spaced else siret


def format_iban(iban: str, spaced: bool) -> str:
    """Return an IBAN in groups of four or compact."""
    if not spaced:
        return iban
    return " ".join(iban[i : i + 4] for i in range(0, len(iban), 4))
