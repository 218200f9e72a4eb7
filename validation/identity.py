"""Identifier helpers shared by the rules and the vendor master: check digits, SIREN, names."""

from __future__ import annotations

import re
import unicodedata
from functools import lru_cache

from stdnum import bic, get_cc_module, iban
from stdnum.exceptions import ValidationError
from stdnum.fr import siren as fr_siren

from invoicebot.model import InvoiceFields, invoice_number_key

# The one compaction of identifiers is a domain function; re-exported where the checks use it.
from invoicebot.model import compact as compact

# Legal forms left out when names are compared: "Bureau Plus SARL" is "Bureau Plus".
LEGAL_FORMS = frozenset(
    {
        "sa",
        "sas",
        "sasu",
        "sarl",
        "eurl",
        "sci",
        "snc",
        "scop",
        "selarl",
        "gie",
        "ei",
        "eirl",
        "gmbh",
        "ag",
        "kg",
        "ohg",
        "ug",
        "mbh",
        "ev",
        "co",
        "ltd",
        "limited",
        "plc",
        "llp",
        "llc",
        "inc",
        "corp",
        "srl",
        "sprl",
        "bv",
        "bvba",
        "nv",
        "spa",
        "sl",
        "scrl",
    }
)
# VAT numbers whose prefix is not the ISO country code.
VAT_PREFIX_COUNTRY = {"EL": "GR"}


def reference_key(value: str) -> str:
    """Return a document reference folded for comparison: ``PO-0042`` = ``po 0042``."""
    return invoice_number_key(value)


@lru_cache(maxsize=4096)
def vat_id_problem(vat_id: str) -> str | None:
    """Return why ``vat_id`` is not a valid VAT number, or None when it is."""
    country = vat_id[:2].lower()
    module = get_cc_module(country, "vat") if country.isalpha() else None
    if module is None:
        return f"no VAT number format is known for country code {vat_id[:2]!r}"
    try:
        module.validate(vat_id)
    except ValidationError as error:
        return str(error).lower().rstrip(".")
    return None


def is_valid_vat_id(vat_id: str) -> bool:
    """Return True when ``vat_id`` passes its country's check."""
    return vat_id_problem(vat_id) is None


@lru_cache(maxsize=4096)
def iban_problem(value: str) -> str | None:
    """Return why ``value`` is not a valid IBAN, or None when it is."""
    try:
        iban.validate(value)
    except ValidationError as error:
        return str(error).lower().rstrip(".")
    return None


def is_valid_iban(value: str) -> bool:
    """Return True when ``value`` is an IBAN with valid check digits."""
    return iban_problem(value) is None


@lru_cache(maxsize=4096)
def bic_problem(value: str) -> str | None:
    """Return why ``value`` is not a valid BIC (SWIFT code), or None when it is."""
    try:
        bic.validate(value)
    except ValidationError as error:
        return str(error).lower().rstrip(".")
    return None


def siren_of(siret_or_siren: str) -> str | None:
    """Return the SIREN a SIRET (or SIREN) starts with, when that SIREN is valid."""
    candidate = siret_or_siren[:9]
    if len(siret_or_siren) in (9, 14) and fr_siren.is_valid(candidate):
        return candidate
    return None


def french_vat_siren(vat_id: str) -> str | None:
    """Return the SIREN inside a French VAT number (``FR`` + 2-digit key + SIREN)."""
    if len(vat_id) == 13 and vat_id.startswith("FR") and vat_id[2:].isdigit():
        return vat_id[4:]
    return None


def vat_country(vat_id: str) -> str | None:
    """Return the ISO country code of a VAT number's prefix."""
    prefix = vat_id[:2].upper()
    if len(prefix) != 2 or not prefix.isalpha():
        return None
    return VAT_PREFIX_COUNTRY.get(prefix, prefix)


def seller_country(fields: InvoiceFields) -> str | None:
    """Return the seller's country: from its VAT number, else a SIRET (France), else its IBAN."""
    if fields.seller_vat_id:
        return vat_country(fields.seller_vat_id)
    if fields.seller_siret:
        return "FR"
    if fields.seller_iban and fields.seller_iban[:2].isalpha():
        return fields.seller_iban[:2].upper()
    return None


@lru_cache(maxsize=4096)
def fold_company_name(name: str) -> str:
    """Return a company name folded for fuzzy comparison: no case, accents, punctuation or
    legal form (``Papeterie Martin & Fils SAS`` -> ``papeterie martin fils``)."""
    decomposed = unicodedata.normalize("NFKD", name.casefold())
    plain = "".join(ch for ch in decomposed if not unicodedata.combining(ch))
    words = re.sub(r"[^0-9a-z]+", " ", plain).split()
    kept = [word for word in words if word not in LEGAL_FORMS]
    return " ".join(kept or words)
