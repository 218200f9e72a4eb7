"""Masking of bank details: the one definition every layer uses (no I/O, no Prefect).

A masked IBAN keeps its country, its check digits and its last four characters
(``FR7630004730664096567606071`` -> ``FR76…6071``): enough to tell two accounts apart and
to recognise the supplier's usual one, not enough to pay into it. The full value stays in
the store (the invoice, the vendor master, the rule results' compared values) and on the
decision form of a bank-detail exception, where the operator must read it out to the
supplier; logs, rule messages, Prefect artifacts, form descriptions, quarantine reason
files and events carry only masked values.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Callable, Mapping
from typing import Any

from invoicebot.model import compact

ELLIPSIS = "…"

# Countries of the IBAN registry (SWIFT's, as python-stdnum ships it in iban.dat).
_IBAN_COUNTRY_CODES = (
    "AD AE AL AT AZ BA BE BG BH BI BR BY CH CR CY CZ DE DJ DK DO EE EG ES FI FK FO FR GB GE "
    "GI GL GR GT HN HR HU IE IL IQ IS IT JO KW KZ LB LC LI LT LU LV LY MC MD ME MK MN MR MT "
    "MU NI NL NO OM PK PL PS PT QA RO RS RU SA SC SD SE SI SK SM SO ST SV TL TN TR UA VA VG "
    "XK YE"
)
IBAN_COUNTRIES = frozenset(_IBAN_COUNTRY_CODES.split())

# An IBAN in running text: country, check digits, then 11-30 capitals or digits, written
# compact or in groups of four separated by one space (``FR76 3000 4730 ...``). Validity is
# not required: a misread or forged IBAN is masked all the same.
IBAN_IN_TEXT = re.compile(
    r"(?<![A-Za-z0-9])([A-Z]{2})(\d{2})"
    r"((?: [A-Z0-9]{4}){2,8}(?: [A-Z0-9]{1,3})?|[A-Z0-9]{11,30})(?![A-Za-z0-9])"
)
# Shortest IBAN (Norway): 15 characters.
IBAN_MIN_LENGTH = 15

# Keys whose values are bank details, in a mapping (the contract's fields, rule values).
IBAN_KEYS = re.compile(r"iban", re.IGNORECASE)
BIC_KEYS = re.compile(r"(^|_)(bic|swift)", re.IGNORECASE)
ACCOUNT_KEYS = re.compile(r"account|rib|bban", re.IGNORECASE)


def mask_iban(value: str) -> str:
    """Return an IBAN masked to its country, check digits and last four characters."""
    compacted = compact(value)
    if len(compacted) <= 8:
        return mask_account(compacted)
    return f"{compacted[:4]}{ELLIPSIS}{compacted[-4:]}"


def mask_bic(value: str) -> str:
    """Return a BIC masked to its country and last four characters (``FR…PXXX``)."""
    compacted = compact(value)
    if len(compacted) < 8:
        return mask_account(compacted)
    return f"{compacted[4:6]}{ELLIPSIS}{compacted[-4:]}"


def mask_account(value: str) -> str:
    """Return an account number (or any bank identifier) masked to its last four characters."""
    compacted = compact(value)
    if len(compacted) <= 4:
        return ELLIPSIS
    return f"{ELLIPSIS}{compacted[-4:]}"


def _masked_match(match: re.Match[str]) -> str:
    if match.group(1) not in IBAN_COUNTRIES or len(compact(match.group(0))) < IBAN_MIN_LENGTH:
        return match.group(0)
    return mask_iban(match.group(0))


def mask_text(text: str) -> str:
    """Return ``text`` with every IBAN in it masked (``FR76…6071``)."""
    return IBAN_IN_TEXT.sub(_masked_match, text)


def contains_iban(text: str) -> bool:
    """Return True when ``text`` holds an IBAN in clear."""
    return mask_text(text) != text


def _masker_for_key(key: str) -> Callable[[str], str]:
    if IBAN_KEYS.search(key):
        return mask_iban
    if BIC_KEYS.search(key):
        return mask_bic
    if ACCOUNT_KEYS.search(key):
        return mask_account
    return mask_text


def mask_values(value: Any, *, key: str = "") -> Any:
    """Return a copy of JSON-like ``value`` with bank details masked: the values of keys that
    name an IBAN, a BIC or an account, and IBANs anywhere in its strings."""
    if isinstance(value, Mapping):
        return {name: mask_values(item, key=str(name)) for name, item in value.items()}
    if isinstance(value, list | tuple):
        return [mask_values(item, key=key) for item in value]
    if isinstance(value, str):
        masker = _masker_for_key(key)
        if not value or masker is mask_text:
            return mask_text(value)
        if masker is mask_iban and contains_iban(value):
            # One IBAN, or several in one string ("FR76..., DE89..."): each masked.
            return mask_text(value)
        return masker(value)
    return value


class _MaskingRecordFactory:
    """Wraps the logging record factory so that no log record carries an IBAN in clear."""

    def __init__(self, wrapped: Callable[..., logging.LogRecord]) -> None:
        self.wrapped = wrapped

    def __call__(self, *args: Any, **kwargs: Any) -> logging.LogRecord:
        record = self.wrapped(*args, **kwargs)
        try:
            message = record.getMessage()
        except (TypeError, ValueError):
            # A malformed call: logging reports it itself when the record is handled.
            return record
        masked = mask_text(message)
        if masked != message:
            record.msg, record.args = masked, ()
        return record


def install_log_masking() -> None:
    """Mask IBANs in every log record of this process, whatever logger or handler takes it
    (Prefect's API log handler included). Idempotent."""
    factory = logging.getLogRecordFactory()
    if not isinstance(factory, _MaskingRecordFactory):
        logging.setLogRecordFactory(_MaskingRecordFactory(factory))
