"""``invoicebot export fec|csv|parquet|cii|facturx``: approved invoices for the books (the
purchase-journal entries) and as EN 16931 e-invoices (CII XML, Factur-X PDF/A-3)."""

from __future__ import annotations

import json
from datetime import date, datetime
from enum import StrEnum
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

from invoicebot.settings import Settings

if TYPE_CHECKING:
    from invoicebot.books.einvoices import EInvoiceExport, EInvoiceFormat
    from invoicebot.books.entries import Journal

export_app = typer.Typer(
    help="Approved invoices for the books: the FEC purchase journal, or its lines as tables; "
    "or as EN 16931 e-invoices: CII XML, Factur-X PDF/A-3.",
    no_args_is_help=True,
)

# Exit codes: 0 written; 1 written, but --strict and some invoices were left out; 2 bad usage,
# or what the export needs is missing (a SIREN to name the FEC file, Ghostscript for Factur-X):
# nothing written.
EXIT_SKIPPED = 1
EXIT_USAGE = 2


class TableFormat(StrEnum):
    """How the entry lines are written: the legal FEC text, or a table."""

    FEC = "fec"
    CSV = "csv"
    PARQUET = "parquet"


OutOption = Annotated[
    Path,
    typer.Option(
        "--out",
        help="file to write; a folder: <SIREN>FEC<AAAAMMJJ>.<ext> in it "
        "(needs INVOICEBOT_COMPANY_SIREN)",
    ),
]
SinceOption = Annotated[
    datetime | None,
    typer.Option(formats=["%Y-%m-%d"], help="first invoice date to export (inclusive)"),
]
UntilOption = Annotated[
    datetime | None,
    typer.Option(formats=["%Y-%m-%d"], help="last invoice date to export (inclusive)"),
]
JsonOption = Annotated[
    bool, typer.Option("--json", help="print what was written and what was left out as JSON")
]
StrictOption = Annotated[
    bool, typer.Option("--strict", help="exit 1 when an approved invoice could not be exported")
]


@export_app.command("fec")
def export_fec(
    out: OutOption,
    since: SinceOption = None,
    until: UntilOption = None,
    as_json: JsonOption = False,
    strict: StrictOption = False,
) -> None:
    """Write the FEC purchase journal (article A47 A-1 LPF): one balanced entry per approved
    invoice, 18 tab-separated columns."""
    _export(TableFormat.FEC, out, since, until, as_json=as_json, strict=strict)


@export_app.command("csv")
def export_csv(
    out: OutOption,
    since: SinceOption = None,
    until: UntilOption = None,
    as_json: JsonOption = False,
    strict: StrictOption = False,
) -> None:
    """Write the same entry lines as a CSV table (ISO dates, dot decimals)."""
    _export(TableFormat.CSV, out, since, until, as_json=as_json, strict=strict)


@export_app.command("parquet")
def export_parquet(
    out: OutOption,
    since: SinceOption = None,
    until: UntilOption = None,
    as_json: JsonOption = False,
    strict: StrictOption = False,
) -> None:
    """Write the same entry lines as a Parquet table (date and decimal columns)."""
    _export(TableFormat.PARQUET, out, since, until, as_json=as_json, strict=strict)


FolderOption = Annotated[
    Path, typer.Option("--out", help="folder to write one file per invoice into (made if missing)")
]


@export_app.command("cii")
def export_cii(
    out: FolderOption,
    since: SinceOption = None,
    until: UntilOption = None,
    as_json: JsonOption = False,
    strict: StrictOption = False,
) -> None:
    """Write one UN/CEFACT CII XML (EN 16931, Factur-X EN16931 profile) per approved invoice,
    each checked with the official rules first; invoices lacking a mandatory business term
    are listed with the missing BT ids instead."""
    from invoicebot.books.einvoices import EInvoiceFormat

    _export_einvoices(EInvoiceFormat.CII, out, since, until, as_json=as_json, strict=strict)


@export_app.command("facturx")
def export_facturx(
    out: FolderOption,
    since: SinceOption = None,
    until: UntilOption = None,
    as_json: JsonOption = False,
    strict: StrictOption = False,
) -> None:
    """Write each approved invoice's archived PDF (a photo made a PDF), made PDF/A-3b by
    Ghostscript, with its CII XML embedded, as a Factur-X (EN16931 profile), checked with the
    official rules and our PDF/A-3 checks. Needs Ghostscript (gs): without it, exit 2."""
    from invoicebot.books.einvoices import EInvoiceFormat

    _export_einvoices(EInvoiceFormat.FACTURX, out, since, until, as_json=as_json, strict=strict)


