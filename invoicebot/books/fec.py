"""The FEC file (fichier des écritures comptables) and the same lines as a pandas table.

The layout is that of article A47 A-1 of the Livre des procédures fiscales (arrêté du 29
juillet 2013; BOI-CF-IOR-60-40-20): the 18 fields below in this order, their names on the
first line, one record per entry line, fields separated by a tab (the law allows a tab or
``|``), dates ``AAAAMMJJ``, amounts with a comma as decimal separator and no thousands
separator, Debit and Credit both given. Checked against the references listing the fields
and their formats: https://fec-expert.fr/format-fec-caracteristiques-remise/a47a1-lpf-forme-contenu-fec.html,
https://lecoursgratuit.com/fec-gabarit-des-colonnes-pcg-mode-demploi-operationnel and Sage
X3's FEC guide (tab separator, CR LF records). File name ``<SIREN>FEC<AAAAMMJJ>.txt``, the
date being the closing date of the period (e.g. Infor SunSystems' and Akuiteo's FEC guides).
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date
from decimal import Decimal
from pathlib import Path
from typing import TYPE_CHECKING

from invoicebot.books.entries import CENT, EntryLine

if TYPE_CHECKING:
    import pandas as pd

FEC_COLUMNS: tuple[str, ...] = (
    "JournalCode",
    "JournalLib",
    "EcritureNum",
    "EcritureDate",
    "CompteNum",
    "CompteLib",
    "CompAuxNum",
    "CompAuxLib",
    "PieceRef",
    "PieceDate",
    "EcritureLib",
    "Debit",
    "Credit",
    "EcritureLet",
    "DateLet",
    "ValidDate",
    "Montantdevise",
    "Idevise",
)
SEPARATOR = "\t"
# Records end with CR LF, as Sage X3's FEC guide describes them (ASCII 13 + ASCII 10).
RECORD_END = "\r\n"


def fec_date(value: date | None) -> str:
    """Return a date as the FEC writes it (``AAAAMMJJ``), empty for none."""
    return value.strftime("%Y%m%d") if value else ""


def fec_amount(value: Decimal | None) -> str:
    """Return an amount as the FEC writes it: two decimals, a comma, no thousands separator
    (``1234,56``); empty for none."""
    if value is None:
        return ""
    return format(value.quantize(CENT), "f").replace(".", ",")


def fec_record(line: EntryLine) -> list[str]:
    """Return one entry line's 18 fields as the FEC writes them, in the law's order."""
    return [
        line.journal_code,
        line.journal_label,
        line.entry_number,
        fec_date(line.entry_date),
        line.account,
        line.account_label,
        line.auxiliary_account,
        line.auxiliary_label,
        line.piece_ref,
        fec_date(line.piece_date),
        line.label,
        fec_amount(line.debit),
        fec_amount(line.credit),
        line.lettering,
        fec_date(line.lettering_date),
        fec_date(line.valid_date),
        fec_amount(line.currency_amount),
        line.currency_code,
    ]


def fec_text(lines: Sequence[EntryLine]) -> str:
    """Return the FEC file's text: the header, then one record per line."""
    records = [list(FEC_COLUMNS), *(fec_record(line) for line in lines)]
    return "".join(SEPARATOR.join(record) + RECORD_END for record in records)


def write_fec(path: Path, lines: Sequence[EntryLine]) -> None:
    """Write the FEC file (UTF-8, which the law admits beside ISO 8859-15)."""
    path.write_bytes(fec_text(lines).encode("utf-8"))


def fec_file_name(siren: str, closing: date) -> str:
    """Return the FEC's legal file name, ``<SIREN>FEC<AAAAMMJJ>.txt``."""
    return f"{siren}FEC{fec_date(closing)}.txt"


def entry_table(lines: Sequence[EntryLine]) -> pd.DataFrame:
    """Return the entry lines as a table with the FEC's 18 column names: dates as dates,
    amounts as exact decimals (a parquet decimal column, a dot in CSV)."""
    import pandas as pd

    rows = [
        (
            line.journal_code,
            line.journal_label,
            line.entry_number,
            line.entry_date,
            line.account,
            line.account_label,
            line.auxiliary_account,
            line.auxiliary_label,
            line.piece_ref,
            line.piece_date,
            line.label,
            line.debit.quantize(CENT),
            line.credit.quantize(CENT),
            line.lettering,
            line.lettering_date,
            line.valid_date,
            None if line.currency_amount is None else line.currency_amount.quantize(CENT),
            line.currency_code,
        )
        for line in lines
    ]
    return pd.DataFrame.from_records(rows, columns=list(FEC_COLUMNS))
