"""Reviewing from the terminal, no Prefect server: the same decisions, audit and labels."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from sqlalchemy.engine import Engine
from sqlmodel import Session, select
from typer.testing import CliRunner

from invoicebot.cli import app
from invoicebot.kpis import handling_seconds, read_snapshot
from invoicebot.model import Extraction, InvoiceStatus
from invoicebot.review import (
    ReviewInputError,
    ReviewNotPendingError,
    fields_to_correct,
    parse_corrections,
    resolve_exception,
    review_markdown,
    start_review,
)
from invoicebot.settings import Settings
from invoicebot.store.engine import init_store, make_engine
from invoicebot.store.labels import OperatorDecision
from invoicebot.store.repository import StoreHistory, claim_document, record_invoice
from invoicebot.store.review import ReviewDecision, ReviewStart, load_case, waiting_invoice_ids
from invoicebot.store.tables import Invoice
from tests.inbox import pick_samples
from validation import validate

[(FAULTY_PDF, FAULTY_TRUTH)] = pick_samples(lambda t: t["faults"] == ["BR-CO-15"], 1)
CONTRACT_KEYS = set(Extraction.model_fields)


@pytest.fixture
def engine(data_dir: Path) -> Engine:
    """Return the store of ``data_dir`` holding one stored exception invoice (id 1)."""
    store = make_engine(Settings().resolved_database_url)
    init_store(store)
    extraction = Extraction.model_validate(
        {key: value for key, value in FAULTY_TRUTH.items() if key in CONTRACT_KEYS}
    )
    with Session(store) as session:
        claim = claim_document(
            session,
            sha256=extraction.sha256,
            source=str(FAULTY_PDF),
            file_name=FAULTY_PDF.name,
            size_bytes=FAULTY_PDF.stat().st_size,
            batch_id=None,
            stale_after=timedelta(hours=1),
        )
        results = validate(extraction, history=StoreHistory(session))
        record_invoice(
            session,
            document_id=claim.document_id,
            extraction=extraction,
            status=InvoiceStatus.EXCEPTION,
            results=results,
            archived_path=str(FAULTY_PDF),
            seconds=0.1,
        )
    return store


def right_gross(engine: Engine) -> str:
    with Session(engine) as session:
        invoice = session.get_one(Invoice, 1)
        assert invoice.total_net is not None and invoice.total_tax is not None
        return f"{invoice.total_net + invoice.total_tax:.2f}"


def test_the_markdown_says_why_the_invoice_waits(engine: Engine) -> None:
    with Session(engine) as session:
        text = review_markdown(load_case(session, invoice_id=1))
    assert "**BR-CO-15**: the amounts do not add up." in text
    assert f"]({FAULTY_PDF.resolve().as_uri()})" in text
    assert "| total_gross |" in text and "### Lines" in text


def test_the_form_offers_the_fields_the_failed_rules_concern(engine: Engine) -> None:
    with Session(engine) as session:
        case = load_case(session, invoice_id=1)
    assert fields_to_correct(case) == ["total_net", "total_tax", "total_gross", "amount_due"]


def test_corrections_are_typed_and_blank_means_unchanged(engine: Engine) -> None:
    with Session(engine) as session:
        fields = load_case(session, invoice_id=1).fields
    changed = parse_corrections(
        {"total_gross": "1.50", "invoice_number": "", "seller_iban": " fr76 3000 "}, fields
    )
    assert {name: str(value) for name, value in changed.items()} == {
        "total_gross": "1.50",
        "seller_iban": "FR763000",
    }
    with pytest.raises(ReviewInputError, match="invoice_date"):
        parse_corrections({"invoice_date": "31/12/2026"}, fields)
    with pytest.raises(ReviewInputError, match="no such field"):
        parse_corrections({"colour": "red"}, fields)


def test_review_list_and_resolve_from_the_terminal(engine: Engine) -> None:
    runner = CliRunner()
    listed = runner.invoke(app, ["review", "list", "--json"])
    assert listed.exit_code == 0, listed.output
    [row] = [json.loads(line) for line in listed.stdout.splitlines()]
    assert row["invoice_id"] == 1 and row["review_run_id"] is None
    assert [e["rule"] for e in row["exceptions"]] == ["BR-CO-15"]

    gross = right_gross(engine)
    resolved = runner.invoke(
        app,
        ["review", "resolve", "1", "--decision", "approve_with_corrections",
         "--set", f"total_gross={gross}", "--set", f"amount_due={gross}",
         "--reviewer", "Camille", "--comment", "re-keyed"],
    )  # fmt: skip
    assert resolved.exit_code == 0, resolved.output
    assert "approve_with_corrections -> approved" in resolved.stdout
    with Session(engine) as session:
        audit = session.exec(select(ReviewDecision)).one()
        label = session.exec(select(OperatorDecision)).one()
        assert waiting_invoice_ids(session) == []
    assert (audit.channel, audit.reviewer, audit.comment) == ("terminal", "Camille", "re-keyed")
    assert audit.changes["total_gross"][1] == gross
    assert (label.resolution, label.decided_by) == ("correct_capture", "Camille")

    again = runner.invoke(app, ["review", "resolve", "1", "--decision", "reject"])
    assert again.exit_code == 1 and "not waiting" in again.output


def test_bad_input_changes_nothing(engine: Engine) -> None:
    with Session(engine) as session:
        for decision, corrections in [
            ("pay_twice", {}),
            ("approve_with_corrections", {}),
            ("reject", {"total_net": "1.00"}),
        ]:
            with pytest.raises(ReviewInputError):
                resolve_exception(
                    session,
                    invoice_id=1,
                    decision=decision,
                    corrections=corrections,
                    reviewer="",
                    comment="",
                    channel="terminal",
                )
        assert session.exec(select(ReviewDecision)).all() == []
        assert session.get_one(Invoice, 1).status == "exception"
        resolve_exception(
            session, invoice_id=1, decision="reject", corrections={}, reviewer="",
            comment="", channel="terminal",
        )  # fmt: skip
        with pytest.raises(ReviewNotPendingError):
            resolve_exception(
                session, invoice_id=1, decision="approve", corrections={}, reviewer="",
                comment="", channel="terminal",
            )  # fmt: skip
        assert session.exec(select(ReviewDecision)).one().reviewer == "operator"


def test_review_start_takes_the_case_and_resolve_times_it(engine: Engine) -> None:
    runner = CliRunner()
    taken = runner.invoke(app, ["review", "start", "1", "--operator", "Ana"])
    assert taken.exit_code == 0, taken.output
    assert taken.stdout.startswith("Invoice 1: taken by Ana at ")
    assert runner.invoke(app, ["review", "start", "1", "--operator", "Ana"]).exit_code == 0
    other = runner.invoke(app, ["review", "start", "1", "--operator", "Ben"])
    assert other.exit_code == 1 and "taken by Ana" in other.output
    with Session(engine) as session:
        assert "Taken by **Ana**" in review_markdown(load_case(session, invoice_id=1))
    [row] = [
        json.loads(line)
        for line in runner.invoke(app, ["review", "list", "--json"]).stdout.splitlines()
    ]
    assert row["taken_by"] == "Ana" and row["review_started_at"]

    resolved = runner.invoke(app, ["review", "resolve", "1", "--decision", "reject",
                                   "--reviewer", "Ana"])  # fmt: skip
    assert resolved.exit_code == 0, resolved.output
    assert "Handled by Ana in " in resolved.stdout
    with Session(engine) as session:
        audit = session.exec(select(ReviewDecision)).one()
        start = session.exec(select(ReviewStart)).one()
    assert (start.operator, start.channel, start.decision_id) == ("Ana", "terminal", audit.id)
    assert start.started_at <= audit.decided_at
    again = runner.invoke(app, ["review", "start", "1", "--operator", "Ben"])
    assert again.exit_code == 1 and "not waiting" in again.output


def test_handling_time_runs_from_the_start_to_the_decision_that_ends_it(engine: Engine) -> None:
    t0 = datetime.now(UTC).replace(microsecond=0)
    with Session(engine) as session:
        start_review(session, invoice_id=1, operator="Ana", channel="terminal", started_at=t0)
        # A correction that still fails keeps the case in Ana's hands.
        still = resolve_exception(
            session, invoice_id=1, decision="approve_with_corrections",
            corrections={"total_net": "1.00"}, reviewer="Ana", comment="", channel="terminal",
            decided_at=t0 + timedelta(minutes=3),
        )  # fmt: skip
        assert still.status_after == "exception"
        assert load_case(session, invoice_id=1).taken is not None
        resolve_exception(
            session, invoice_id=1, decision="escalate", corrections={}, reviewer="Ana",
            comment="IBAN looks new", channel="terminal", decided_at=t0 + timedelta(minutes=4),
        )  # fmt: skip
        assert load_case(session, invoice_id=1).taken is None
        start_review(session, invoice_id=1, operator="Lead", channel="terminal",
                     started_at=t0 + timedelta(hours=2))  # fmt: skip
        resolve_exception(
            session, invoice_id=1, decision="reject", corrections={}, reviewer="Lead",
            comment="", channel="terminal", decided_at=t0 + timedelta(hours=2, minutes=6),
        )  # fmt: skip
        snapshot = read_snapshot(session, start=t0 - timedelta(days=1), end=t0 + timedelta(days=1))
    # Ana: 4 min to her escalation; Lead: 6 min to the final decision.
    assert handling_seconds(snapshot.reviews) == {1: 600.0}


def test_a_decision_without_a_start_is_taken_untimed(engine: Engine) -> None:
    with Session(engine) as session:
        resolve_exception(session, invoice_id=1, decision="reject", corrections={},
                          reviewer="Ana", comment="", channel="terminal")  # fmt: skip
        now = datetime.now(UTC)
        snapshot = read_snapshot(session, start=now - timedelta(days=1), end=now + timedelta(1))
    [review] = snapshot.reviews
    assert review.started_at is None and handling_seconds(snapshot.reviews) == {}
