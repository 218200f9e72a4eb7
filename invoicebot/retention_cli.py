"""``invoicebot purge`` and ``invoicebot erase``: the retention commands, which delete what is
older than the retention period, or every trace of one supplier, from the store and Prefect."""

from __future__ import annotations

from typing import TYPE_CHECKING, Annotated

import typer
from rich.console import Console

from invoicebot.settings import Settings

if TYPE_CHECKING:
    from invoicebot.retention import PrefectSide


console = Console(stderr=True)


def purge(
    older_than: Annotated[
        int | None,
        typer.Option(
            "--older-than",
            metavar="DAYS",
            min=1,
            help="delete documents received more than DAYS ago "
            "(default: INVOICEBOT_RETENTION_DAYS)",
        ),
    ] = None,
    operator: Annotated[str, typer.Option(help="who purges, for the audit")] = "operator",
    store_only: Annotated[
        bool,
        typer.Option("--store-only", help="leave the Prefect server alone (it does not answer)"),
    ] = False,
    yes: Annotated[bool, typer.Option("--yes", help="do not ask for confirmation")] = False,
) -> None:
    """Delete old documents: store rows, archive files, their Prefect runs and artifacts.

    Invoices still waiting for an operator are kept. Audited (`privacy_action`)."""
    settings = Settings()
    days = older_than if older_than is not None else settings.retention_days
    if not yes:
        typer.confirm(f"Delete every document received more than {days} days ago?", abort=True)
    _retention_command("purge", settings, operator=operator, store_only=store_only, days=days)


def erase(
    supplier: Annotated[
        str,
        typer.Option(
            help="the supplier: vendor id (SUP-003), VAT number, SIREN/SIRET or seller key"
        ),
    ],
    operator: Annotated[str, typer.Option(help="who erases, for the audit")] = "operator",
    store_only: Annotated[
        bool,
        typer.Option("--store-only", help="leave the Prefect server alone (it does not answer)"),
    ] = False,
    yes: Annotated[bool, typer.Option("--yes", help="do not ask for confirmation")] = False,
) -> None:
    """Erase a supplier's personal data (a sole trader's right to erasure): names,
    identifiers and IBANs replaced in the store, archived files and Prefect runs deleted.

    Amounts, dates and invoice numbers stay for the books. Audited (`privacy_action`)."""
    if not yes:
        typer.confirm(f"Erase the personal data of supplier {supplier}?", abort=True)
    _retention_command("erase", Settings(), operator=operator, store_only=store_only, key=supplier)


def _retention_command(
    action: str,
    settings: Settings,
    *,
    operator: str,
    store_only: bool,
    days: int = 0,
    key: str = "",
) -> None:
    from sqlmodel import Session

    from invoicebot import retention
    from invoicebot.store.engine import shared_engine
    from invoicebot.store.retention import UnknownSupplierError

    cleaner: retention.PrefectCleaner
    if store_only:
        cleaner = _untouched_prefect
    else:
        from flows.retention import delete_runs_and_artifacts

        def cleaner(runs: list[str], artifacts_of: list[str]) -> retention.PrefectSide:
            return delete_runs_and_artifacts(delete_runs=runs, strip_artifacts_of=artifacts_of)

    with Session(shared_engine(settings.resolved_database_url)) as session:
        try:
            if action == "purge":
                done = retention.purge(
                    session, settings, older_than_days=days, operator=operator, prefect=cleaner
                )
            else:
                done = retention.erase(
                    session, settings, supplier_key=key, operator=operator, prefect=cleaner
                )
        except (UnknownSupplierError, retention.PrefectUnreachableError) as error:
            console.print(f"[red]{error}[/]")
            raise typer.Exit(1) from error
    audit = done.audit
    counted = ", ".join(f"{name} {count}" for name, count in sorted(audit.counts.items()))
    typer.echo(
        f"{action} #{audit.id}: {audit.criterion}: {len(done.selection.document_ids)} "
        f"document(s); {counted}"
    )
    typer.echo(f"Prefect: {audit.prefect}")


def _untouched_prefect(_runs: list[str], _artifacts_of: list[str]) -> PrefectSide:
    from invoicebot.retention import PrefectSide

    return PrefectSide("--store-only: the Prefect server was not touched", {})
