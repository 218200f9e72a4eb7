"""Lifecycle statuses end to end, without Prefect: real Factur-X e-invoices through the
pipeline (official rules included), operators' decisions, the payment; each status once in
the store, and once as a CDAR file in the outbox for an e-invoice only."""

from __future__ import annotations

import shutil
from decimal import Decimal
from pathlib import Path

import pytest
from lxml import etree
from sqlmodel import Session

from invoicebot.lifecycle.cdar import NAMESPACES
from invoicebot.lifecycle.outbox import (
    NotPayableError,
    outbox_dir,
    record_payment,
    write_messages,
)
from invoicebot.model import InvoiceStatus
from invoicebot.pipeline import PipelineContext
from invoicebot.review import ReviewNotPendingError, resolve_exception
from invoicebot.store import master
from invoicebot.store.lifecycle import add_status, statuses
from invoicebot.store.review_audit import UnknownInvoiceError
from tests.conftest import SAMPLES
from tests.einvoices import EN16931_SAMPLE, altered, embedded_xml
from tests.processing import process_document
from tests.unit.store.test_books import store_invoice

PAPER_SAMPLE = SAMPLES / "fr-classic-0001.pdf"
# The vendor master holds another IBAN for the Factur-X sample's seller (SUP-001).
CHANGED_IBAN = "FR7630004898079230007871125"
SAMPLE_GROSS = "652.46"


def outbox_files(context: PipelineContext) -> list[Path]:
    return sorted(outbox_dir(context.settings).glob("*.xml"))


def status_of(path: Path) -> tuple[str, str | None]:
    """Return a message's status code and reason code."""
    root = etree.parse(path).getroot()
    code = root.xpath("//ram:ReferenceReferencedDocument/ram:ProcessConditionCode/text()",
                      namespaces=NAMESPACES)  # fmt: skip
    reason = root.xpath("//ram:SpecifiedDocumentStatus/ram:ReasonCode/text()",
                        namespaces=NAMESPACES)  # fmt: skip
    return str(code[0]), (str(reason[0]) if reason else None)


def into_inbox(tmp_path: Path, source: Path, name: str | None = None) -> Path:
    inbox = tmp_path / "inbox"
    inbox.mkdir(exist_ok=True)
    return Path(shutil.copyfile(source, inbox / (name or source.name)))


def codes(context: PipelineContext, invoice_id: int) -> list[str]:
    with Session(context.engine) as session:
        return [event.status_code for event in statuses(session, invoice_id=invoice_id)]


def test_a_facturx_approved_straight_through_yields_one_approved_message(
    context: PipelineContext, tmp_path: Path
) -> None:
    outcome = process_document(into_inbox(tmp_path, EN16931_SAMPLE), context)
    assert outcome is not None and outcome.status is InvoiceStatus.APPROVED, outcome
    (message,) = outbox_files(context)
    assert message.name.endswith("-invoice-1-205.xml")
    assert status_of(message) == ("205", None)
    root = etree.parse(message).getroot()
    number = root.xpath("//ram:ReferenceReferencedDocument/ram:IssuerAssignedID/text()",
                        namespaces=NAMESPACES)  # fmt: skip
    seller = root.xpath("//ram:ReferenceReferencedDocument/ram:IssuerTradeParty/ram:GlobalID"
                        "/text()", namespaces=NAMESPACES)  # fmt: skip
    assert (number, seller) == (["F2026-0911"], ["258813997"])
    first_bytes = message.read_bytes()
    assert codes(context, 1) == ["205"]

    # Re-running: the same bytes again are a duplicate, and publishing again writes nothing.
    again = process_document(into_inbox(tmp_path, EN16931_SAMPLE, "again.pdf"), context)
    assert again is not None and again.status is InvoiceStatus.DUPLICATE
    with Session(context.engine) as session:
        assert write_messages(session, context.settings) == []
    assert outbox_files(context) == [message]
    assert message.read_bytes() == first_bytes
    assert codes(context, 1) == ["205"]


