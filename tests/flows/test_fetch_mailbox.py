"""The fetch-mailbox flow against a real Dovecot server, then the batch flow on what it took:
the password from a Prefect Secret block, the provenance in the review form, and the same
invoice by mail and in the folder (other bytes) as a duplicate exception."""

from __future__ import annotations

from pathlib import Path

import pytest
from prefect.blocks.system import Secret
from sqlmodel import Session, select

from flows.fetch_mailbox import fetch_mailbox_flow
from flows.process_inbox import process_inbox
from invoicebot.mailbox import MailboxConfig, MailboxConfigError
from invoicebot.model import InvoiceStatus
from invoicebot.review import escape_markdown, review_markdown
from invoicebot.settings import Settings
from invoicebot.store.engine import make_engine
from invoicebot.store.review_audit import load_case
from invoicebot.store.tables import Invoice
from tests.dovecot import deliver, invoice_mail
from tests.inbox import duplicate_pair


def test_mail_and_folder_copies_of_one_invoice_make_a_duplicate_exception(
    mailbox_config: MailboxConfig,
    data_dir: Path,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    (original, _), (resent, resent_truth) = duplicate_pair()
    assert original.read_bytes() != resent.read_bytes()
    inbox = tmp_path / "inbox"
    inbox.mkdir()
    (inbox / original.name).write_bytes(original.read_bytes())
    deliver(
        mailbox_config,
        [
            invoice_mail(
                sender="Comptabilité <compta@supplier.example>",
                subject="Relance: facture *impayée*",
                message_id="<relance-42@supplier.example>",
                attachments=[(resent.name, resent.read_bytes())],
            ),
            invoice_mail(subject="Bonjour", attachments=[("signature.txt", b"--")]),
        ],
    )
    for name, value in {
        "HOST": mailbox_config.host,
        "PORT": str(mailbox_config.port),
        "USER": mailbox_config.user,
        "SECURITY": "plain",
        "STABLE_SECONDS": "0",
    }.items():
        monkeypatch.setenv(
            f"INVOICEBOT_{name}" if name == "STABLE_SECONDS" else f"INVOICEBOT_MAILBOX_{name}",
            value,
        )
    Secret(value=mailbox_config.password.get_secret_value()).save("imap-test", overwrite=True)

    report = fetch_mailbox_flow(inbox=str(inbox), password_block="imap-test")
    assert (report.messages, report.delivered, report.quarantined) == (2, 1, 2)
    assert fetch_mailbox_flow(inbox=str(inbox), password_block="imap-test").messages == 0

    summary = process_inbox(inbox=str(inbox))
    statuses = {Path(o.source).name: o for o in summary.invoices}
    assert statuses[original.name].status is InvoiceStatus.APPROVED
    (mailed,) = [o for name, o in statuses.items() if name.startswith("mail-")]
    assert mailed.status is InvoiceStatus.EXCEPTION
    assert "duplicate" in {e.category.value for e in mailed.exceptions}
    assert mailed.invoice_number == resent_truth["fields"]["invoice_number"]

    engine = make_engine(Settings().resolved_database_url)
    with Session(engine) as session:
        invoice_id = session.exec(
            select(Invoice.id).where(Invoice.status == InvoiceStatus.EXCEPTION.value)
        ).one()
        assert invoice_id is not None
        form = review_markdown(load_case(session, invoice_id=invoice_id))
    engine.dispose()
    # Sender and subject are the sender's text: shown as typed, never as markdown.
    assert "Received by e-mail from " + escape_markdown("Comptabilité <compta@") in form
    assert escape_markdown("Relance: facture *impayée*") in form
    assert "*impayée*" not in form
    assert escape_markdown("<relance-42@supplier.example>") in form


def test_an_unconfigured_mailbox_fails_the_run_naming_the_settings(
    data_dir: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    for name in ("HOST", "USER", "PASSWORD"):
        monkeypatch.delenv(f"INVOICEBOT_MAILBOX_{name}", raising=False)
    with pytest.raises(MailboxConfigError, match="INVOICEBOT_MAILBOX_HOST"):
        fetch_mailbox_flow(inbox=str(tmp_path / "inbox"))
