"""The daily KPI report: the period's KPI table as a markdown artifact, and an
``invoice.sla_breach`` event for each invoice waiting for an operator longer than the SLA,
so that a Prefect automation can notify someone."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from prefect import flow, get_run_logger, task
from prefect.artifacts import create_markdown_artifact
from prefect.cache_policies import NO_CACHE
from prefect.events import emit_event
from sqlmodel import Session

from invoicebot.kpis import (
    KpiParameters,
    KpiReport,
    SlaBreach,
    compute_kpis,
    read_snapshot,
    sla_breaches,
)
from invoicebot.settings import Settings
from invoicebot.store.engine import shared_engine

SLA_BREACH_EVENT = "invoice.sla_breach"


# No caching: the store changes between runs, the figures must be read afresh.
@task(cache_policy=NO_CACHE)
def compute_period_kpis(start: datetime, end: datetime, parameters: KpiParameters) -> KpiReport:
    """Return the KPIs of the documents received in ``[start, end)``."""
    engine = shared_engine(Settings().resolved_database_url)
    with Session(engine) as session:
        snapshot = read_snapshot(session, start=start, end=end)
    return compute_kpis(snapshot, parameters, now=end)


@task(cache_policy=NO_CACHE)
def publish_kpis(report: KpiReport) -> None:
    """Publish the period's KPI table as the ``kpi-report`` markdown artifact."""
    create_markdown_artifact(
        key="kpi-report",
        markdown="# KPI report\n\n" + report.markdown(),
        description=f"KPIs of {report.period}",
    )


@task(cache_policy=NO_CACHE)
def check_sla(now: datetime, sla_hours: float, lookback_days: int) -> list[SlaBreach]:
    """Emit an ``invoice.sla_breach`` event per invoice received in the last
    ``lookback_days`` and still undecided after ``sla_hours``; return the breaches."""
    engine = shared_engine(Settings().resolved_database_url)
    with Session(engine) as session:
        # The whole look-back, not just the report's period: an old exception still waits.
        snapshot = read_snapshot(session, start=now - timedelta(days=lookback_days), end=now)
    breaches = sla_breaches(snapshot.documents, now=now, sla_hours=sla_hours)
    for breach in breaches:
        emit_event(
            event=SLA_BREACH_EVENT,
            resource={"prefect.resource.id": f"invoicebot.document.{breach.document_id}"},
            payload={
                "document_id": breach.document_id,
                "received_at": breach.received_at.isoformat(),
                "hours_waiting": round(breach.hours_waiting, 1),
                "sla_hours": sla_hours,
                "categories": list(breach.categories),
            },
        )
    return breaches


@flow(name="kpi-report")
def kpi_report(days: int = 1, sla_lookback_days: int = 90) -> KpiReport:
    """Publish the KPIs of the last ``days`` days and raise the SLA breaches; return the KPIs."""
    logger = get_run_logger()
    settings = Settings()
    parameters = KpiParameters.from_settings(settings)
    now = datetime.now(UTC)
    report = compute_period_kpis(now - timedelta(days=days), now, parameters)
    publish_kpis(report)
    breaches = check_sla(now, settings.sla_hours, sla_lookback_days)
    logger.info(
        "%s %d invoices past the %g h SLA.", report.headline(), len(breaches), settings.sla_hours
    )
    return report