def store_bank_detail_exception(context: PipelineContext, tmp_path: Path) -> int:
    """Store the Factur-X sample as an exception: the vendor master holds another IBAN for
    its seller (VENDOR-BANK-DETAILS); return the invoice's id."""
    vendors = tmp_path / "vendors.csv"
    vendors.write_text(
        "vendor_id,name,vat_id,siret,iban,currency\n"
        f"SUP-001,Papeterie Martin & Fils SAS,FR71258813997,25881399700099,{CHANGED_IBAN},EUR\n"
    )
    with Session(context.engine) as session:
        master.import_vendors(session, path=vendors)
    outcome = process_document(into_inbox(tmp_path, EN16931_SAMPLE), context)
    assert outcome is not None and outcome.status is InvoiceStatus.EXCEPTION
    assert [item.rule for item in outcome.exceptions] == ["VENDOR-BANK-DETAILS"]
    return 1


def decide(
    context: PipelineContext, decision: str, reviewer: str = "Camille", **corrections: str
) -> str:
    """Apply a decision on invoice 1; return its status after. The four-eyes rule is off
    (one test keeps it: an escalation, then another person's approval)."""
    settings = context.settings.model_copy(update={"four_eyes": ""})
    with Session(context.engine) as session:
        audit = resolve_exception(
            session,
            invoice_id=1,
            decision=decision,
            corrections=corrections,
            reviewer=reviewer,
            comment="checked",
            channel="terminal",
            settings=settings,
        )
    return audit.status_after


@pytest.mark.parametrize(
    ("decision", "corrections", "expected"),
    [
        ("approve", {}, ("205", None)),
        ("approve_with_corrections", {"seller_iban": CHANGED_IBAN}, ("205", None)),
        (
            "approve_with_corrections",
            {"seller_iban": CHANGED_IBAN, "amount_due": "600.00"},
            ("206", "AUTRE"),
        ),
        ("reject", {}, ("210", "NON_CONFORME")),
        ("send_back_to_supplier", {}, ("207", "COORD_BANC_ERR")),
        ("escalate", {}, ("208", "COORD_BANC_ERR")),
    ],
)
def test_each_decision_on_an_einvoice_yields_one_message_with_its_status(
    context: PipelineContext,
    tmp_path: Path,
    decision: str,
    corrections: dict[str, str],
    expected: tuple[str, str | None],
) -> None:
    invoice_id = store_bank_detail_exception(context, tmp_path)
    (taken,) = outbox_files(context)
    assert status_of(taken) == ("204", None)

    decide(context, decision, **corrections)
    new = [path for path in outbox_files(context) if path != taken]
    assert len(new) == 1
    assert status_of(new[0]) == expected
    assert codes(context, invoice_id) == ["204", expected[0]]
    if expected[0] == "206":
        amount = (
            etree.parse(new[0])
            .getroot()
            .xpath(
                "//ram:SpecifiedDocumentCharacteristic/ram:ValueAmount/text()",
                namespaces=NAMESPACES,
            )
        )
        assert amount == ["600.00"]

    # The same decision again: refused when the invoice no longer waits, and an escalated
    # invoice escalated again is still suspended: never a second message.
    if decision == "escalate":
        assert decide(context, "escalate") == "escalated"
    else:
        with pytest.raises(ReviewNotPendingError):
            decide(context, decision, **corrections)
    with Session(context.engine) as session:
        write_messages(session, context.settings)
    assert len(outbox_files(context)) == 2
    assert codes(context, invoice_id) == ["204", expected[0]]


def test_an_escalation_then_a_second_persons_approval_send_suspended_then_approved(
    context: PipelineContext, tmp_path: Path
) -> None:
    store_bank_detail_exception(context, tmp_path)
    with Session(context.engine) as session:
        for decision, reviewer in (("escalate", "Ana"), ("approve", "Ben")):
            resolve_exception(session, invoice_id=1, decision=decision, corrections={},
                              reviewer=reviewer, comment="", channel="terminal",
                              settings=context.settings)  # fmt: skip
    assert [status_of(path) for path in outbox_files(context)] == [
        ("204", None),
        ("208", "COORD_BANC_ERR"),
        ("205", None),
    ]


