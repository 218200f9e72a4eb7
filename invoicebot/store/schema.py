"""The store's schema version: Alembic migrations, checked when a process opens the store.

A new store is created at the newest revision (``head``). A store at an older revision, or
one made by invoicebot 0.1.0 (tables, no ``alembic_version``), is refused with
``StoreSchemaOutdatedError`` until ``invoicebot db upgrade`` brings it to head; a store made
by a newer invoicebot is refused with ``StoreSchemaTooNewError``.
"""

from __future__ import annotations

import hashlib
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from importlib.resources import files
from typing import Final

from alembic import command
from alembic.config import Config
from alembic.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import inspect, text
from sqlalchemy.engine import Connection, Engine
from sqlalchemy.exc import OperationalError

from invoicebot.model import InvoiceError

UPGRADE_COMMAND: Final = "invoicebot db upgrade"
BASELINE_REVISION: Final = "0001"
VERSION_TABLE: Final = "alembic_version"
# Tables every store made by invoicebot 0.1.0 has: their presence without a version table
# identifies such a store (the baseline revision is its schema).
BASELINE_TABLES: Final = frozenset({"batch_run", "document", "invoice", "exception"})
# One advisory lock key for "someone is creating or upgrading the schema" on PostgreSQL.
_SCHEMA_LOCK_KEY: Final = int.from_bytes(
    hashlib.blake2b(b"invoicebot.schema", digest_size=8).digest(), "big", signed=True
)


class StoreSchemaError(InvoiceError):
    """The store's schema is not the one this invoicebot works with."""

    def __init__(self, message: str, *, url: str, current: str | None, head: str) -> None:
        super().__init__(message)
        self.url = url
        self.current = current
        self.head = head


class StoreSchemaOutdatedError(StoreSchemaError):
    """The store was made by an older invoicebot: ``invoicebot db upgrade`` migrates it."""

    def __init__(self, *, url: str, current: str | None, head: str) -> None:
        found = "no schema version (a store of invoicebot 0.1.0)" if current is None else current
        super().__init__(
            f"the store at {url} has schema {found}, this invoicebot needs {head}: "
            f"run `{UPGRADE_COMMAND}` (back up the database first)",
            url=url,
            current=current,
            head=head,
        )
        self.command = UPGRADE_COMMAND


class StoreSchemaTooNewError(StoreSchemaError):
    """The store was migrated by a newer invoicebot than this one."""

    def __init__(self, *, url: str, current: str, head: str) -> None:
        super().__init__(
            f"the store at {url} has schema {current}, unknown to this invoicebot (its newest "
            f"is {head}): it was upgraded by a newer invoicebot; install that version",
            url=url,
            current=current,
            head=head,
        )


class UnknownStoreError(StoreSchemaError):
    """The database holds tables but no invoicebot store this version can recognise."""

    def __init__(self, *, url: str, tables: list[str], head: str) -> None:
        super().__init__(
            f"the database at {url} holds tables ({', '.join(tables[:8])}) but no invoicebot "
            "store: point INVOICEBOT_DATABASE_URL at an empty database or an invoicebot store",
            url=url,
            current=None,
            head=head,
        )
        self.tables = tables


@dataclass(frozen=True)
class SchemaUpgrade:
    """What ``upgrade_store`` did: the revision before (None: unversioned) and after."""

    before: str | None
    after: str

    @property
    def changed(self) -> bool:
        """Return True when a revision was applied or a 0.1.0 store was stamped."""
        return self.before != self.after


class StoreMigrationError(InvoiceError):
    """A migration would leave rows referring to rows that are gone: nothing was changed."""

    def __init__(self, *, url: str, broken: list[tuple[object, ...]]) -> None:
        super().__init__(
            f"the store {url} was not migrated: {len(broken)} rows would refer to missing "
            f"rows (table, row, parent, key): {broken[:5]}"
        )
        self.url = url
        self.broken = broken


def alembic_config(connection: Connection | None = None) -> Config:
    """Return the Alembic configuration of the store's migrations (no ``alembic.ini``)."""
    config = Config()
    config.set_main_option("script_location", str(files("invoicebot.store.migrations")))
    if connection is not None:
        config.attributes["connection"] = connection
    return config


def head_revision() -> str:
    """Return the newest revision of the store's schema."""
    head = ScriptDirectory.from_config(alembic_config()).get_current_head()
    if head is None:  # the baseline always exists
        raise RuntimeError("the store's migrations have no revision")
    return head


def current_revision(connection: Connection) -> str | None:
    """Return the store's recorded revision, None when it has none."""
    return MigrationContext.configure(connection).get_current_revision()


def _store_tables(connection: Connection) -> list[str]:
    return sorted(set(inspect(connection).get_table_names()) - {VERSION_TABLE})


def _url(engine: Engine) -> str:
    return engine.url.render_as_string(hide_password=True)


