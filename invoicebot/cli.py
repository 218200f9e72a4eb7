"""The ``invoicebot`` command (Typer + rich): demo, extract, run, samples, rules, master data."""

from __future__ import annotations

import json
import os
import shutil
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer
from rich.console import Console
from rich.table import Table

from invoicebot.export_cli import export_app
from invoicebot.lifecycle_cli import lifecycle_app
from invoicebot.model import BatchSummary, DocumentType, InvoiceOutcome, InvoiceStatus
from invoicebot.retention_cli import erase, purge
from invoicebot.review_cli import review_app
from invoicebot.settings import Settings
from invoicebot.steps_cli import steps

if TYPE_CHECKING:
    from invoicebot.kpis import KpiReport


class _Command(typer.Typer):
    """The command; a store whose schema this version cannot use ends it with one line that
    says what to do (``invoicebot db upgrade``), not a traceback."""

    def __call__(self, *args: Any, **kwargs: Any) -> Any:
        from invoicebot.store.schema import StoreSchemaError

        try:
            return super().__call__(*args, **kwargs)
        except StoreSchemaError as error:
            console.print(f"[red]{error}[/]")
            raise SystemExit(1) from error


app = _Command(
    help="invoicebot: accounts-payable invoice processing on Prefect.",
    no_args_is_help=True,
    add_completion=False,
)
console = Console(stderr=True)

# Files taken when a folder is given to `extract`: documents, not the JSON beside them.
DOCUMENT_SUFFIXES = frozenset({".pdf", ".png", ".jpg", ".jpeg", ".tif", ".tiff", ".xml"})

# The ephemeral Prefect server takes 15-20 s to start on a fresh PREFECT_HOME (migrations):
# more than Prefect's default limit of 20 s on a loaded 2-core machine.
EPHEMERAL_STARTUP_TIMEOUT_S = "90"


@app.command()
def extract(
    paths: Annotated[list[Path], typer.Argument(help="documents, or folders of documents")],
    as_json_lines: Annotated[
        bool, typer.Option("--json", help="one compact JSON object per line")
    ] = False,
    read_page: Annotated[
        bool, typer.Option("--read-page", help="read the page even when an XML is embedded")
    ] = False,
    templates: Annotated[
        Path | None,
        typer.Option(
            "--templates",
            help="folder of invoice2data supplier templates (default: INVOICEBOT_TEMPLATES_DIR)",
        ),
    ] = None,
) -> None:
    """Read documents and print one extraction result per invoice (no database): a PDF
    holding several invoices gives one result each, with its page_range."""
    from extractors import extract_invoices
    from extractors.templates import TemplateError
    from invoicebot.pipeline import extract_options

    documents = _expand_documents(paths)
    settings = Settings()
    if templates is not None:
        settings = settings.model_copy(update={"templates_dir": templates})
    try:
        options = extract_options(settings, read_page=read_page)
    except TemplateError as error:  # a bad template is bad usage: say so before reading
        raise typer.BadParameter(str(error), param_hint="--templates") from error
    for document in documents:
        for invoice in extract_invoices(document, options):
            result = invoice.to_contract()
            if as_json_lines:
                typer.echo(json.dumps(result, ensure_ascii=False))
            else:
                typer.echo(json.dumps(result, ensure_ascii=False, indent=2))


