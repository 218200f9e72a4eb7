"""The runner: steps in order when their needs are met, invoice steps invoice by invoice,
a configured step's failure contained and a built-in one's not."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

import pytest

from invoicebot.model import Extraction
from invoicebot.steps import DocumentContext, Scope, StepResult
from invoicebot.steps.document import InvoiceState, PlannedStep, StepContractError, call_directly
from invoicebot.steps.runner import run_steps
from invoicebot.steps.testing import stored_document


@dataclass
class Recorder:
    """A step that records each run and adds what it is told to."""

    name: str
    needs: tuple[str, ...] = ()
    adds: tuple[str, ...] = ()
    scope: Scope = Scope.DOCUMENT
    runs: list[str] = field(default_factory=list)
    fails: bool = False

    def run(self, doc: DocumentContext) -> StepResult:
        where = doc.invoice.extraction.source if doc.invoice is not None else "document"
        self.runs.append(f"{self.name}@{where}")
        if self.fails:
            raise ZeroDivisionError("a defect")
        return StepResult(added=self.adds)


def document(sources: list[str]) -> DocumentContext:
    doc = stored_document([Extraction(source=s, sha256="0" * 64) for s in sources])
    doc.invoices = [InvoiceState(extraction=state.extraction) for state in doc.invoices]
    doc.present = set()
    return doc


def plan(*steps: Recorder, builtin: bool = False) -> list[PlannedStep]:
    return [PlannedStep(step=step, source="tests", builtin=builtin) for step in steps]


def test_invoice_steps_run_invoice_by_invoice_between_document_steps() -> None:
    log: list[str] = []
    steps = [
        Recorder("open", adds=("opened",), runs=log),
        Recorder("check", ("opened",), ("checked",), Scope.INVOICE, runs=log),
        Recorder("keep", ("checked",), ("kept",), Scope.INVOICE, runs=log),
        Recorder("close", ("kept",), runs=log),
    ]
    run_steps(plan(*steps), document(["a", "b"]), call=call_directly, contain=pytest.fail)
    assert log == ["open@document", "check@a", "keep@a", "check@b", "keep@b", "close@document"]


def test_a_step_whose_needs_are_not_met_does_not_run() -> None:
    log: list[str] = []
    steps = [Recorder("first", runs=log), Recorder("second", ("never",), runs=log)]
    run_steps(plan(*steps), document(["a"]), call=call_directly, contain=pytest.fail)
    assert log == ["first@document"]


def test_a_configured_step_failure_is_contained() -> None:
    contained: list[tuple[str, str]] = []
    steps = plan(Recorder("bad", fails=True), Recorder("after"))
    doc = document(["a"])
    run_steps(
        steps,
        doc,
        call=call_directly,
        contain=lambda step, failure, _doc: contained.append((step.name, repr(failure))),
    )
    assert contained == [("bad", "ZeroDivisionError('a defect')")]


def test_a_step_adding_what_it_does_not_declare_is_contained() -> None:
    failures: list[Exception] = []

    @dataclass
    class Liar(Recorder):
        def run(self, doc: DocumentContext) -> StepResult:
            return StepResult(values={"undeclared": 1})

    run_steps(
        plan(Liar("liar")),
        document(["a"]),
        call=call_directly,
        contain=lambda _step, failure, _doc: failures.append(failure),
    )
    assert isinstance(failures[0], StepContractError)
    assert "added ['undeclared'] it does not declare" in str(failures[0])


def test_a_builtin_step_failure_propagates() -> None:
    with pytest.raises(ZeroDivisionError):
        run_steps(
            plan(Recorder("core", fails=True), builtin=True),
            document(["a"]),
            call=call_directly,
            contain=pytest.fail,
        )


def test_the_caller_runs_each_step() -> None:
    called: list[str] = []

    def caller(step: PlannedStep, doc: DocumentContext) -> StepResult:
        called.append(step.name)
        return step.run(doc)

    run_steps(
        plan(Recorder("one"), Recorder("two")), document(["a"]), call=caller, contain=pytest.fail
    )
    assert called == ["one", "two"]
    assert Path(document(["x/y.pdf"]).source) == Path("x/y.pdf")