def _export_einvoices(
    kind: EInvoiceFormat,
    out: Path,
    since: datetime | None,
    until: datetime | None,
    *,
    as_json: bool,
    strict: bool,
) -> None:
    from sqlmodel import Session

    from invoicebot.books.einvoices import EInvoiceFormat, export_einvoices
    from invoicebot.books.pdfa import GhostscriptMissingError, find_ghostscript
    from invoicebot.store.books import approved_for_einvoices
    from invoicebot.store.engine import shared_engine

    settings = Settings()
    first, last = _period(since, until)
    if out.exists() and not out.is_dir():
        typer.echo(f"{out} is a file: --out is the folder the e-invoices go into", err=True)
        raise typer.Exit(EXIT_USAGE)
    if kind is EInvoiceFormat.FACTURX:
        try:
            find_ghostscript()
        except GhostscriptMissingError as error:
            typer.echo(str(error), err=True)
            raise typer.Exit(EXIT_USAGE) from error
    with Session(shared_engine(settings.resolved_database_url)) as session:
        sources = approved_for_einvoices(session, since=first, until=last)
    export = export_einvoices(sources, out, kind, buyer_country=settings.buyer_country())
    _report_einvoices(export, as_json=as_json)
    if strict and export.not_exported:
        raise typer.Exit(EXIT_SKIPPED)


def _report_einvoices(export: EInvoiceExport, *, as_json: bool) -> None:
    """Print the invoices left out on stderr, then the summary (JSON with ``--json``)."""
    for left in export.not_exported:
        terms = f" [missing {', '.join(left.missing_terms)}]" if left.missing_terms else ""
        rules = f" [fails {', '.join(left.failed_rules)}]" if left.failed_rules else ""
        pdfa = (
            f" [fails PDF/A-3 {', '.join(left.failed_pdfa_checks)}]"
            if left.failed_pdfa_checks
            else ""
        )
        typer.echo(
            f"not exported: invoice {left.invoice_id} ({left.invoice_number or 'no number'})"
            f"{terms}{rules}{pdfa}: {'; '.join(left.reasons)}",
            err=True,
        )
    if as_json:
        typer.echo(export.model_dump_json())
        return
    unchanged = sum(1 for written in export.written if written.unchanged)
    french = sum(1 for written in export.written if written.french_ctc_rules)
    typer.echo(
        f"Wrote {len(export.written)} {export.format.value} file(s) to {export.out} "
        f"({unchanged} unchanged); {len(export.not_exported)} approved invoice(s) not exported."
        + (
            f" {french} file(s) lack what the French CTC rules (BR-FR) ask for: see --json."
            if french
            else ""
        )
    )


def _period(since: datetime | None, until: datetime | None) -> tuple[date | None, date | None]:
    """Return the export's first and last invoice dates; refuse a period that ends first."""
    first = since.date() if since else None
    last = until.date() if until else None
    if first and last and first > last:
        raise typer.BadParameter("--since is after --until", param_hint="--since")
    return first, last


def _export(
    kind: TableFormat,
    out: Path,
    since: datetime | None,
    until: datetime | None,
    *,
    as_json: bool,
    strict: bool,
) -> None:
    from sqlmodel import Session

    from invoicebot.books.entries import build_journal
    from invoicebot.books.fec import entry_table, write_fec
    from invoicebot.store.books import approved_for_books
    from invoicebot.store.engine import shared_engine

    settings = Settings()
    first, last = _period(since, until)
    if out.is_dir() and settings.company_siren is None:
        typer.echo(
            f"{out} is a folder: set INVOICEBOT_COMPANY_SIREN to name the file "
            "<SIREN>FEC<AAAAMMJJ>, or give --out FILE",
            err=True,
        )
        raise typer.Exit(EXIT_USAGE)
    with Session(shared_engine(settings.resolved_database_url)) as session:
        invoices = approved_for_books(session, since=first, until=last)
    journal = build_journal(invoices, settings.book_accounts())
    path = _target(out, kind, settings.company_siren, journal, last)
    if kind is TableFormat.FEC:
        write_fec(path, journal.lines)
    elif kind is TableFormat.CSV:
        entry_table(journal.lines).to_csv(path, index=False)
    else:
        entry_table(journal.lines).to_parquet(path, index=False)
    for skipped in journal.skipped:
        typer.echo(
            f"not exported: invoice {skipped.invoice_id} ({skipped.invoice_number or 'no number'})"
            f": {'; '.join(skipped.reasons)}",
            err=True,
        )
    if as_json:
        summary = {
            "path": str(path),
            "format": kind.value,
            "entries": len(journal.entries),
            "lines": len(journal.lines),
            "skipped": [skipped.model_dump(mode="json") for skipped in journal.skipped],
        }
        typer.echo(json.dumps(summary, ensure_ascii=False))
    else:
        typer.echo(
            f"Wrote {len(journal.entries)} entries ({len(journal.lines)} lines) to {path}; "
            f"{len(journal.skipped)} approved invoice(s) not exported."
        )
    if strict and journal.skipped:
        raise typer.Exit(EXIT_SKIPPED)


def _target(
    out: Path, kind: TableFormat, siren: str | None, journal: Journal, until: date | None
) -> Path:
    """Return the file to write: ``out``, or in the folder ``out`` the legal name, dated the
    period's last day (``--until``, else the last entry's date, else today)."""
    from invoicebot.books.fec import fec_file_name

    if not out.is_dir():
        return out
    assert siren is not None  # refused before
    dates = [line.entry_date for line in journal.lines]
    closing = until or (max(dates) if dates else date.today())
    name = fec_file_name(siren, closing)
    suffix = {TableFormat.FEC: ".txt", TableFormat.CSV: ".csv", TableFormat.PARQUET: ".parquet"}
    return out / Path(name).with_suffix(suffix[kind]).name