@app.command()
def validate(
    files: Annotated[list[Path], typer.Argument(help="e-invoices: CII / UBL XML, Factur-X PDFs")],
    as_json_lines: Annotated[
        bool, typer.Option("--json", help="one compact JSON object per file")
    ] = False,
) -> None:
    """Check e-invoices against the official XSD and schematron of their syntax and profile
    (EN 16931, Factur-X / ZUGFeRD profiles) and, where the seller or buyer is French, the
    French CTC rules (BR-FR). Exit 0 when all are valid, 1 when one is invalid, 2 when one
    cannot be read or is not an e-invoice."""
    from validation.official import NotAnEInvoiceError, validate_file

    exit_code = 0
    for path in files:
        try:
            report = validate_file(path)
        except NotAnEInvoiceError as error:
            exit_code = 2
            if as_json_lines:
                unreadable = {"file": str(path), "syntax": None, "profile": None, "valid": None}
                typer.echo(json.dumps({**unreadable, "failures": [], "error": error.reason}))
            typer.echo(f"{path}: not validated: {error.reason}", err=True)
            continue
        if not report.valid:
            exit_code = max(exit_code, 1)
        if as_json_lines:
            typer.echo(json.dumps(report.model_dump(mode="json"), ensure_ascii=False))
            continue
        state = "valid" if report.valid else "INVALID"
        typer.echo(
            f"{path}: {state} ({report.syntax}, profile {report.profile}; "
            f"checked against {', '.join(report.checked)})"
        )
        for failure in report.failures:
            typer.echo(f"  {failure.flag.value:7} {failure.rule_id}  at {failure.location}")
            typer.echo(f"          {failure.text}")
    raise typer.Exit(exit_code)


def _expand_documents(paths: list[Path]) -> list[Path]:
    documents: list[Path] = []
    for path in paths:
        if path.is_dir():
            documents += sorted(
                p for p in path.iterdir() if p.is_file() and p.suffix.lower() in DOCUMENT_SUFFIXES
            )
        elif path.is_file():
            documents.append(path)
        else:
            raise typer.BadParameter(f"no such file or folder: {path}", param_hint="PATHS")
    return documents


@app.command()
def run(
    inbox: Annotated[
        Path, typer.Option(help="folder of invoices to process", file_okay=False, exists=True)
    ],
    as_json: Annotated[
        bool, typer.Option("--json", help="print the batch summary as JSON")
    ] = False,
    batch_size: Annotated[
        int | None, typer.Option(help="process at most this many files", min=1)
    ] = None,
) -> None:
    """Run the process-inbox flow once over INBOX."""
    summary = _run_batch(inbox, batch_size)
    if as_json:
        typer.echo(summary.model_dump_json(indent=2))
        return
    _print_invoices(summary)
    _print_kpis(summary)


def _run_batch(inbox: Path, batch_size: int | None) -> BatchSummary:
    os.environ.setdefault(
        "PREFECT_SERVER_EPHEMERAL_STARTUP_TIMEOUT_SECONDS", EPHEMERAL_STARTUP_TIMEOUT_S
    )
    from extractors.isolation import shared_reader
    from flows.process_inbox import process_inbox

    if Settings().task_runner == "thread":
        # The reading processes' fork server warms up (imports, a made-up page: seconds of
        # one core) while the ephemeral Prefect server starts, not in the batch's time.
        shared_reader().start()
    return process_inbox(inbox=str(inbox.resolve()), batch_size=batch_size)


@app.command()
def requeue(
    ids: Annotated[
        list[int] | None, typer.Argument(help="ids of quarantined documents", show_default=False)
    ] = None,
    reason: Annotated[
        str | None,
        typer.Option(help="every quarantined document with this error code (e.g. timeout)"),
    ] = None,
    every: Annotated[bool, typer.Option("--all", help="every quarantined document")] = False,
    inbox: Annotated[
        Path | None,
        typer.Option(
            help="put the files here (default: the inbox each came from)", file_okay=False
        ),
    ] = None,
    operator: Annotated[
        str, typer.Option("--by", help="who requeues, for the audit (default: $USER)")
    ] = "",
) -> None:
    """Put quarantined documents back in the inbox, to be read afresh by the next run (audited)."""
    from invoicebot.requeue import ArchivedFileMissingError
    from invoicebot.requeue import requeue as requeue_documents
    from invoicebot.store.engine import shared_engine
    from invoicebot.store.retries import NotQuarantinedError

    if not ids and reason is None and not every:
        raise typer.BadParameter("name document ids, a --reason, or --all", param_hint="IDS")
    if every and (ids or reason is not None):
        raise typer.BadParameter("--all takes no ids and no --reason", param_hint="--all")
    who = operator or os.environ.get("USER") or "operator"
    try:
        done = requeue_documents(
            shared_engine(Settings().resolved_database_url),
            operator=who,
            ids=ids or None,
            reason=reason,
            inbox=inbox,
        )
    except (NotQuarantinedError, ArchivedFileMissingError) as error:
        console.print(f"[red]{error}[/]")
        raise typer.Exit(1) from error
    table = Table("document", "file", "was quarantined for", "back in")
    for item in done:
        table.add_row(
            str(item.document_id), item.file_name, item.error_code or "", str(item.moved_to)
        )
    Console().print(table)
    typer.echo(f"{len(done)} document(s) requeued by {who}: the next run reads them.")


