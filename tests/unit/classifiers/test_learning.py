"""Learning from operators: a habit the simulator never had is learnt from their decisions.

The simulator says a 1-3 % gap between net + VAT and the gross total of an invoice read
with confidence is the supplier's error (request a credit note). Operators know one
supplier whose invoices always show such gaps (freight rounded on the gross) and approve
them every time. Their decisions, recorded through the store as the review form records
them, teach the retrained model to suggest approving that supplier's gaps - and only his.
"""

from __future__ import annotations

from decimal import Decimal
from pathlib import Path

from sqlalchemy.engine import Engine
from sqlmodel import Session

from classifiers.cases import ExceptionCase, LabelledCase
from classifiers.resolution_model import load_model
from classifiers.train import RetrainOutcome, retrain
from invoicebot.model import Resolution
from invoicebot.store.training_labels import extraction_case, labelled_history, record_label
from tests.unit.classifiers.conftest import gap_extraction, gap_result, store_exception_invoice

HABIT_SUPPLIER = "FR55HABIT0001"
OTHER_SUPPLIER = "FR66OTHER0002"
DECISIONS = 40


def gap_of(number: int) -> tuple[Decimal, Decimal]:
    """Return a gross total and a 1-3 % gap, varied per invoice."""
    gross = Decimal(400 + 37 * number)
    return gross, (gross * Decimal(10 + number % 20) / 1000).quantize(Decimal("0.01"))


def new_case(session: Session, vat_id: str, number: int) -> ExceptionCase:
    gross, gap = gap_of(number)
    extraction = gap_extraction(number, vat_id=vat_id, gross=gross)
    return extraction_case(session, extraction=extraction, results=[gap_result(gross, gap)])


def suggestions(folder: Path, cases: list[ExceptionCase]) -> list[Resolution]:
    model = load_model(folder)
    return [model.suggest(case).resolution for case in cases]


def test_retrained_model_follows_an_operator_habit(
    engine: Engine, simulated: list[LabelledCase], tmp_path: Path
) -> None:
    folder = tmp_path / "model"
    first = retrain(simulated, folder, seed=7)
    with Session(engine) as session:
        for number in range(DECISIONS):
            gross, gap = gap_of(number)
            document = store_exception_invoice(
                session, number, vat_id=HABIT_SUPPLIER, gross=gross, gap=gap
            )
            record_label(
                session, document_id=document, resolution="approve_anyway", decided_by="ana"
            )
        operators = labelled_history(session)
        habit = [new_case(session, HABIT_SUPPLIER, 1000 + n) for n in range(5)]
        other = [new_case(session, OTHER_SUPPLIER, 1000 + n) for n in range(5)]

    before = suggestions(folder, habit)
    second: RetrainOutcome = retrain([*simulated, *operators], folder, seed=7)
    after_habit, after_other = suggestions(folder, habit), suggestions(folder, other)

    assert first.kept and second.kept
    assert second.operator_cases == DECISIONS
    assert Resolution.APPROVE_ANYWAY not in before, "the simulator never taught this habit"
    assert after_habit == [Resolution.APPROVE_ANYWAY] * 5
    assert Resolution.APPROVE_ANYWAY not in after_other, "only this supplier's gaps"
