"""Operators' decisions in the store, and the labelled history rebuilt from them."""

from __future__ import annotations

from decimal import Decimal

import pytest
from sqlalchemy import delete
from sqlalchemy.engine import Engine
from sqlmodel import Session, select

from invoicebot.model import Resolution, Suggestion
from invoicebot.store.tables import Invoice, RuleResultRow
from invoicebot.store.training_labels import (
    OperatorDecision,
    UnknownResolutionError,
    labelled_history,
    record_label,
)
from tests.unit.classifiers.conftest import store_exception_invoice

GROSS, GAP = Decimal("500"), Decimal("5")


def test_the_latest_decision_is_the_label_and_the_suggestion_is_kept(engine: Engine) -> None:
    shown = Suggestion(resolution=Resolution.REQUEST_CREDIT_NOTE, probability=0.7)
    with Session(engine) as session:
        document = store_exception_invoice(
            session, 1, vat_id="FR01", gross=GROSS, gap=GAP, suggestion=shown
        )
        record_label(
            session, document_id=document, resolution="request_credit_note", decided_by="ana"
        )
        record_label(
            session,
            document_id=document,
            resolution=Resolution.APPROVE_ANYWAY,
            decided_by="bo",
            comment="agreed by phone",
        )
        history = labelled_history(session)
        decisions = session.exec(select(OperatorDecision)).all()

    assert [d.suggested_resolution for d in decisions] == ["request_credit_note"] * 2
    assert decisions[0].suggestion_probability == 0.7
    assert [(h.resolution, h.source) for h in history] == [(Resolution.APPROVE_ANYWAY, "operator")]


def test_labels_carry_what_the_classifier_saw_not_the_reviewed_invoice(engine: Engine) -> None:
    with Session(engine) as session:
        first = store_exception_invoice(session, 1, vat_id="FR01", gross=GROSS, gap=GAP)
        second = store_exception_invoice(session, 2, vat_id="FR01", gross=GROSS * 2, gap=GAP)
        # A review corrects the invoice: fields now sure, rules re-run and passing.
        invoice = session.exec(select(Invoice).where(Invoice.document_id == second)).one()
        invoice.confidence = dict.fromkeys(invoice.confidence, 1.0)
        session.add(invoice)
        session.execute(delete(RuleResultRow).where(RuleResultRow.invoice_id == invoice.id))  # type: ignore[arg-type]
        session.commit()
        for document in (first, second):
            record_label(
                session, document_id=document, resolution="correct_capture", decided_by="ana"
            )
        cases = {h.case.total_gross: h.case for h in labelled_history(session)}

    later = cases[GROSS * 2]
    assert [result.rule for result in later.failed] == ["BR-CO-15"]
    assert later.failed[0].values["difference"] == "5"
    assert max(later.confidence.values()) < 1.0
    # The supplier as it was when the invoice arrived: one earlier exception invoice.
    assert later.supplier.invoices_seen == 1
    assert later.supplier.exception_rate == 1.0
    assert cases[GROSS].supplier.invoices_seen == 0


def test_invoices_without_a_snapshot_are_rebuilt_from_the_store(engine: Engine) -> None:
    with Session(engine) as session:
        store_exception_invoice(session, 1, vat_id="FR01", gross=GROSS, gap=GAP, snapshot=False)
        document = store_exception_invoice(
            session, 2, vat_id="FR01", gross=GROSS * 2, gap=GAP, snapshot=False
        )
        record_label(session, document_id=document, resolution="approve_anyway", decided_by="ana")
        (labelled,) = labelled_history(session)

    assert labelled.case.total_gross == GROSS * 2
    assert [result.rule for result in labelled.case.failed] == ["BR-CO-15"]
    assert labelled.case.supplier.invoices_seen == 1, "history before the invoice only"


def test_an_unknown_resolution_is_refused(engine: Engine) -> None:
    with Session(engine) as session:
        document = store_exception_invoice(session, 1, vat_id="FR01", gross=GROSS, gap=GAP)
        with pytest.raises(UnknownResolutionError, match="expected one of: correct_capture"):
            record_label(session, document_id=document, resolution="pay_twice", decided_by="ana")


def test_every_resolution_is_documented_for_operators() -> None:
    for resolution in Resolution:
        assert len(resolution.describe()) > 40
