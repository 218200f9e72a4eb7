"""The path of a document as configured steps: what a step sees, and how a configured
step's failure is contained (quarantined before the commit, flagged after, left in the
inbox before the claim); on SQLite and PostgreSQL."""

from __future__ import annotations

import json
from dataclasses import replace
from pathlib import Path

import pytest
from sqlmodel import Session, select

from invoicebot.model import InvoiceStatus
from invoicebot.pipeline import PipelineContext, StepFailedError, process_file
from invoicebot.steps import DocumentContext, StepResult
from invoicebot.store.tables import Document, Invoice
from tests.inbox import copy_into, pick_samples

BUILTIN = ["claim", "extract", "validate", "classify", "store", "route"]
SEEN: list[tuple[int | None, InvoiceStatus | None, object]] = []


class Spy:
    """Records what it sees of each stored document."""

    name = "spy"
    needs = ("archived", "tagged")
    adds = ()

    def run(self, doc: DocumentContext) -> StepResult:
        state = doc.invoices[0]
        SEEN.append((state.invoice_id, state.status, state.values["tagged"]))
        return StepResult()


class Tag:
    """Adds a value for a later step, invoice by invoice."""

    name = "tag"
    needs = ("results",)
    adds = ("tagged",)
    scope = "invoice"

    def run(self, doc: DocumentContext) -> StepResult:
        return StepResult(values={"tagged": len(doc.invoice.results) if doc.invoice else 0})


class Boom:
    """Fails, wherever it is placed."""

    name = "boom"
    needs = ()
    adds = ()

    def run(self, doc: DocumentContext) -> StepResult:
        raise ZeroDivisionError("the step's defect")


class BoomAfterStore(Boom):
    needs = ("stored",)


class BoomAfterRoute(Boom):
    needs = ("archived",)


HERE = "tests.unit.invoicebot.test_pipeline_steps"


def configured(context: PipelineContext, tmp_path: Path, steps: list[str]) -> PipelineContext:
    path = tmp_path / "steps.yaml"
    path.write_text("steps:\n" + "".join(f"  - {step}\n" for step in steps))
    return replace(context, settings=context.settings.model_copy(update={"steps_config": path}))


@pytest.fixture
def inbox(tmp_path: Path) -> Path:
    folder = tmp_path / "inbox"
    copy_into(folder, pick_samples(lambda t: t["kind"] == "text-pdf" and not t["faults"], 2))
    return folder


def test_a_configured_step_sees_the_stored_invoice(
    context: PipelineContext, inbox: Path, tmp_path: Path
) -> None:
    SEEN.clear()
    steps = [*BUILTIN[:3], f"{HERE}:Tag", *BUILTIN[3:], f"{HERE}:Spy"]
    path = sorted(inbox.iterdir())[0]
    (outcome,) = process_file(path, configured(context, tmp_path, steps))  # type: ignore[misc]
    assert outcome.status is InvoiceStatus.APPROVED
    ((invoice_id, status, tagged),) = SEEN
    assert invoice_id is not None and status is InvoiceStatus.APPROVED and tagged
    assert "step_failures" not in outcome.model_dump(mode="json")


def test_a_step_failing_before_the_commit_quarantines_the_document(
    context: PipelineContext, inbox: Path, tmp_path: Path
) -> None:
    failing = configured(context, tmp_path, [*BUILTIN[:5], f"{HERE}:BoomAfterStore", "route"])
    first, second = sorted(inbox.iterdir())
    (outcome,) = process_file(first, failing)  # type: ignore[misc]
    assert outcome.status is InvoiceStatus.QUARANTINED
    assert "step_failed: internal error in step 'boom'" in outcome.exceptions[0].message
    archived = context.settings.archive_dir / "quarantine" / first.name
    reason = json.loads(archived.with_name(archived.name + ".reason.json").read_text())
    assert reason["error"]["code"] == "step_failed"
    with Session(context.engine) as session:
        assert session.exec(select(Invoice)).all() == []  # rolled back: nothing stored
        assert session.exec(select(Document)).one().error_code == "step_failed"
    # The write lock and the transaction were given back: the next document goes through.
    (after,) = process_file(second, context)  # type: ignore[misc]
    assert after.status is InvoiceStatus.APPROVED


def test_a_step_failing_after_the_commit_flags_the_outcome(
    context: PipelineContext, inbox: Path, tmp_path: Path
) -> None:
    path = sorted(inbox.iterdir())[0]
    (outcome,) = process_file(
        path, configured(context, tmp_path, [*BUILTIN, f"{HERE}:BoomAfterRoute"])
    )  # type: ignore[misc]
    assert outcome.status is InvoiceStatus.APPROVED
    (flag,) = outcome.model_dump(mode="json")["step_failures"]
    assert flag == {
        "step": "boom",
        "message": "internal error in step 'boom': ZeroDivisionError(\"the step's defect\")",
    }
    assert (context.settings.archive_dir / "approved" / path.name).exists()


def test_a_step_failing_before_the_claim_leaves_the_file_in_the_inbox(
    context: PipelineContext, inbox: Path, tmp_path: Path
) -> None:
    path = sorted(inbox.iterdir())[0]
    with pytest.raises(StepFailedError, match="the file stays in the inbox"):
        process_file(path, configured(context, tmp_path, [f"{HERE}:Boom", *BUILTIN]))
    assert path.exists()