@app.command()
def samples(
    out: Annotated[Path, typer.Option(help="folder to write the invoices into")] = Path(
        "sample-invoices"
    ),
    count: Annotated[int, typer.Option(help="how many documents", min=1)] = 40,
    seed: Annotated[int, typer.Option(help="the same seed gives the same files")] = 2026,
) -> None:
    """Write realistic sample invoices (text PDFs, scans, images) with their expected JSON."""
    from samples.invoices.generate import generate

    written = generate(out, count=count, seed=seed)
    console.print(f"Wrote {len(written)} sample invoices to {out}")


@app.command()
def train(
    simulated_cases: Annotated[
        int, typer.Option(help="simulated exception cases added to operators' decisions", min=0)
    ] = 10_000,
    seed: Annotated[int, typer.Option(help="seed of the simulator and the model")] = 0,
    as_json: Annotated[
        bool, typer.Option("--json", help="print the retraining summary as JSON")
    ] = False,
) -> None:
    """Retrain the exception resolution classifier (the retrain-classifier flow) and keep
    it only if it is at least as good as the current one on held-out cases."""
    os.environ.setdefault(
        "PREFECT_SERVER_EPHEMERAL_STARTUP_TIMEOUT_SECONDS", EPHEMERAL_STARTUP_TIMEOUT_S
    )
    from flows.train_classifier import retrain_classifier

    summary = retrain_classifier(simulated_cases=simulated_cases, seed=seed)
    if as_json:
        typer.echo(summary.model_dump_json(indent=2))
        return
    new = summary.new
    baseline = new.baseline_macro_f1 or 0.0
    console.print(
        f"[bold]{'Kept' if summary.kept else 'Discarded'}[/] the new model: held-out macro-F1 "
        f"{new.macro_f1:.3f} (rules-only baseline {baseline:.3f}, current "
        f"{f'{summary.current.macro_f1:.3f}' if summary.current else 'none'}), "
        f"ECE {new.ece:.3f}; {summary.cases} cases, {summary.operator_cases} from operators."
    )
    console.print(f"Model folder: {Settings().resolution_model_dir}")


