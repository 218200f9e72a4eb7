"""What a compact identifier printed on an invoice is: an IBAN, a VAT number, a SIRET or a
SIREN, told by its shape and check digits (python-stdnum).

One definition for the label-based finder and the learned reader alike.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from enum import StrEnum
from itertools import product

from stdnum import iban as stdnum_iban
from stdnum import numdb
from stdnum.ch import vat as stdnum_ch_vat
from stdnum.eu import vat as stdnum_vat
from stdnum.exceptions import InvalidChecksum, ValidationError
from stdnum.fr import siren as stdnum_siren
from stdnum.fr import siret as stdnum_siret
from stdnum.gb import vat as stdnum_gb_vat

from extractors.labels import COUNTRY_CODES_WITH_VAT

IBAN_START = re.compile(r"^[A-Z]{2}\d{2}")
# Characters OCR reads for one another: where a format needs a digit or a letter, the
# look-alike is set right ("DES3 2005..." is DE53, "NLO9 ABNA..." is NL09).
_AS_DIGIT = str.maketrans("ODQoIl|iZzSsGBgq", "0000111122556899")
_AS_LETTER = str.maketrans("015286", "OISZBG")
# Look-alikes that may stand for more than one digit: "NLS1 INGB..." is NL81, not NL51.
_OTHER_DIGITS = {"S": "8", "s": "8", "B": "3", "Z": "7", "G": "9"}
# At most this many characters are set right: each repair is one more chance that check
# digits hold by accident (1 in 97 for an IBAN, 1 in 10 for a SIRET).
MAX_OCR_REPAIRS = 2
_IBAN_STRUCTURE = re.compile(r"(\d+)!([nac])")
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


def read_identifier(text: str, *, ocr: bool = False) -> tuple[str, IdentifierShape] | None:
    """Return the compact ``text`` as the identifier it is, with its shape, or None.

    Read by OCR (``ocr``), a text that is no valid identifier is read again with the
    look-alike characters set right where its format needs a digit or a letter; the
    repaired text is kept only when its check digits then hold, it changes at most
    ``MAX_OCR_REPAIRS`` characters, and of the digits a look-alike may stand for ("S": 5 or
    8) exactly one reading holds them.
    """
    shape = identifier_shape(text)
    if ocr and (shape is None or not shape.valid):
        for repaired in (_repaired_iban(text), _repaired_digits(text)):
            if repaired is None or repaired == text:
                continue
            if sum(a != b for a, b in zip(repaired, text, strict=True)) > MAX_OCR_REPAIRS:
                continue
            valid = {
                reading: fixed
                for reading in _readings(text, repaired)
                if (fixed := identifier_shape(reading)) is not None and fixed.valid
            }
            if len(valid) == 1:
                return next(iter(valid.items()))
        restored = _letter_restored(text)
        if restored is not None:
            return restored
    return None if shape is None else (text, shape)


def _readings(read: str, repaired: str) -> list[str]:
    """Return ``repaired`` and its variants with each repaired look-alike read as the other
    digit it may stand for (``_OTHER_DIGITS``: "S" as 5 or 8)."""
    choices = [
        (fixed, _OTHER_DIGITS[seen]) if seen != fixed and seen in _OTHER_DIGITS else (fixed,)
        for seen, fixed in zip(read, repaired, strict=True)
    ]
    return ["".join(reading) for reading in product(*choices)]


def _letter_restored(read: str) -> tuple[str, IdentifierShape] | None:
    """Return the VAT number ``read`` is with its digits' look-alikes as digits and one
    digit read for the letter its format has there ("NL326842044896" for NL326842044B96,
    "NLSS9018757B99" for NL559018757B99, "ES835692383" for ESB35692383), where exactly one
    such letter makes it valid."""
    if not (VAT_START.match(read) and len(read) in VAT_LENGTHS):
        return None
    digits = _vat_digits(read)
    valid = []
    for index in range(2, len(digits)):
        letter = digits[index].translate(_AS_LETTER)
        if letter == digits[index]:
            continue
        restored = digits[:index] + letter + digits[index + 1 :]
        if sum(a != b for a, b in zip(restored, read, strict=True)) > MAX_OCR_REPAIRS:
            continue
        shape = identifier_shape(restored)
        if shape is not None and shape.valid:
            valid.append((restored, shape))
    return valid[0] if len(valid) == 1 else None


def _repaired_iban(text: str) -> str | None:
    """Return ``text`` with letters and digits as its country's IBAN format has them."""
    if len(text) < MIN_IBAN_LENGTH:
        return None
    country = text[:2].translate(_AS_LETTER)
    structure = numdb.get("iban").info(country)[0][1].get("bban")
    if not structure:
        return None
    parts = [country, text[2:4].translate(_AS_DIGIT)]
    position = 4
    for count, kind in _IBAN_STRUCTURE.findall(structure):
        piece = text[position : position + int(count)]
        position += int(count)
        if kind == "n":
            piece = piece.translate(_AS_DIGIT)
        elif kind == "a":
            piece = piece.translate(_AS_LETTER)
        parts.append(piece)
    return "".join(parts) if position == len(text) else None


def _repaired_digits(text: str) -> str | None:
    """Return ``text`` with its digits' look-alikes as digits: a SIRET, a SIREN, or the
    number of a VAT number after its country code ("DE1234S6789")."""
    if len(text) in (9, 14):
        return text.translate(_AS_DIGIT)
    if len(text) in VAT_LENGTHS and VAT_START.match(text):
        return _vat_digits(text)
    return None


def _vat_digits(text: str) -> str:
    """Return the VAT number ``text`` with the look-alikes after its country code as digits."""
    return text[:2] + text[2:].translate(_AS_DIGIT)
