"""Reviewing from the terminal, no Prefect server: the same decisions, audit and labels."""

from __future__ import annotations

import hashlib
import json
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from markdown_it import MarkdownIt
from sqlalchemy import text as sql_text
from sqlalchemy.engine import Engine
from sqlmodel import Session, SQLModel, select
from typer.testing import CliRunner

from invoicebot.cli import app
from invoicebot.kpis import handling_seconds, read_snapshot
from invoicebot.model import (
    ExceptionCategory,
    ExceptionItem,
    Extraction,
    InvoiceFields,
    InvoiceStatus,
)
from invoicebot.privacy import contains_iban
from invoicebot.review import (
    FourEyesError,
    PersonNameError,
    ReviewInputError,
    ReviewNotPendingError,
    escape_markdown,
    fields_to_correct,
    parse_corrections,
    record_refusal,
    resolve_exception,
    review_markdown,
    start_review,
    take_markdown,
)
from invoicebot.settings import Settings
from invoicebot.store import master
from invoicebot.store.claims import claim_document
from invoicebot.store.engine import init_store, make_engine
from invoicebot.store.repository import StoreHistory, record_invoice
from invoicebot.store.review_audit import (
    ReviewConflictError,
    ReviewDecision,
    ReviewStart,
    load_case,
    waiting_invoice_ids,
)
from invoicebot.store.tables import Invoice
from invoicebot.store.training_labels import OperatorDecision
from tests.conftest import SAMPLES
from tests.inbox import pick_samples
from tests.processing import store_exception
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
    store_exception(store, extraction, FAULTY_PDF, FAULTY_PDF)
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
    # No page view served here: the document's name, not a file:// link no browser opens
    # (test_pageview.py checks the signed links of a served one).
    assert f"Document: {escape_markdown(FAULTY_PDF.name)}" in text and "file://" not in text
    assert "| total_gross |" in text and "### Lines" in text


def test_the_form_offers_the_fields_the_failed_rules_concern(engine: Engine) -> None:
    with Session(engine) as session:
        case = load_case(session, invoice_id=1)
    assert fields_to_correct(case) == ["total_net", "total_tax", "total_gross", "amount_due"]


def test_a_low_confidence_exception_offers_the_fields_read_under_the_threshold(
    engine: Engine,
) -> None:
    with Session(engine) as session:
        case = load_case(session, invoice_id=1)
    doubtful = case.model_copy(
        update={
            "exceptions": [
                ExceptionItem(
                    rule="PAGE-XML-MISMATCH",
                    category=ExceptionCategory.LOW_CONFIDENCE,
                    message="the page and the XML differ",
                )
            ],
            "confidence": {"invoice_number": 0.85, "invoice_date": 0.95, "total_gross": 0.5},
        }
    )
    # The rules' own setting by default (0.9), else the one given.
    assert fields_to_correct(doubtful) == ["invoice_number", "total_gross"]
    assert fields_to_correct(doubtful, review_confidence=0.8) == ["total_gross"]


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
    assert handling_seconds(snapshot.reviews) == {(1, 1): 600.0}


def test_a_decision_without_a_start_is_taken_untimed(engine: Engine) -> None:
    with Session(engine) as session:
        resolve_exception(session, invoice_id=1, decision="reject", corrections={},
                          reviewer="Ana", comment="", channel="terminal")  # fmt: skip
        now = datetime.now(UTC)
        snapshot = read_snapshot(session, start=now - timedelta(days=1), end=now + timedelta(1))
    [review] = snapshot.reviews
    assert review.started_at is None and handling_seconds(snapshot.reviews) == {}


# --------------------------------------------------------------------------------------
# Hardening (issue 12, item 7): names, four eyes, compare-and-set, escaping, bank details
# --------------------------------------------------------------------------------------

HOSTILE = (
    "[Pay now](https://evil.example/x) ![i](http://evil.example/p.png) www.evil.example "
    "<img src=x onerror=alert(1)>\n> **URGENT**: bank details changed | approve ‮now"
)


