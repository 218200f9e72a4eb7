"""The scheduled mailbox flow: invoices attached to e-mails taken into the inbox."""

from __future__ import annotations

from pathlib import Path

from prefect import flow, get_run_logger, task
from prefect.artifacts import create_table_artifact
from prefect.blocks.system import Secret
from prefect.cache_policies import NO_CACHE

from invoicebot.mailbox import FetchReport, MailboxConfig, fetch_mailbox
from invoicebot.privacy import mask_text
from invoicebot.settings import Settings
from invoicebot.store.engine import shared_engine


def mailbox_password(block: str | None) -> str | None:
    """Return the password kept in the Prefect Secret block ``block`` (None: no block, the
    settings' ``INVOICEBOT_MAILBOX_PASSWORD`` stands)."""
    if not block:
        return None
    secret = Secret.load(block)
    value = secret.get()
    return str(value)


# Retried: the server may be briefly unreachable; a retry fetches nothing twice (the ledger).
@task(name="fetch-messages", retries=2, retry_delay_seconds=30, cache_policy=NO_CACHE)
def fetch_messages(config: MailboxConfig, inbox: str, limit: int | None) -> FetchReport:
    """Return what taking the mailbox's new messages into ``inbox`` did."""
    settings = Settings()
    engine = shared_engine(settings.resolved_database_url)
    return fetch_mailbox(config, inbox=Path(inbox), settings=settings, engine=engine, limit=limit)


@flow(name="fetch-mailbox", log_prints=True)
def fetch_mailbox_flow(
    inbox: str, password_block: str | None = None, limit: int | None = None
) -> FetchReport:
    """Take the attachments of the mailbox's new messages into ``inbox`` and return the
    report; the ``process-inbox`` flow then reads them with the folder's files."""
    # Read before the retried task: a missing setting or block fails the run at once,
    # naming it, instead of being retried.
    config = MailboxConfig.from_settings(Settings(), password=mailbox_password(password_block))
    report = fetch_messages(config, inbox, limit)
    get_run_logger().info(
        "%d messages: %d attachments into %s, %d quarantined, %d taken before (%.1f s)",
        report.messages,
        report.delivered,
        inbox,
        report.quarantined,
        report.already_taken,
        report.seconds,
    )
    create_table_artifact(
        key="fetch-mailbox-messages",
        table=[
            {
                "message": mask_text(outcome.message_key),
                "into the inbox": ", ".join(outcome.delivered),
                # Bank details masked: artifacts live in the Prefect database, kept and shown.
                "quarantined": mask_text(
                    "; ".join(f"{part}: {reason}" for part, reason in outcome.quarantined.items())
                ),
                "taken before": outcome.already_taken,
            }
            for outcome in report.outcomes
        ],
        description=f"The messages of {report.mailbox} this run took.",
    )
    return report
