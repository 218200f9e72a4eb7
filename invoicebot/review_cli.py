"""``invoicebot review``: exception invoices waiting for an operator, listed, read, taken and
decided from the terminal (the same service as the Prefect review form)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer
from rich.console import Console
from rich.table import Table

from invoicebot.model import DocumentType
from invoicebot.settings import Settings

if TYPE_CHECKING:
    pass

console = Console(stderr=True)


review_app = typer.Typer(
    help="Exception invoices waiting for an operator: list them, read one, take it, decide.",
    no_args_is_help=True,
)


@review_app.command("list")
def review_list(
    as_json: Annotated[bool, typer.Option("--json", help="one JSON object per line")] = False,
) -> None:
    """List the invoices waiting for a review decision (no Prefect server needed)."""
    from sqlmodel import Session

    from invoicebot.store.engine import shared_engine
    from invoicebot.store.review_audit import load_case, review_run_of, waiting_invoice_ids

    with Session(shared_engine(Settings().resolved_database_url)) as session:
        cases = [load_case(session, invoice_id=i) for i in waiting_invoice_ids(session)]
        runs = {
            case.invoice_id: review_run_of(session, invoice_id=case.invoice_id) for case in cases
        }
    if as_json:
        for case in cases:
            run = runs[case.invoice_id]
            row = {
                "invoice_id": case.invoice_id,
                "status": case.status,
                "file": case.file_name,
                **({"page_range": case.page_range} if case.page_range else {}),
                "seller_name": case.fields.seller_name,
                "invoice_number": case.fields.invoice_number,
                "total_gross": _text(case.fields.total_gross),
                **(
                    {"document_type": case.document_type.value}
                    if case.document_type is not DocumentType.INVOICE
                    else {}
                ),
                **(
                    {"credits_invoice": case.credits_invoice.model_dump(mode="json")}
                    if case.credits_invoice
                    else {}
                ),
                "exceptions": [item.model_dump(mode="json") for item in case.exceptions],
                "review_run_id": run.flow_run_id if run else None,
                "taken_by": case.taken.operator if case.taken else None,
                "review_started_at": case.taken.started_at.isoformat() if case.taken else None,
            }
            typer.echo(json.dumps(row, ensure_ascii=False))
        return
    table = Table(title=f"{len(cases)} invoice(s) waiting for review")
    for column in ("id", "status", "supplier", "number", "gross", "why", "review run"):
        table.add_column(column, overflow="fold")
    for case in cases:
        run = runs[case.invoice_id]
        table.add_row(
            str(case.invoice_id),
            case.status + (f"\ntaken by {case.taken.operator}" if case.taken else ""),
            case.fields.seller_name or "",
            (case.fields.invoice_number or case.file_name)
            + (" (pages {}-{})".format(*case.page_range) if case.page_range else ""),
            _text(case.fields.total_gross) or "",
            "\n".join(f"{item.rule} ({item.category.value})" for item in case.exceptions),
            run.flow_run_name if run else "(none: resolve here)",
        )
    Console().print(table)


@review_app.command("show")
def review_show(
    invoice_id: Annotated[int, typer.Argument(help="id from `review list`")],
    page_image: Annotated[
        Path | None,
        typer.Option(
            help="also write the invoice's page as a PNG, outlined where the values were "
            "read (the failed rules' fields in red), as the review form shows it"
        ),
    ] = None,
    page: Annotated[
        int | None, typer.Option(min=1, help="page of the file for --page-image (default: first)")
    ] = None,
) -> None:
    """Print what the review form shows for an invoice: why it waits, the fields, the lines."""
    from sqlmodel import Session

    from invoicebot.pageview import PageViewError
    from invoicebot.review import review_markdown
    from invoicebot.review_page import write_page_image
    from invoicebot.store.engine import shared_engine
    from invoicebot.store.review_audit import UnknownInvoiceError, load_case

    settings = Settings()
    with Session(shared_engine(settings.resolved_database_url)) as session:
        try:
            case = load_case(session, invoice_id=invoice_id)
        except UnknownInvoiceError as error:
            console.print(f"[red]{error}[/]")
            raise typer.Exit(1) from error
        written = None
        if page_image is not None:
            try:
                written = write_page_image(session, settings, case, page_image, page)
            except PageViewError as error:
                console.print(f"[red]no page image: {error}[/]")
                raise typer.Exit(1) from error
    # As the decision form: a bank-detail exception's IBANs in full, to confirm them.
    typer.echo(review_markdown(case, reveal_bank_details=True), nl=False)
    if written is not None:
        typer.echo(f"page {written} written to {page_image}", err=True)


@review_app.command("start")
def review_start(
    invoice_id: Annotated[int, typer.Argument(help="id from `review list`")],
    operator: Annotated[str, typer.Option(help="who takes the case")] = "operator",
) -> None:
    """Take a waiting invoice: your handling time runs from now to your `review resolve`."""
    from sqlmodel import Session

    from invoicebot.review import ReviewInputError, ReviewNotPendingError, start_review
    from invoicebot.store.engine import shared_engine
    from invoicebot.store.review_audit import ReviewTakenError, UnknownInvoiceError

    with Session(shared_engine(Settings().resolved_database_url)) as session:
        try:
            start = start_review(
                session, invoice_id=invoice_id, operator=operator, channel="terminal"
            )
        except (
            ReviewInputError,
            ReviewNotPendingError,
            ReviewTakenError,
            UnknownInvoiceError,
        ) as error:
            console.print(f"[red]{error}[/]")
            raise typer.Exit(1) from error
    typer.echo(
        f"Invoice {invoice_id}: taken by {start.operator} at "
        f"{start.started_at:%Y-%m-%d %H:%M:%S} UTC"
    )


@review_app.command("resolve")
def review_resolve(
    invoice_id: Annotated[int, typer.Argument(help="id from `review list`")],
    decision: Annotated[
        str,
        typer.Option(
            help="approve, approve_with_corrections, reject, send_back_to_supplier or escalate"
        ),
    ],
    corrections: Annotated[
        list[str] | None,
        typer.Option("--set", help="FIELD=VALUE, repeatable (with approve_with_corrections)"),
    ] = None,
    comment: Annotated[str, typer.Option(help="why, for the audit trail")] = "",
    reviewer: Annotated[str, typer.Option(help="who decides")] = "operator",
) -> None:
    """Decide on a waiting invoice: the same statuses, audit record and label as the UI form.

    The handling time runs from `review start`, when the case was taken; without one the
    decision is taken all the same, untimed."""
    from sqlmodel import Session

    from invoicebot.review import (
        ReviewInputError,
        ReviewNotPendingError,
        record_refusal,
        resolve_exception,
    )
    from invoicebot.store.engine import shared_engine
    from invoicebot.store.review_audit import ReviewConflictError, UnknownInvoiceError, load_case

    settings = Settings()
    with Session(shared_engine(settings.resolved_database_url)) as session:
        try:
            held = load_case(session, invoice_id=invoice_id).taken
            taken = (held.operator, held.started_at) if held is not None else None
            audit = resolve_exception(
                session,
                invoice_id=invoice_id,
                decision=decision,
                corrections=_parse_assignments(corrections or []),
                reviewer=reviewer,
                comment=comment,
                channel="terminal",
                settings=settings,
            )
        except UnknownInvoiceError as error:
            console.print(f"[red]{error}[/]")
            raise typer.Exit(1) from error
        except (ReviewInputError, ReviewNotPendingError, ReviewConflictError) as error:
            # Refused as the review form refuses it: nothing changed, and audited (a race
            # with the UI, the four-eyes rule, bad input).
            session.rollback()
            record_refusal(
                session,
                invoice_id=invoice_id,
                decision=decision,
                reviewer=reviewer,
                comment=comment,
                reason=str(error),
                channel="terminal",
                flow_run_id=None,
            )
            console.print(f"[red]Refused (audited): {error}[/]")
            raise typer.Exit(1) from error
    typer.echo(f"Invoice {invoice_id}: {audit.decision} -> {audit.status_after}")
    _emit_lifecycle_events()
    if taken is not None and audit.status_after != "exception":
        operator, started_at = taken
        handled = (audit.decided_at - started_at).total_seconds()
        typer.echo(f"Handled by {operator} in {handled / 60:.1f} min (from review start)")
    if audit.rules_after:
        typer.echo(f"Still failing after the corrections: {', '.join(audit.rules_after)}")


def _emit_lifecycle_events() -> None:
    """Emit the decision's lifecycle event where a Prefect API answers (else the next run
    does)."""
    from flows.lifecycle_events import emit_lifecycle_events

    emit_lifecycle_events(configured_server_only=True)


def _parse_assignments(assignments: list[str]) -> dict[str, str]:
    values: dict[str, str] = {}
    for assignment in assignments:
        name, sep, value = assignment.partition("=")
        if not sep or not name.strip():
            raise typer.BadParameter(
                f"expected FIELD=VALUE, got {assignment!r}", param_hint="--set"
            )
        values[name.strip()] = value
    return values


def _text(value: object) -> str | None:
    return None if value is None else str(value)