def store_case(engine: Engine, truth: dict[str, Any], *, master_csv: Path | None = None) -> int:
    """Store a sample's extraction as an exception invoice; return its id."""
    extraction = Extraction.model_validate(
        {key: value for key, value in truth.items() if key in CONTRACT_KEYS}
    )
    with Session(engine) as session:
        if master_csv is not None:
            master.import_vendors(session, path=master_csv)
        unique = hashlib.sha256(f"{extraction.sha256} {truth['source']}".encode()).hexdigest()
        claim = claim_document(
            session, sha256=unique, source="upload", file_name=truth["source"],
            size_bytes=1, batch_id=None, stale_after=timedelta(hours=1),
        )  # fmt: skip
        store = StoreHistory(session)
        results = validate(extraction, history=store, master=store)
        return record_invoice(
            session, document_id=claim.document_id, extraction=extraction,
            status=InvoiceStatus.EXCEPTION, results=results, archived_path="", seconds=0.1,
        )  # fmt: skip


def decide(engine: Engine, decision: str, reviewer: str, invoice_id: int = 1) -> ReviewDecision:
    with Session(engine) as session:
        return resolve_exception(
            session, invoice_id=invoice_id, decision=decision, corrections={},
            reviewer=reviewer, comment="", channel="terminal",
        )  # fmt: skip


def test_a_name_longer_than_the_audit_holds_is_refused_clearly(engine: Engine) -> None:
    with pytest.raises(PersonNameError, match="121 characters long: give 1 to 120"):
        decide(engine, "reject", "x" * 121)
    with Session(engine) as session, pytest.raises(PersonNameError, match="operator name"):
        start_review(session, invoice_id=1, operator="y" * 500, channel="terminal")
    runner = CliRunner()
    refused = runner.invoke(
        app, ["review", "resolve", "1", "--decision", "reject", "--reviewer", "z" * 300]
    )
    assert refused.exit_code == 1 and "300 characters long" in refused.output
    with Session(engine) as session:
        # Audited as refused, the name cut to what the column holds; nothing else changed.
        audit = session.exec(select(ReviewDecision)).one()
        assert audit.refused_reason and len(audit.reviewer) == 120
        assert session.get_one(Invoice, 1).status == "exception"


