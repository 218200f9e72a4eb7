"""What a compact identifier printed on an invoice is: an IBAN, a VAT number, a SIRET or a
SIREN, told by its shape and check digits (python-stdnum).

One definition for the label-based finder and the learned reader alike.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from enum import StrEnum

from stdnum import iban as stdnum_iban
from stdnum.ch import vat as stdnum_ch_vat
from stdnum.eu import vat as stdnum_vat
from stdnum.exceptions import InvalidChecksum, ValidationError
from stdnum.fr import siren as stdnum_siren
from stdnum.fr import siret as stdnum_siret
from stdnum.gb import vat as stdnum_gb_vat

from extractors.labels import COUNTRY_CODES_WITH_VAT

IBAN_START = re.compile(r"^[A-Z]{2}\d{2}")
VAT_START = re.compile(r"^(?:[A-Z]{2}|EL)")
MIN_IBAN_LENGTH = 15
VAT_LENGTHS = range(8, 17)


class IdentifierType(StrEnum):
    IBAN = "iban"
    VAT = "vat"
    SIRET = "siret"
    SIREN = "siren"


@dataclass(frozen=True)
class IdentifierShape:
    """What an identifier is, and whether its check digits hold."""

    type: IdentifierType
    valid: bool


# VAT numbers outside the EU's VIES that invoices in Europe carry.
_VAT_VALIDATORS: dict[str, Callable[[str], str]] = {
    "GB": stdnum_gb_vat.validate,
    "CH": stdnum_ch_vat.validate,
}


def identifier_shape(text: str) -> IdentifierShape | None:
    """Return what the compact ``text`` is, or None when it is none of the four.

    A VAT number or a 14-digit SIRET whose only fault is its check digits is still one
    (with ``valid`` False), so that validation can report it rather than lose it; an IBAN
    or a 9-digit SIREN must hold its check digits, other numbers having those shapes.
    """
    if len(text) >= MIN_IBAN_LENGTH and IBAN_START.match(text) and stdnum_iban.is_valid(text):
        return IdentifierShape(IdentifierType.IBAN, True)
    if VAT_START.match(text) and text[:2] in COUNTRY_CODES_WITH_VAT and len(text) in VAT_LENGTHS:
        validate = _VAT_VALIDATORS.get(text[:2], stdnum_vat.validate)
        try:
            validate(text)
        except InvalidChecksum:
            return IdentifierShape(IdentifierType.VAT, False)
        except ValidationError:
            return None
        return IdentifierShape(IdentifierType.VAT, True)
    if text.isdigit() and len(text) == 14:
        return IdentifierShape(IdentifierType.SIRET, stdnum_siret.is_valid(text))
    if text.isdigit() and len(text) == 9 and stdnum_siren.is_valid(text):
        return IdentifierShape(IdentifierType.SIREN, True)
    return None