@app.command()
def demo() -> None:
    """Make sample invoices, run the batch on them with the embedded defaults, show the KPIs."""
    from samples.invoices.generate import SAMPLES_REFERENCE_DATE, generate

    base = Settings()
    demo_dir = (base.data_dir / "demo").resolve()
    if demo_dir.exists():
        shutil.rmtree(demo_dir)
    inbox = demo_dir / "inbox"
    inbox.mkdir(parents=True)
    # The demo runs on the embedded defaults: an SQLite file and the archive in demo_dir.
    os.environ["INVOICEBOT_DATA_DIR"] = str(demo_dir)
    os.environ.pop("INVOICEBOT_DATABASE_URL", None)
    # The samples are dated around this day: date rules judge them as of then, not today.
    os.environ["INVOICEBOT_RULES_REFERENCE_DATE"] = SAMPLES_REFERENCE_DATE.isoformat()
    samples_dir = demo_dir / "samples"
    console.print(f"[bold]Generating sample invoices into[/] {samples_dir}")
    for document in generate(samples_dir, count=40, seed=2026):
        shutil.copy2(document, inbox / document.name)
    console.print("[bold]Importing the sample vendor master, purchase orders and receipts[/]")
    _import_master("vendors", samples_dir / "vendors.csv")
    _import_master("orders", samples_dir / "purchase_orders.csv")
    _import_master("receipts", samples_dir / "goods_receipts.csv")
    console.print("[bold]Running the process-inbox flow[/] (Prefect starts a local server)")
    summary = _run_batch(inbox, None)
    _print_invoices(summary)
    _print_kpis(summary)
    console.print(
        f"\nExpected fields: {samples_dir}   Archive: {demo_dir / 'archive'}   "
        f"Store: {demo_dir / 'invoicebot.db'}\n"
        "To see the run, its task runs and its artifacts (invoice table, KPIs) in the "
        "Prefect UI:\n  uv run prefect server start\nthen open http://127.0.0.1:4200/runs"
    )
    console.print(
        "Exceptions wait for an operator: with "
        f"INVOICEBOT_DATA_DIR={demo_dir}, `uv run invoicebot review list` shows them and "
        "`invoicebot review resolve` decides; `make serve` gives each its own review form "
        "in the Prefect UI (README, Operator guide)."
    )
    # The headline comes from the store, as `invoicebot report` computes it.
    kpis = _store_kpis(Settings(), since=datetime.now(UTC) - timedelta(days=1))
    console.print(
        "The KPI report with charts and the staffing forecast: "
        "uv run invoicebot report --html report.html"
    )
    Console().print(f"\n[bold green]{kpis.headline()}[/]")


def _print_invoices(summary: BatchSummary) -> None:
    table = Table(title=f"Batch {summary.run_id}: {summary.documents} documents")
    for column in ("file", "status", "number", "seller", "gross", "exceptions"):
        table.add_column(column, overflow="fold")
    styles = {
        InvoiceStatus.APPROVED: "green",
        InvoiceStatus.EXCEPTION: "yellow",
        InvoiceStatus.DUPLICATE: "blue",
        InvoiceStatus.QUARANTINED: "red",
    }
    for outcome in summary.invoices:
        pages = " (pages {}-{})".format(*outcome.page_range) if outcome.page_range else ""
        table.add_row(
            Path(outcome.source).name + pages,
            f"[{styles[outcome.status]}]{outcome.status.value}[/]",
            (outcome.invoice_number or "") + _kind_note(outcome),
            outcome.seller_name or "",
            str(outcome.total_gross) if outcome.total_gross is not None else "",
            "\n".join(f"{e.rule}: {e.message}" for e in outcome.exceptions),
        )
    Console().print(table)
    for failure in summary.failures:
        console.print(f"[red]failed, left in the inbox:[/] {failure.source}: {failure.error}")


def _kind_note(outcome: InvoiceOutcome) -> str:
    """Return what the number column adds for a document that is not a plain invoice."""
    if outcome.document_type is DocumentType.INVOICE:
        return ""
    kind = outcome.document_type.value.replace("_", " ")
    credited = outcome.preceding_invoice
    return f"\n({kind} of {credited.number})" if credited else f"\n({kind})"


def _print_kpis(summary: BatchSummary) -> None:
    kpis = summary.kpis
    table = Table(title="Batch KPIs")
    table.add_column("KPI")
    table.add_column("value", justify="right")
    table.add_row("Time saved vs manual keying", f"{kpis.time_saved_ratio:.0%}")
    table.add_row("Straight-through rate", f"{kpis.straight_through_rate:.1%}")
    table.add_row("Exception rate", f"{kpis.exception_rate:.1%}")
    table.add_row("Invoices per hour of machine time", f"{kpis.throughput_per_hour:,.0f}")
    Console().print(table)