def test_four_eyes_needs_a_second_person_for_configured_exceptions(
    engine: Engine, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("INVOICEBOT_FOUR_EYES", "arithmetic")
    with Session(engine) as session:
        start_review(session, invoice_id=1, operator="Ana", channel="terminal")
    # Alone, Ana may stop the payment but not release it.
    with pytest.raises(FourEyesError, match="needs a second person") as refused:
        decide(engine, "approve", "Ana")
    assert refused.value.rules == ["BR-CO-15"] and refused.value.involved == []
    decide(engine, "escalate", "Ana")
    # Ana cannot approve after her own escalation, under her name or another's.
    for reviewer in ("Ana", " ana "):
        with pytest.raises(FourEyesError, match="someone other than Ana"):
            decide(engine, "approve", reviewer)
    with Session(engine) as session:
        start_review(session, invoice_id=1, operator="Ana", channel="terminal")
    with pytest.raises(FourEyesError):
        decide(engine, "approve", "Lead")  # the case is in Ana's hands again
    runner = CliRunner()
    cli = runner.invoke(
        app, ["review", "resolve", "1", "--decision", "approve", "--reviewer", "Ana"]
    )
    assert cli.exit_code == 1 and "four-eyes rule" in cli.output and "audited" in cli.output
    with Session(engine) as session:
        start = load_case(session, invoice_id=1).taken
        assert start is not None
        # Ana hands it back by escalating again; the lead takes it and approves.
        resolve_exception(
            session, invoice_id=1, decision="escalate", corrections={}, reviewer="Ana",
            comment="", channel="terminal",
        )  # fmt: skip
        start_review(session, invoice_id=1, operator="Lead", channel="terminal")
    assert decide(engine, "approve", "Lead").status_after == "approved"


def test_four_eyes_is_off_for_other_exceptions_and_when_configured_empty(
    engine: Engine, monkeypatch: pytest.MonkeyPatch
) -> None:
    # By default: vendor and bank-detail exceptions only; BR-CO-15 is anyone's to approve.
    assert decide(engine, "approve", "Ana").status_after == "approved"
    assert Settings(four_eyes="").four_eyes_scope == frozenset()


@pytest.fixture
def bank_case(engine: Engine, tmp_path: Path) -> int:
    """Return the id of an invoice whose IBAN is not the one the vendor master holds."""
    [(_pdf, truth)] = pick_samples(lambda t: t["source"] == "fr-classic-0026.pdf", 1)
    vendors = (SAMPLES / "vendors.csv").read_text(encoding="utf-8")
    changed = tmp_path / "vendors.csv"
    changed.write_text(vendors.replace(truth["fields"]["seller_iban"], MASTER_IBAN))
    return store_case(engine, truth, master_csv=changed)


MASTER_IBAN = "FR7630004898079230007871125"


def test_a_bank_detail_exception_is_under_four_eyes_by_default(
    engine: Engine, bank_case: int
) -> None:
    with Session(engine) as session:
        case = load_case(session, invoice_id=bank_case)
    assert "VENDOR-BANK-DETAILS" in {item.rule for item in case.exceptions}
    with pytest.raises(FourEyesError, match="VENDOR-BANK-DETAILS"):
        decide(engine, "approve", "Ana", invoice_id=bank_case)
    decide(engine, "escalate", "Ana", invoice_id=bank_case)
    assert decide(engine, "approve", "Lead", invoice_id=bank_case).status_after == "approved"


def test_bank_details_are_masked_except_on_the_decision_form(
    engine: Engine, bank_case: int
) -> None:
    with Session(engine) as session:
        case = load_case(session, invoice_id=bank_case)
    iban = case.fields.seller_iban
    assert iban is not None
    take_text = take_markdown(case)
    read_text = review_markdown(case)
    for text in (take_text, read_text):
        assert not contains_iban(text), text
        assert f"{iban[:4]}…{iban[-4:]}" in text
    decision_text = review_markdown(case, reveal_bank_details=True)
    assert "### Bank details to confirm" in decision_text
    assert f"`{iban}`" in decision_text and f"`{MASTER_IBAN}`" in decision_text
    # Only in that section: the reasons and the table of what was read stay masked.
    assert decision_text.count(iban) == 1 and decision_text.count(MASTER_IBAN) == 1


def test_supplier_text_is_escaped_in_every_description(engine: Engine) -> None:
    truth = {
        **FAULTY_TRUTH,
        "source": "[x](https://evil.example).pdf",
        "fields": {**FAULTY_TRUTH["fields"], "seller_name": HOSTILE, "invoice_number": "#1 **"},
        "lines": [{**FAULTY_TRUTH["lines"][0], "description": HOSTILE}],
    }
    invoice_id = store_case(engine, truth)
    decide(engine, "escalate", "<b>Ana</b> [x](http://evil.example)", invoice_id=invoice_id)
    with Session(engine) as session:
        case = load_case(session, invoice_id=invoice_id)
    renderer = MarkdownIt("commonmark").enable("table")
    for text in (review_markdown(case, reveal_bank_details=True), take_markdown(case)):
        html = renderer.render(text)
        assert "evil.example" in html  # shown, as text
        assert 'href="http' not in html and "<img" not in html and "<b>" not in html
        assert "<strong>URGENT" not in html and "onerror=" not in html.replace("onerror=alert", "")
        assert "www\\.evil\\.example" in text  # no autolink either
        assert "\u202e" not in text
        # Our own notices are the only quotes: the supplier's "> URGENT" is not one.
        assert html.count("<blockquote>") == len([p for p in text.split("\n\n") if p[0] == ">"])
    assert escape_markdown("a\nb | c") == "a b \\| c"


@pytest.mark.parametrize(
    ("first", "corrections"),
    [("reject", {}), ("approve_with_corrections", {"total_net": "1.00"})],
)
def test_the_second_of_two_racing_decisions_is_refused_and_audited(
    engine: Engine, monkeypatch: pytest.MonkeyPatch, first: str, corrections: dict[str, str]
) -> None:
    """The UI's decision reads the case, the terminal's is applied, then the UI's writes."""
    import invoicebot.review as review_module

    read_case = review_module.load_case

    def read_then_the_terminal_decides(session: Session, *, invoice_id: int) -> Any:
        stale = read_case(session, invoice_id=invoice_id)
        monkeypatch.setattr(review_module, "load_case", read_case)
        args = ["review", "resolve", "1", "--decision", first, "--reviewer", "Ben"]
        for name, value in corrections.items():
            args += ["--set", f"{name}={value}"]
        terminal = CliRunner().invoke(app, args)
        assert terminal.exit_code == 0, terminal.output
        return stale

    monkeypatch.setattr(review_module, "load_case", read_then_the_terminal_decides)
    with Session(engine) as session:
        with pytest.raises(ReviewConflictError, match="decided meanwhile by Ben") as conflict:
            resolve_exception(
                session, invoice_id=1, decision="approve", corrections={}, reviewer="Ana",
                comment="", channel="prefect-ui",
            )  # fmt: skip
        session.rollback()
        assert conflict.value.expected_status == "exception"
        record_refusal(
            session, invoice_id=1, decision="approve", reviewer="Ana", comment="",
            reason=str(conflict.value), channel="prefect-ui", flow_run_id=None,
        )  # fmt: skip
    _invoice, audits, labels = stored_rows(engine)
    assert [(a.reviewer, a.decision, a.refused_reason is None) for a in audits] == [
        ("Ben", first, True),
        ("Ana", "approve", False),
    ]
    assert [label.decided_by for label in labels] == ["Ben"]
    # The terminal, second this time, is refused as clearly, and audited.
    again = CliRunner().invoke(app, ["review", "resolve", "1", "--decision", "reject"])
    if first == "reject":
        assert again.exit_code == 1 and "Refused (audited)" in again.output
        assert len(stored_rows(engine)[1]) == 3


def stored_rows(engine: Engine) -> tuple[Invoice, list[ReviewDecision], list[OperatorDecision]]:
    with Session(engine) as session:
        invoice = session.get_one(Invoice, 1)
        audits = list(session.exec(select(ReviewDecision).order_by(ReviewDecision.id)).all())
        labels = list(session.exec(select(OperatorDecision)).all())
        session.expunge_all()
    return invoice, audits, labels


@pytest.mark.postgres
def test_long_names_are_refused_not_crashed_on_postgresql(
    postgres_url: str, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.setenv("INVOICEBOT_DATA_DIR", str(tmp_path))
    monkeypatch.setenv("INVOICEBOT_DATABASE_URL", postgres_url)
    engine = make_engine(postgres_url)
    init_store(engine)
    try:
        invoice_id = store_case(engine, FAULTY_TRUTH)
        runner = CliRunner()
        for args in (
            ["review", "start", str(invoice_id), "--operator", "o" * 121],
            ["review", "resolve", str(invoice_id), "--decision", "reject", "--reviewer", "r" * 500],
            ["review", "resolve", str(invoice_id), "--decision", "d" * 60],
        ):
            answer = runner.invoke(app, args)
            assert answer.exit_code == 1, answer.output
            assert "characters long" in answer.output or "unknown decision" in answer.output
        with Session(engine) as session:
            refusals = session.exec(select(ReviewDecision)).all()
            assert [len(r.reviewer) for r in refusals] == [120, len("operator")]
            assert len(refusals[1].decision) == 40
            assert session.get_one(Invoice, invoice_id).status == "exception"
    finally:
        SQLModel.metadata.drop_all(engine)
        with engine.begin() as connection:
            connection.execute(sql_text("DROP TABLE IF EXISTS alembic_version"))
        engine.dispose()


def test_a_corrected_value_longer_than_its_column_is_refused_before_the_store() -> None:
    with pytest.raises(ReviewInputError, match="do not fit"):
        parse_corrections({"currency": "EURO"}, InvoiceFields())
    with pytest.raises(ReviewInputError, match="seller_vat_id"):
        parse_corrections({"seller_vat_id": "FR" + "1" * 60}, InvoiceFields())
