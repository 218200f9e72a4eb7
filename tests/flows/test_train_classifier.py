"""The retrain-classifier flow under a real (test) Prefect server, then the batch flow
suggesting a resolution for an exception with the model it saved."""

from __future__ import annotations

from pathlib import Path

from prefect.client.orchestration import get_client
from prefect.client.schemas.filters import ArtifactFilter, ArtifactFilterKey
from sqlmodel import Session, select

from classifiers.resolution_model import has_model
from flows.process_inbox import process_inbox
from flows.train_classifier import retrain_classifier
from invoicebot.model import InvoiceStatus, Resolution
from invoicebot.settings import Settings
from invoicebot.store.engine import make_engine
from invoicebot.store.tables import ExceptionRecord
from tests.inbox import copy_into, pick_samples


def latest_markdown(key: str) -> str:
    with get_client(sync_client=True) as client:
        artifacts = client.read_artifacts(
            artifact_filter=ArtifactFilter(key=ArtifactFilterKey(any_=[key])), limit=1
        )
    return str(artifacts[0].data)


def test_retrain_saves_a_model_the_batch_uses_for_suggestions(
    data_dir: Path, tmp_path: Path
) -> None:
    first = retrain_classifier(simulated_cases=800, seed=3)
    assert first.kept and first.current is None
    assert has_model(Settings().resolution_model_dir)
    report = latest_markdown("resolution-classifier")
    assert "Confusion matrix" in report and "approve_anyway" in report

    again = retrain_classifier(simulated_cases=800, seed=3)
    assert again.current is not None, "the second run competes with the saved model"
    assert again.kept, "the same data makes an equally good model"

    faulty = pick_samples(lambda t: "BR-CO-15" in t["faults"], 1)
    inbox = tmp_path / "inbox"
    copy_into(inbox, faulty)
    summary = process_inbox(inbox=str(inbox))

    outcome = summary.invoices[0]
    assert outcome.status is InvoiceStatus.EXCEPTION
    assert outcome.suggestion is not None
    assert outcome.suggestion.resolution in set(Resolution)
    assert 0 < outcome.suggestion.probability <= 1
    engine = make_engine(Settings().resolved_database_url)
    with Session(engine) as session:
        stored = session.exec(select(ExceptionRecord)).all()
    engine.dispose()
    assert stored
    assert {row.suggested_resolution for row in stored} == {outcome.suggestion.resolution.value}
