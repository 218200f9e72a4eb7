"""Print the Prefect server's PostgreSQL URL on the server of ``INVOICEBOT_DATABASE_URL``.

    uv run python scripts/prefect_database.py

``make serve`` runs it when the store is on PostgreSQL and
``PREFECT_SERVER_DATABASE_CONNECTION_URL`` is not set: the Prefect server then keeps its
database beside the store's, on the same PostgreSQL server, as ``<store database>_prefect``
(created here when missing), rather than in an SQLite file that several workers' task events
would lock. Prints nothing when the store is not on PostgreSQL.
"""

from __future__ import annotations

import os
import sys

import psycopg
from psycopg import sql
from sqlalchemy.engine import make_url


def prefect_database_url(store_url: str) -> str | None:
    """Return the asyncpg URL of the Prefect database beside the store's (None: the store is
    not on PostgreSQL), creating that database when missing."""
    url = make_url(store_url)
    if url.get_backend_name() != "postgresql":
        return None
    name = f"{url.database}_prefect"
    admin = url.set(drivername="postgresql")
    with psycopg.connect(
        admin.render_as_string(hide_password=False), autocommit=True, connect_timeout=10
    ) as connection:
        exists = connection.execute(
            "SELECT 1 FROM pg_database WHERE datname = %s", (name,)
        ).fetchone()
        if exists is None:
            connection.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))
    prefect = url.set(drivername="postgresql+asyncpg", database=name)
    return prefect.render_as_string(hide_password=False)


def main() -> None:
    store_url = os.environ.get("INVOICEBOT_DATABASE_URL", "")
    prefect_url = prefect_database_url(store_url) if store_url else None
    if prefect_url is not None:
        sys.stdout.write(prefect_url + "\n")


if __name__ == "__main__":
    main()
