"""The store's schema version: created at head, checked at start, 0.1.0 stores upgraded."""

from __future__ import annotations

import os
import subprocess
import sys
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest
from alembic import command
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import inspect, text
from sqlalchemy.engine import Engine
from sqlmodel import Session, SQLModel, select
from typer.testing import CliRunner

from invoicebot.cli import app
from invoicebot.store import init_store, make_engine
from invoicebot.store.schema import (
    BASELINE_REVISION,
    UPGRADE_COMMAND,
    StoreSchemaOutdatedError,
    StoreSchemaTooNewError,
    UnknownStoreError,
    alembic_config,
    current_revision,
    head_revision,
    upgrade_store,
)
from invoicebot.store.tables import Document
from tests.conftest import drop_everything


@pytest.fixture(params=["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)])
def empty_engine(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Engine]:
    if request.param == "sqlite":
        url = f"sqlite:///{tmp_path / 'store.db'}"
    else:
        url = request.getfixturevalue("postgres_url")
    engine = make_engine(url)
    drop_everything(engine)
    yield engine
    drop_everything(engine)
    engine.dispose()


def make_release_0_1_store(engine: Engine) -> None:
    """Build a store as invoicebot 0.1.0 left it: its tables (the baseline), no version."""
    with engine.begin() as connection:
        command.upgrade(alembic_config(connection), BASELINE_REVISION)
        connection.execute(text("DROP TABLE alembic_version"))


def revision_of(engine: Engine) -> str | None:
    with engine.connect() as connection:
        return current_revision(connection)


def test_a_new_store_is_created_at_head_and_matches_the_tables(empty_engine: Engine) -> None:
    init_store(empty_engine)
    assert revision_of(empty_engine) == head_revision()
    with empty_engine.connect() as connection:
        differences = compare_metadata(
            MigrationContext.configure(connection, opts={"compare_type": True}),
            SQLModel.metadata,
        )
    # A table or column added to the models without its migration shows here.
    assert differences == []
    init_store(empty_engine)  # opening it again checks the version and changes nothing


def test_a_store_of_release_0_1_is_refused_then_upgraded_with_its_data(
    empty_engine: Engine,
) -> None:
    make_release_0_1_store(empty_engine)
    with empty_engine.begin() as connection:
        connection.execute(
            text(
                "INSERT INTO document (sha256, source, file_name, size_bytes, status, claimed_at)"
                " VALUES ('ab', 'inbox/a.pdf', 'a.pdf', 10, 'approved', '2026-11-26 10:00:00')"
            )
        )
    with pytest.raises(StoreSchemaOutdatedError) as refused:
        init_store(empty_engine)
    assert refused.value.current is None
    assert refused.value.head == head_revision()
    assert UPGRADE_COMMAND in str(refused.value)

    done = upgrade_store(empty_engine)

    assert (done.before, done.after, done.changed) == (None, head_revision(), True)
    init_store(empty_engine)
    with Session(empty_engine) as session:
        assert session.exec(select(Document.file_name)).all() == ["a.pdf"]
    assert upgrade_store(empty_engine).changed is False


def test_a_store_of_an_unknown_newer_revision_is_refused(empty_engine: Engine) -> None:
    init_store(empty_engine)
    with empty_engine.begin() as connection:
        connection.execute(text("UPDATE alembic_version SET version_num = 'older'"))
    with pytest.raises(StoreSchemaTooNewError) as refused:
        init_store(empty_engine)
    assert refused.value.current == "older"


def test_a_database_of_something_else_is_not_taken_for_a_store(empty_engine: Engine) -> None:
    with empty_engine.begin() as connection:
        connection.execute(text("CREATE TABLE legacy_thing (id INTEGER PRIMARY KEY)"))
    with pytest.raises(UnknownStoreError) as refused:
        init_store(empty_engine)
    assert refused.value.tables == ["legacy_thing"]
    with pytest.raises(UnknownStoreError):
        upgrade_store(empty_engine)


def test_tables_dropped_by_hand_are_created_again(empty_engine: Engine) -> None:
    init_store(empty_engine)
    SQLModel.metadata.drop_all(empty_engine)  # what older test fixtures do: the version stays
    init_store(empty_engine)
    assert "document" in inspect(empty_engine).get_table_names()


def test_two_processes_creating_one_new_store_take_turns(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'store.db'}"
    engines = [make_engine(url), make_engine(url)]
    errors: list[BaseException] = []
    barrier = threading.Barrier(2)

    def open_store(engine: Engine) -> None:
        barrier.wait()
        try:
            init_store(engine)
        except BaseException as error:  # collected for the assertion below
            errors.append(error)

    threads = [threading.Thread(target=open_store, args=(engine,)) for engine in engines]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == []
    assert revision_of(engines[0]) == head_revision()


def test_db_upgrade_command_migrates_the_configured_store(
    data_dir: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    engine = make_engine(f"sqlite:///{(data_dir / 'invoicebot.db').resolve()}")
    make_release_0_1_store(engine)
    runner = CliRunner()

    upgraded = runner.invoke(app, ["db", "upgrade"])
    assert upgraded.exit_code == 0, upgraded.output
    assert f"to {head_revision()}" in upgraded.output
    again = runner.invoke(app, ["db", "upgrade"])
    assert "already at" in again.output
    current = runner.invoke(app, ["db", "current"])
    assert f"store: {head_revision()}" in current.output
    init_store(engine)
    engine.dispose()


def test_a_command_on_an_outdated_store_says_what_to_run(data_dir: Path) -> None:
    engine = make_engine(f"sqlite:///{(data_dir / 'invoicebot.db').resolve()}")
    make_release_0_1_store(engine)
    engine.dispose()
    done = subprocess.run(
        [sys.executable, "-m", "invoicebot", "review", "list"],
        capture_output=True,
        text=True,
        env={**os.environ, "INVOICEBOT_DATA_DIR": str(data_dir)},
        timeout=300,
        check=False,
    )
    assert done.returncode == 1
    assert UPGRADE_COMMAND in done.stderr and "Traceback" not in done.stderr


def test_a_store_at_0005_with_invoices_is_upgraded_to_several_invoices_per_file(
    empty_engine: Engine,
) -> None:
    with empty_engine.begin() as connection:
        command.upgrade(alembic_config(connection), "0005")
    rows = [
        "INSERT INTO document (id, sha256, source, file_name, size_bytes, status, claimed_at)"
        " VALUES (1, 'ab', 'inbox/a.pdf', 'a.pdf', 10, 'exception', '2026-11-26 10:00:00')",
        "INSERT INTO invoice (id, document_id, status, pages, confidence, created_at)"
        " VALUES (7, 1, 'exception', 1, '{}', '2026-11-26 10:00:01')",
        "INSERT INTO invoice_line (invoice_id, position) VALUES (7, 1)",
        "INSERT INTO exception (document_id, invoice_id, rule, category, message, state,"
        " created_at) VALUES (1, 7, 'BR-CO-15', 'arithmetic', 'm', 'open', '2026-11-26')",
        'INSERT INTO exception_case (document_id, "case", created_at)'
        " VALUES (1, '{}', '2026-11-26 10:00:01')",
    ]
    with empty_engine.begin() as connection:
        for row in rows:
            connection.execute(text(row))

    assert upgrade_store(empty_engine).after == head_revision()

    init_store(empty_engine)  # the store's schema is the models' now
    with empty_engine.begin() as connection:
        assert connection.execute(text("SELECT invoice_id FROM exception_case")).all() == [(7,)]
        assert connection.execute(text("SELECT count(*) FROM invoice_line")).scalar() == 1
        # A second invoice of the same file, with its pages.
        connection.execute(
            text(
                "INSERT INTO invoice (document_id, status, pages, first_page, last_page,"
                " confidence, created_at) VALUES (1, 'approved', 1, 2, 2, '{}', '2026-11-26')"
            )
        )
        pages = connection.execute(
            text("SELECT first_page, last_page FROM invoice WHERE document_id = 1")
        ).all()
    assert set(pages) == {(None, None), (2, 2)}
    if empty_engine.dialect.name == "sqlite":  # the foreign keys are on again
        with empty_engine.connect() as connection:
            assert connection.exec_driver_sql("PRAGMA foreign_keys").scalar() == 1


def test_a_store_at_0006_is_upgraded_to_keep_read_boxes(empty_engine: Engine) -> None:
    with empty_engine.begin() as connection:
        command.upgrade(alembic_config(connection), "0006")
        connection.execute(
            text(
                "INSERT INTO document (id, sha256, source, file_name, size_bytes, status,"
                " claimed_at) VALUES (1, 'ab', 'inbox/a.pdf', 'a.pdf', 10, 'exception',"
                " '2026-11-26 10:00:00')"
            )
        )
        connection.execute(
            text(
                "INSERT INTO invoice (id, document_id, status, pages, confidence, created_at)"
                " VALUES (7, 1, 'exception', 1, '{}', '2026-11-26 10:00:01')"
            )
        )

    assert upgrade_store(empty_engine).after == head_revision()

    with empty_engine.begin() as connection:
        # An invoice stored before keeps no boxes: the form says so rather than guess.
        assert connection.execute(text("SELECT boxes FROM invoice")).all() == [(None,)]


def test_a_store_at_0009_is_upgraded_with_its_invoices_as_invoices(empty_engine: Engine) -> None:
    with empty_engine.begin() as connection:
        command.upgrade(alembic_config(connection), "0009")
        connection.execute(
            text(
                "INSERT INTO document (id, sha256, source, file_name, size_bytes, status,"
                " claimed_at) VALUES (1, 'ab', 'inbox/a.pdf', 'a.pdf', 10, 'approved',"
                " '2026-11-26 10:00:00')"
            )
        )
        connection.execute(
            text(
                "INSERT INTO invoice (id, document_id, status, pages, confidence, created_at)"
                " VALUES (7, 1, 'approved', 1, '{}', '2026-11-26 10:00:01')"
            )
        )

    assert upgrade_store(empty_engine).after == head_revision()

    with empty_engine.begin() as connection:
        kept = connection.execute(
            text("SELECT document_type, preceding_invoice_number, credited_invoice_id FROM invoice")
        ).all()
    assert kept == [("invoice", None, None)]