def broken_sample() -> str:
    """Return the Factur-X sample's XML with a gross total 10.00 too high (BR-CO-15)."""
    xml = embedded_xml(EN16931_SAMPLE)
    return altered(xml, "GrandTotalAmount", f"{Decimal(SAMPLE_GROSS) + 10}")


def test_a_correction_that_still_fails_sends_nothing_and_a_refusal_names_the_fault(
    context: PipelineContext, tmp_path: Path
) -> None:
    path = tmp_path / "inbox" / "broken.xml"
    path.parent.mkdir()
    path.write_text(broken_sample(), encoding="utf-8")
    outcome = process_document(path, context)
    assert outcome is not None and outcome.status is InvoiceStatus.EXCEPTION
    # The e-invoice's XML still breaks BR-CO-15 whatever is keyed: it keeps waiting.
    assert decide(context, "approve_with_corrections", total_gross=SAMPLE_GROSS) == "exception"
    assert [status_of(p) for p in outbox_files(context)] == [("204", None)]
    assert decide(context, "reject") == "rejected"
    assert sorted(status_of(p) for p in outbox_files(context)) == [
        ("204", None),
        ("210", "MONTANTTOTAL_ERR"),
    ]


def test_a_paper_invoice_gets_its_statuses_in_the_store_but_no_message(
    context: PipelineContext, tmp_path: Path
) -> None:
    outcome = process_document(into_inbox(tmp_path, PAPER_SAMPLE), context)
    assert outcome is not None and outcome.status is InvoiceStatus.APPROVED, outcome
    with Session(context.engine) as session:
        assert record_payment(session, invoice_id=1) is not None
        write_messages(session, context.settings)
        events = statuses(session, invoice_id=1)
    assert [(event.status_code, event.einvoice) for event in events] == [
        ("205", False),
        ("211", False),
    ]
    assert outbox_files(context) == []


def test_payment_sent_is_one_message_for_an_approved_einvoice_and_refused_otherwise(
    context: PipelineContext, tmp_path: Path
) -> None:
    process_document(into_inbox(tmp_path, EN16931_SAMPLE), context)
    with Session(context.engine) as session:
        paid = record_payment(session, invoice_id=1)
        assert paid is not None and paid.amount == Decimal("652.46")
        assert record_payment(session, invoice_id=1) is None
        write_messages(session, context.settings)
    assert [status_of(path) for path in outbox_files(context)] == [("205", None), ("211", None)]
    amount = (
        etree.parse(outbox_files(context)[1])
        .getroot()
        .xpath("//ram:SpecifiedDocumentCharacteristic/ram:TypeCode/text()", namespaces=NAMESPACES)
    )
    assert amount == ["MPA"]

    # An invoice waiting for an operator, or none at all, cannot be paid.
    path = tmp_path / "inbox" / "broken.xml"
    path.write_text(broken_sample(), encoding="utf-8")
    waiting = process_document(path, context)
    assert waiting is not None and waiting.status is InvoiceStatus.EXCEPTION
    with Session(context.engine) as session:
        with pytest.raises(NotPayableError):
            record_payment(session, invoice_id=2)
        with pytest.raises(UnknownInvoiceError):
            record_payment(session, invoice_id=99)
    assert len(outbox_files(context)) == 3  # 205 and 211 of the first, 204 of the second


def test_a_message_left_unwritten_is_written_by_the_next_publication_once(
    context: PipelineContext,
) -> None:
    with Session(context.engine) as session:
        invoice_id = store_invoice(session, "F-9", "approved", method="einvoice",
                                   seller_siret="25881399700099")  # fmt: skip
        add_status(session, invoice_id=invoice_id, status_code="205", cause="batch",
                   einvoice=True)  # fmt: skip
        session.commit()
        # The outbox cannot be written (a file stands where its folder should be).
        blocker = outbox_dir(context.settings)
        blocker.parent.mkdir(parents=True)
        blocker.write_text("not a folder")
        assert write_messages(session, context.settings) == []
        assert statuses(session)[0].message_file is None
        blocker.unlink()
        (written,) = write_messages(session, context.settings)
        assert write_messages(session, context.settings) == []
    assert outbox_files(context) == [written]
    assert status_of(written) == ("205", None)
    assert not list(written.parent.glob(".*.part"))
