"""Retrain the exception resolution classifier from the simulator and operators' decisions."""

from __future__ import annotations

from prefect import flow, get_run_logger, task
from prefect.artifacts import create_markdown_artifact
from prefect.cache_policies import NO_CACHE
from pydantic import BaseModel
from sqlmodel import Session

from classifiers.cases import LabelledCase
from classifiers.resolution_model import Metrics
from classifiers.retraining_report import retrain_markdown
from classifiers.simulate import simulate_cases
from classifiers.train import retrain
from invoicebot.settings import Settings
from invoicebot.store.engine import shared_engine
from invoicebot.store.training_labels import labelled_history


class RetrainSummary(BaseModel):
    """What a retraining did: whether the new model replaced the current one, and why."""

    kept: bool
    cases: int
    operator_cases: int
    new: Metrics
    current: Metrics | None


@task(name="load-operator-decisions", cache_policy=NO_CACHE)
def load_operator_decisions() -> list[LabelledCase]:
    """Return operators' latest decisions from the store, as labelled cases."""
    settings = Settings()
    with Session(shared_engine(settings.resolved_database_url)) as session:
        return labelled_history(session)


# Training and saving replace files on disk: never answered from a cache.
@task(name="train-and-compare", cache_policy=NO_CACHE)
def train_and_compare(
    operator_cases: list[LabelledCase], simulated_cases: int, seed: int
) -> RetrainSummary:
    """Train on simulated cases plus ``operator_cases``; keep the model only if at least
    as good on the held-out cases as the current one."""
    cases = simulate_cases(simulated_cases, seed=seed) + operator_cases
    outcome = retrain(cases, Settings().resolution_model_dir, seed=seed)
    create_markdown_artifact(
        markdown=retrain_markdown(outcome),
        key="resolution-classifier",
        description="Held-out figures of the latest resolution classifier retraining",
    )
    return RetrainSummary(
        kept=outcome.kept,
        cases=outcome.cases,
        operator_cases=outcome.operator_cases,
        new=outcome.new,
        current=outcome.current,
    )


@flow(name="retrain-classifier")
def retrain_classifier(simulated_cases: int = 10_000, seed: int = 0) -> RetrainSummary:
    """Retrain on ``simulated_cases`` simulated cases plus every operator decision."""
    logger = get_run_logger()
    summary = train_and_compare(load_operator_decisions(), simulated_cases, seed)
    logger.info(
        "%s the new model: macro-F1 %.3f (current %s), %d operator decisions",
        "kept" if summary.kept else "discarded",
        summary.new.macro_f1,
        f"{summary.current.macro_f1:.3f}" if summary.current else "none",
        summary.operator_cases,
    )
    return summary
