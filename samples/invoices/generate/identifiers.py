"""Identifiers: every number carries valid check digits unless a fault says otherwise."""

from __future__ import annotations

import random
from collections.abc import Callable
from dataclasses import dataclass

from stdnum import iban, luhn
from stdnum.be import vat as be_vat
from stdnum.de import vat as de_vat
from stdnum.fr import siren as fr_siren
from stdnum.fr import siret as fr_siret
from stdnum.fr import tva as fr_tva
from stdnum.gb import vat as gb_vat
from stdnum.iso7064 import mod_11_10

# ----------------------------------------------------------------------------------------
# Identifiers: every number carries valid check digits unless a fault says otherwise
# ----------------------------------------------------------------------------------------


def random_digits(rng: random.Random, count: int) -> str:
    """Return ``count`` random digits, the first one non-zero."""
    return str(rng.randint(1, 9)) + "".join(str(rng.randint(0, 9)) for _ in range(count - 1))


def make_siret(rng: random.Random) -> str:
    """Return a SIRET whose SIREN and establishment number both pass the Luhn check."""
    siren = random_digits(rng, 8)
    siren += luhn.calc_check_digit(siren)
    establishment = f"{siren}000{rng.randint(1, 9)}"
    return establishment + luhn.calc_check_digit(establishment)


def french_vat_id(siret: str) -> str:
    """Return the French VAT number of a SIRET's SIREN (key = (12 + 3 * SIREN) mod 97)."""
    return "FR" + fr_siren.to_tva(fr_siret.to_siren(siret))


def make_gb_vat_id(rng: random.Random) -> str:
    """Return a UK VAT number whose last two digits make the weighted sum a multiple of 97."""
    body = random_digits(rng, 7)
    weighted = sum(weight * int(digit) for weight, digit in zip(range(8, 1, -1), body, strict=True))
    return f"GB{body}{-weighted % 97:02d}"


def make_de_vat_id(rng: random.Random) -> str:
    """Return a German USt-IdNr. with its ISO 7064 mod 11,10 check digit."""
    body = random_digits(rng, 8)
    return f"DE{body}{mod_11_10.calc_check_digit(body)}"


def make_be_vat_id(rng: random.Random) -> str:
    """Return a Belgian enterprise/VAT number (the check is 97 - body mod 97)."""
    body = "0" + random_digits(rng, 7)
    return f"BE{body}{97 - int(body) % 97:02d}"


def make_vat_id(country: str, rng: random.Random, siret: str | None) -> str:
    """Return a valid VAT number for a party of ``country`` (French ones from the SIREN)."""
    if country == "FR" and siret is not None:
        return french_vat_id(siret)
    makers: dict[str, Callable[[random.Random], str]] = {
        "GB": make_gb_vat_id,
        "DE": make_de_vat_id,
        "BE": make_be_vat_id,
    }
    return makers[country](rng)


def is_valid_vat_id(vat_id: str) -> bool:
    """Return True when a compact VAT number passes its country's check."""
    validators: dict[str, Callable[[str], bool]] = {
        "FR": fr_tva.is_valid,
        "GB": gb_vat.is_valid,
        "DE": de_vat.is_valid,
        "BE": be_vat.is_valid,
    }
    return validators[vat_id[:2]](vat_id)


@dataclass(frozen=True)
class Bank:
    """A bank a seller may hold its account with."""

    name: str
    code: str
    bic: str


BANKS: dict[str, tuple[Bank, ...]] = {
    "FR": (
        Bank("BNP Paribas", "30004", "BNPAFRPPXXX"),
        Bank("Société Générale", "30003", "SOGEFRPPXXX"),
        Bank("Crédit Agricole", "18206", "AGRIFRPP882"),
        Bank("La Banque Postale", "20041", "PSSTFRPPPAR"),
    ),
    "GB": (
        Bank("NatWest", "NWBK", "NWBKGB2L"),
        Bank("Barclays", "BARC", "BARCGB22"),
        Bank("Lloyds Bank", "LOYD", "LOYDGB2L"),
    ),
    "DE": (
        Bank("Stadtsparkasse München", "70150000", "SSKMDEMMXXX"),
        Bank("Hamburger Sparkasse", "20050550", "HASPDEHHXXX"),
        Bank("Commerzbank", "37040044", "COBADEFFXXX"),
    ),
    "BE": (
        Bank("BNP Paribas Fortis", "001", "GEBABEBB"),
        Bank("ING Belgique", "310", "BBRUBEBB"),
        Bank("KBC Bank", "734", "KREDBEBB"),
    ),
}


def french_rib_key(bank: str, branch: str, account: str) -> str:
    """Return the two-digit RIB key of a French account (97 - weighted sum mod 97)."""
    return f"{97 - (89 * int(bank) + 15 * int(branch) + 3 * int(account)) % 97:02d}"


def make_bban(country: str, bank: Bank, rng: random.Random) -> str:
    """Return a national account number (BBAN) with its national check where there is one."""
    if country == "FR":
        branch, account = f"{rng.randint(0, 99999):05d}", f"{rng.randint(0, 10**11 - 1):011d}"
        return bank.code + branch + account + french_rib_key(bank.code, branch, account)
    if country == "GB":
        return bank.code + f"{rng.randint(100000, 999999)}{rng.randint(0, 10**8 - 1):08d}"
    if country == "DE":
        return bank.code + f"{rng.randint(0, 10**10 - 1):010d}"
    body = bank.code + f"{rng.randint(0, 10**7 - 1):07d}"
    return body + f"{int(body) % 97 or 97:02d}"


def make_iban(country: str, bank: Bank, rng: random.Random) -> str:
    """Return a compact IBAN with valid ISO 7064 mod 97 check digits."""
    bban = make_bban(country, bank, rng)
    return country + iban.calc_check_digits(f"{country}00{bban}") + bban


def grouped(value: str, size: int = 4) -> str:
    """Return ``value`` split into space-separated groups of ``size`` (how IBANs are printed)."""
    return " ".join(value[i : i + size] for i in range(0, len(value), size))


def corrupt_digit(value: str, position: int, is_valid: Callable[[str], bool]) -> str:
    """Return ``value`` with the digit at ``position`` changed so that ``is_valid`` fails."""
    original = int(value[position])
    for step in range(1, 10):
        candidate = value[:position] + str((original + step) % 10) + value[position + 1 :]
        if not is_valid(candidate):
            return candidate
    raise ValueError(f"no single-digit change of {value} at {position} breaks its check")


def transpose_digits(value: str, is_valid: Callable[[str], bool]) -> str:
    """Return ``value`` with two adjacent different digits swapped (a typist's slip)."""
    for i in range(len(value) - 2, 4, -1):
        a, b = value[i], value[i + 1]
        if a != b and a.isdigit() and b.isdigit():
            candidate = value[:i] + b + a + value[i + 2 :]
            if not is_valid(candidate):
                return candidate
    raise ValueError(f"no transposition breaks the check of {value}")