@contextmanager
def _schema_lock(engine: Engine) -> Iterator[Connection]:
    """Yield a connection in a transaction no other process can change the schema during."""
    with engine.connect() as connection:
        if connection.dialect.name != "sqlite":
            if connection.dialect.name == "postgresql":
                connection.execute(
                    text("SELECT pg_advisory_xact_lock(:key)"), {"key": _SCHEMA_LOCK_KEY}
                )
            yield connection
            connection.commit()
            return
        # SQLite's way to change a table others refer to is to build it anew (Alembic's batch
        # mode), which its foreign keys forbid while rows refer to it: they are off during
        # the change (only outside a transaction can they be), and checked before the commit.
        connection.exec_driver_sql("PRAGMA foreign_keys=OFF")
        try:
            # The write lock first: two processes creating one new SQLite file take turns.
            connection.exec_driver_sql("BEGIN IMMEDIATE")
            yield connection
            broken = connection.exec_driver_sql("PRAGMA foreign_key_check").fetchall()
            if broken:
                raise StoreMigrationError(url=_url(engine), broken=[tuple(row) for row in broken])
            connection.commit()
        finally:
            if connection.in_transaction():
                connection.rollback()
            connection.exec_driver_sql("PRAGMA foreign_keys=ON")


def ensure_schema(engine: Engine) -> str:
    """Create a new store at head, or check an existing one is at head; return the revision.

    Raises ``StoreSchemaOutdatedError`` (with the command to run) for an older store,
    ``StoreSchemaTooNewError`` for a newer one, ``UnknownStoreError`` for foreign tables.
    """
    for attempt in range(SQLITE_LOCKED_TRIES):
        try:
            return _ensure_schema(engine)
        except OperationalError as error:
            # A new SQLite file switched to WAL by two processes at once: SQLite answers
            # "locked" at once rather than waiting; the other one is creating the store.
            if engine.dialect.name != "sqlite" or "locked" not in str(error):
                raise
            if attempt == SQLITE_LOCKED_TRIES - 1:
                raise
            time.sleep(SQLITE_LOCKED_PAUSE_S * (attempt + 1))
    raise AssertionError("unreachable")


SQLITE_LOCKED_TRIES = 8
SQLITE_LOCKED_PAUSE_S = 0.25


def _ensure_schema(engine: Engine) -> str:
    head = head_revision()
    with engine.connect() as connection:
        current = current_revision(connection)
        tables = _store_tables(connection)
    if current == head and tables:
        return head
    if current is not None and tables:
        _refuse(engine, current=current, head=head)
    if tables:
        _refuse_unversioned(engine, tables=tables, head=head)
    with _schema_lock(engine) as connection:
        # Another process may have created the store while this one waited for the lock.
        current = current_revision(connection)
        tables = _store_tables(connection)
        if not tables:
            _create_at_head(connection)
            return head
    if current != head:
        _refuse(engine, current=current, head=head)
    return head


def _create_at_head(connection: Connection) -> None:
    if connection.dialect.has_table(connection, VERSION_TABLE):
        # A version row left by tables dropped by hand (tests' drop_all): start again.
        connection.execute(text(f"DELETE FROM {VERSION_TABLE}"))
    command.upgrade(alembic_config(connection), "head")


def _refuse(engine: Engine, *, current: str | None, head: str) -> None:
    script = ScriptDirectory.from_config(alembic_config())
    known = {revision.revision for revision in script.walk_revisions()}
    if current is not None and current not in known:
        raise StoreSchemaTooNewError(url=_url(engine), current=current, head=head)
    raise StoreSchemaOutdatedError(url=_url(engine), current=current, head=head)


def _refuse_unversioned(engine: Engine, *, tables: list[str], head: str) -> None:
    if set(tables) >= BASELINE_TABLES:
        raise StoreSchemaOutdatedError(url=_url(engine), current=None, head=head)
    raise UnknownStoreError(url=_url(engine), tables=tables, head=head)


def upgrade_store(engine: Engine) -> SchemaUpgrade:
    """Bring the store to head: a 0.1.0 store is stamped at the baseline first; return what
    was done. A new (empty) database is created at head."""
    head = head_revision()
    with _schema_lock(engine) as connection:
        before = current_revision(connection)
        tables = _store_tables(connection)
        if not tables:
            _create_at_head(connection)
            return SchemaUpgrade(before=None, after=head)
        if before is None:
            if not set(tables) >= BASELINE_TABLES:
                raise UnknownStoreError(url=_url(engine), tables=tables, head=head)
            command.stamp(alembic_config(connection), BASELINE_REVISION)
        elif before != head:
            script = ScriptDirectory.from_config(alembic_config())
            if before not in {revision.revision for revision in script.walk_revisions()}:
                raise StoreSchemaTooNewError(url=_url(engine), current=before, head=head)
        command.upgrade(alembic_config(connection), "head")
        return SchemaUpgrade(before=before, after=head)
