"""Alembic environment of the store: runs on the connection ``invoicebot.store.schema`` gives.

There is no ``alembic.ini``: ``invoicebot.store.schema.alembic_config`` builds the
configuration in code and passes the open connection in ``config.attributes["connection"]``.
"""

from __future__ import annotations

from alembic import context
from sqlalchemy.engine import Connection
from sqlmodel import SQLModel

# Imported to register every table on SQLModel.metadata (autogenerate compares with it).
from invoicebot.store import mail, master, retries, review_audit, tables, training_labels  # noqa: F401


def run_migrations(connection: Connection) -> None:
    """Run the pending revisions on ``connection`` in one transaction."""
    context.configure(
        connection=connection,
        target_metadata=SQLModel.metadata,
        render_as_batch=connection.dialect.name == "sqlite",
        compare_type=True,
    )
    with context.begin_transaction():
        context.run_migrations()


def main() -> None:
    """Entry point Alembic calls; only online migrations on a given connection are supported."""
    connection = context.config.attributes.get("connection")
    if not isinstance(connection, Connection):
        raise RuntimeError(
            "invoicebot's migrations run through `invoicebot db upgrade` "
            "(invoicebot.store.schema), which passes the connection"
        )
    run_migrations(connection)


main()
