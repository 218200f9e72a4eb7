"""``invoicebot lifecycle``: the lifecycle statuses issued, and the payment sent.

invoicebot exports no payments (the FEC export is the purchase journal, not a payment
file): the payment run happens in the bank or the ERP, so an AP user records it here,
``invoicebot lifecycle paid --invoice ID``, which issues 211 "Paiement transmis".
"""

from __future__ import annotations

import json
from datetime import UTC, datetime
from typing import Annotated, Any

import typer

from invoicebot.settings import Settings

lifecycle_app = typer.Typer(
    help="List the lifecycle statuses issued to suppliers (CDAR messages in the outbox); "
    "`paid` records that an approved invoice's payment was sent.",
    invoke_without_command=True,
)

EXIT_REFUSED = 1

InvoiceOption = Annotated[int | None, typer.Option("--invoice", help="one invoice's statuses")]
JsonOption = Annotated[bool, typer.Option("--json", help="print a JSON list of the statuses")]


@lifecycle_app.callback()
def lifecycle(
    ctx: typer.Context, invoice: InvoiceOption = None, as_json: JsonOption = False
) -> None:
    """List the lifecycle statuses issued (of one invoice with --invoice), oldest first."""
    if ctx.invoked_subcommand is not None:
        return
    rows = _rows(invoice)
    if as_json:
        typer.echo(json.dumps(rows, ensure_ascii=False))
        return
    if not rows:
        typer.echo("No lifecycle status issued.")
        return
    for row in rows:
        reason = f" ({row['reason_code']})" if row["reason_code"] else ""
        sent = row["message"] or "no message: paper invoice"
        typer.echo(
            f"{row['occurred_at']}  invoice {row['invoice_id']} {row['invoice_number'] or ''}  "
            f"{row['status_code']} {row['label']}{reason}  [{row['cause']}]  {sent}"
        )


@lifecycle_app.command("paid")
def paid(
    invoice: Annotated[int, typer.Option("--invoice", help="the approved invoice paid")],
    on: Annotated[
        datetime | None,
        typer.Option(formats=["%Y-%m-%d"], help="the day the payment was sent (default: now)"),
    ] = None,
) -> None:
    """Record that the payment of an approved invoice was sent (status 211).

    An e-invoice's supplier gets the message; recording it again changes nothing."""
    from sqlmodel import Session

    from invoicebot.lifecycle.outbox import NotPayableError, record_payment, write_messages
    from invoicebot.store.engine import shared_engine
    from invoicebot.store.review_audit import UnknownInvoiceError

    settings = Settings()
    paid_at = on.replace(tzinfo=UTC) if on is not None else None
    with Session(shared_engine(settings.resolved_database_url)) as session:
        try:
            event = record_payment(session, invoice_id=invoice, paid_at=paid_at)
        except (UnknownInvoiceError, NotPayableError) as error:
            typer.echo(f"Refused: {error}", err=True)
            raise typer.Exit(EXIT_REFUSED) from error
        written = write_messages(session, settings)
    _emit_events()
    if event is None:
        typer.echo(f"Invoice {invoice}: payment sent was already recorded; nothing new.")
        return
    where = f" -> {written[-1]}" if written else " (paper invoice: no message)"
    typer.echo(f"Invoice {invoice}: 211 Paiement transmis{where}")


def _rows(invoice_id: int | None) -> list[dict[str, Any]]:
    from sqlmodel import Session

    from invoicebot.lifecycle.outbox import outbox_dir
    from invoicebot.lifecycle.statuses import LABELS, NAMES, REASON_LABELS, LifecycleStatus
    from invoicebot.store.engine import shared_engine
    from invoicebot.store.lifecycle import statuses
    from invoicebot.store.tables import Invoice

    settings = Settings()
    folder = outbox_dir(settings)
    rows = []
    with Session(shared_engine(settings.resolved_database_url)) as session:
        for event in statuses(session, invoice_id=invoice_id):
            invoice = session.get_one(Invoice, event.invoice_id)
            code = LifecycleStatus(event.status_code)
            occurred = event.occurred_at
            occurred = occurred if occurred.tzinfo else occurred.replace(tzinfo=UTC)
            rows.append(
                {
                    "id": event.id,
                    "invoice_id": event.invoice_id,
                    "invoice_number": invoice.invoice_number,
                    "status_code": code.value,
                    "status": NAMES[code],
                    "label": LABELS[code],
                    "reason_code": event.reason_code,
                    "reason": REASON_LABELS.get(event.reason_code) if event.reason_code else None,
                    "amount": None if event.amount is None else f"{event.amount:.2f}",
                    "cause": event.cause,
                    "occurred_at": occurred.astimezone(UTC).isoformat().replace("+00:00", "Z"),
                    "einvoice": event.einvoice,
                    "message_id": event.message_id,
                    "message": str(folder / event.message_file) if event.message_file else None,
                    "event_emitted": event.event_emitted_at is not None,
                }
            )
    return rows


def _emit_events() -> None:
    """Emit the new statuses' Prefect events where a Prefect API answers; otherwise the
    next batch or review run emits them."""
    from flows.lifecycle_events import emit_lifecycle_events

    emit_lifecycle_events(configured_server_only=True)