@app.command()
def report(
    since: Annotated[
        datetime | None,
        typer.Option(
            formats=["%Y-%m-%d"], help="first day of the period (UTC); default: 30 days ago"
        ),
    ] = None,
    html_file: Annotated[
        Path | None, typer.Option("--html", help="write the HTML report here", dir_okay=False)
    ] = None,
    csv_file: Annotated[
        Path | None,
        typer.Option(
            "--csv", help="write the raw table (one row per invoice) here", dir_okay=False
        ),
    ] = None,
) -> None:
    """Print the KPIs of a period from the store; write the HTML report and the raw table."""
    from sqlmodel import Session

    from invoicebot.kpis import KpiParameters
    from invoicebot.report import build_report, invoice_table, render_html
    from invoicebot.store.engine import shared_engine

    settings = Settings()
    now = datetime.now(UTC)
    start = since.replace(tzinfo=UTC) if since else now - timedelta(days=30)
    with Session(shared_engine(_report_database_url(settings))) as session:
        content = build_report(
            session, since=start, now=now, parameters=KpiParameters.from_settings(settings)
        )
    _print_kpi_report(content.kpis)
    if html_file:
        html_file.write_text(render_html(content, generated_at=now), encoding="utf-8")
        console.print(f"Wrote the HTML report to {html_file}")
    if csv_file:
        invoice_table(content.documents).to_csv(csv_file, index=False)
        console.print(f"Wrote the invoice table to {csv_file}")


def _report_database_url(settings: Settings) -> str:
    """Return the store to report on: the configured one, or the demo's when only it exists
    (so that `make demo` then `invoicebot report` shows the demo's figures)."""
    default_file = settings.data_dir / "invoicebot.db"
    demo_file = settings.data_dir / "demo" / "invoicebot.db"
    if settings.database_url is None and not default_file.exists() and demo_file.exists():
        console.print(f"No store at {default_file}: reporting on the demo's, {demo_file}")
        return f"sqlite:///{demo_file.resolve()}"
    return settings.resolved_database_url


def _store_kpis(settings: Settings, *, since: datetime) -> KpiReport:
    """Return the KPIs of the documents the store received from ``since`` to now."""
    from sqlmodel import Session

    from invoicebot.kpis import KpiParameters, compute_kpis, read_snapshot
    from invoicebot.store.engine import shared_engine

    now = datetime.now(UTC)
    with Session(shared_engine(settings.resolved_database_url)) as session:
        snapshot = read_snapshot(session, start=since, end=now)
    return compute_kpis(snapshot, KpiParameters.from_settings(settings), now=now)


def _print_kpi_report(kpis: KpiReport) -> None:
    table = Table(title=f"KPIs, {kpis.period}")
    table.add_column("KPI")
    table.add_column("value", justify="right")
    table.add_column("counts", overflow="fold")
    for figure in kpis.figures:
        table.add_row(figure.label, figure.formatted(), figure.basis)
    Console().print(table)
    Console().print(f"[bold green]{kpis.headline()}[/]")


@app.command()
def rules(
    markdown: Annotated[
        bool, typer.Option("--markdown", help="print the operator catalogue (docs/rules.md)")
    ] = False,
    config: Annotated[
        Path | None,
        typer.Option(
            help="check this rule configuration (YAML) and show what it enables",
            dir_okay=False,
        ),
    ] = None,
) -> None:
    """List every business rule: id, category, severity and what it checks."""
    from validation import RuleConfig, RuleConfigError, load_rule_config
    from validation.catalogue import effective_rules, markdown_catalogue

    if markdown:
        typer.echo(markdown_catalogue(), nl=False)
        return
    try:
        effective = load_rule_config(config) if config else RuleConfig()
    except RuleConfigError as error:
        typer.echo(str(error), err=True)
        raise typer.Exit(1) from error
    table = Table(title="Business rules" + (f" with {config}" if config else ""))
    for column in ("rule", "category", "severity"):
        table.add_column(column, no_wrap=True)
    table.add_column("checks that", overflow="fold")
    for spec, enabled, severity in effective_rules(effective):
        shown = severity.value if enabled else "[dim]off[/]"
        table.add_row(spec.id, spec.category.value, shown, spec.description)
    Console().print(table)


