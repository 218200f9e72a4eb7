"""Engine factory of the store: SQLite file by default, PostgreSQL through a URL."""

from __future__ import annotations

from functools import cache
from pathlib import Path
from typing import Any

from sqlalchemy import event
from sqlalchemy.engine import Engine, make_url
from sqlmodel import create_engine

# Imported to register their tables on SQLModel.metadata.
from invoicebot.store import (  # noqa: F401
    lifecycle,
    mail,
    master,
    retention,
    retries,
    review_audit,
    tables,
    training_labels,
)
from invoicebot.store.schema import ensure_schema


def normalise_database_url(url: str) -> str:
    """Return ``url`` with the psycopg 3 driver named for a bare ``postgresql://`` URL."""
    if url.startswith("postgresql://") or url.startswith("postgres://"):
        return "postgresql+psycopg://" + url.split("://", 1)[1]
    return url


def make_engine(url: str) -> Engine:
    """Return an engine for ``url``, creating the SQLite file's folder when needed."""
    url = normalise_database_url(url)
    parsed = make_url(url)
    if parsed.get_backend_name() != "sqlite":
        return create_engine(url, pool_pre_ping=True)
    if parsed.database and parsed.database != ":memory:":
        Path(parsed.database).parent.mkdir(parents=True, exist_ok=True)
    engine = create_engine(url, connect_args={"check_same_thread": False, "timeout": 30})
    event.listen(engine, "connect", _configure_sqlite)
    return engine


def _configure_sqlite(connection: Any, _record: Any) -> None:
    # WAL lets readers go on while a batch writes; foreign keys are off by default in SQLite.
    cursor = connection.cursor()
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute("PRAGMA busy_timeout=30000")
    cursor.close()


@cache
def shared_engine(url: str) -> Engine:
    """Return one engine per URL for the whole process, its schema created or checked."""
    engine = make_engine(url)
    init_store(engine)
    return engine


def init_store(engine: Engine) -> None:
    """Create a new store at the newest schema revision, or check an existing one is at it.

    Raises ``StoreSchemaOutdatedError`` (it names ``invoicebot db upgrade``) for a store made
    by an older invoicebot, ``StoreSchemaTooNewError`` for one made by a newer one.
    """
    ensure_schema(engine)