vendors_app = typer.Typer(help="The vendor master: suppliers, identifiers, bank details.")
orders_app = typer.Typer(help="Purchase orders, for the 2-way and 3-way match.")
receipts_app = typer.Typer(help="Goods receipts against purchase-order lines (3-way match).")
app.add_typer(vendors_app, name="vendors")
app.add_typer(orders_app, name="orders")
app.add_typer(receipts_app, name="receipts")
app.add_typer(export_app, name="export")
app.add_typer(lifecycle_app, name="lifecycle")
app.command("steps")(steps)

MasterFile = Annotated[
    Path, typer.Argument(help="CSV file with a header row", exists=True, dir_okay=False)
]


@vendors_app.command("import")
def import_vendors(file: MasterFile) -> None:
    """Add or update suppliers from a CSV: name, vendor_id, vat_id, siret, iban, bic,
    currency, payment_terms_days, po_required, expense_account (only name is required)."""
    _import_master("vendors", file)


@orders_app.command("import")
def import_orders(file: MasterFile) -> None:
    """Add or replace purchase orders from a CSV with one row per PO line: po_number,
    quantity, unit_price (required), vendor_id, currency, line, description, ordered_on."""
    _import_master("orders", file)


@receipts_app.command("import")
def import_receipts(file: MasterFile) -> None:
    """Add goods receipts from a CSV with one row per PO line received: po_number, line,
    quantity (required), received_on, receipt_id."""
    _import_master("receipts", file)


def _import_master(kind: str, file: Path) -> None:
    from sqlmodel import Session

    from invoicebot.store import master
    from invoicebot.store.engine import shared_engine

    importers = {
        "vendors": (master.import_vendors, "suppliers"),
        "orders": (master.import_orders, "purchase orders"),
        "receipts": (master.import_receipts, "goods receipts"),
    }
    importer, noun = importers[kind]
    engine = shared_engine(Settings().resolved_database_url)
    try:
        with Session(engine) as session:
            summary = importer(session, path=file)
    except master.MasterDataError as error:
        typer.echo(str(error), err=True)
        raise typer.Exit(1) from error
    typer.echo(
        f"Imported {summary.total} {noun} from {file}: {summary.added} new, "
        f"{summary.updated} updated."
    )


# Registered here, in this order, so that `invoicebot --help` lists the commands as it always has.
app.add_typer(review_app, name="review")
app.command()(purge)
app.command()(erase)


db_app = typer.Typer(
    help="The store's schema: its version and its migrations.", no_args_is_help=True
)
app.add_typer(db_app, name="db")


@db_app.command("upgrade")
def db_upgrade() -> None:
    """Migrate the store (INVOICEBOT_DATABASE_URL, or the data dir's SQLite file) to the
    schema this invoicebot needs; a store of invoicebot 0.1.0 is recognised and migrated."""
    from invoicebot.store.engine import make_engine
    from invoicebot.store.schema import StoreSchemaError, upgrade_store

    engine = make_engine(Settings().resolved_database_url)
    try:
        done = upgrade_store(engine)
    except StoreSchemaError as error:
        console.print(f"[red]{error}[/]")
        raise typer.Exit(1) from error
    finally:
        engine.dispose()
    if done.changed:
        typer.echo(f"Store upgraded from {done.before or 'invoicebot 0.1.0'} to {done.after}.")
    else:
        typer.echo(f"Store already at {done.after}.")


@db_app.command("current")
def db_current() -> None:
    """Print the store's schema revision and the one this invoicebot needs."""
    from invoicebot.store.engine import make_engine
    from invoicebot.store.schema import current_revision, head_revision

    engine = make_engine(Settings().resolved_database_url)
    try:
        with engine.connect() as connection:
            current = current_revision(connection)
    finally:
        engine.dispose()
    typer.echo(f"store: {current or 'none'}; needed: {head_revision()}")
