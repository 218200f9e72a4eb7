"""Shared fixtures: sample paths, an isolated data dir, PostgreSQL when a server answers, a
fresh store on each."""

from __future__ import annotations

import json
import os
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import text
from sqlalchemy.engine import Engine
from sqlmodel import SQLModel

from invoicebot.mailbox import MailboxConfig
from invoicebot.settings import Settings
from invoicebot.store import init_store, make_engine
from tests.dovecot import DovecotUnavailableError, ImapServer, dovecot_server

# Before Prefect is imported anywhere: no telemetry, no log shipping, a patient start-up.
os.environ.setdefault("PREFECT_SERVER_ANALYTICS_ENABLED", "false")
os.environ.setdefault("PREFECT_LOGGING_TO_API_ENABLED", "false")
os.environ.setdefault("PREFECT_SERVER_EPHEMERAL_STARTUP_TIMEOUT_SECONDS", "90")
# The samples are dated around this day: date rules must judge them as of then, forever.
SAMPLES_REFERENCE_DATE = "2026-11-26"
os.environ.setdefault("INVOICEBOT_RULES_REFERENCE_DATE", SAMPLES_REFERENCE_DATE)

ROOT = Path(__file__).resolve().parent.parent
SAMPLES = ROOT / "samples" / "invoices"
SHARED_DATASETS = ROOT.parent / "shared" / "datasets"
POSTGRES_ADMIN_URL = os.environ.get(
    "INVOICEBOT_TEST_POSTGRES_URL", "postgresql://postgres@127.0.0.1:5432/test"
)


def sample_truths() -> list[tuple[Path, dict[str, Any]]]:
    """Return every committed sample document with its expected JSON."""
    truths = []
    for truth_path in sorted(SAMPLES.glob("*.json")):
        truth = json.loads(truth_path.read_text())
        truths.append((SAMPLES / truth["source"], truth))
    return truths


@pytest.fixture
def data_dir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """Point INVOICEBOT_DATA_DIR at a fresh folder, with the default SQLite store."""
    folder = tmp_path / "data"
    monkeypatch.setenv("INVOICEBOT_DATA_DIR", str(folder))
    monkeypatch.delenv("INVOICEBOT_DATABASE_URL", raising=False)
    return folder


@pytest.fixture(scope="session")
def imap_server() -> Iterator[ImapServer]:
    """Run a real Dovecot IMAP server for the session; skip, saying why, where it cannot."""
    try:
        with dovecot_server() as server:
            yield server
    except DovecotUnavailableError as error:
        pytest.skip(f"no IMAP server for the mailbox tests: {error}")


@pytest.fixture
def mailbox_config(imap_server: ImapServer) -> MailboxConfig:
    """Return a new user of the IMAP server, with an empty mailbox."""
    return imap_server.add_user()


@pytest.fixture(scope="session")
def postgres_url() -> Iterator[str]:
    """Create a throw-away database on the local PostgreSQL server; skip when none answers."""
    psycopg = pytest.importorskip("psycopg")
    try:
        admin = psycopg.connect(POSTGRES_ADMIN_URL, autocommit=True, connect_timeout=3)
    except psycopg.OperationalError as error:
        pytest.skip(f"no PostgreSQL server answers at {POSTGRES_ADMIN_URL}: {error}")
    name = f"invoicebot_test_{uuid.uuid4().hex[:10]}"
    with admin:
        admin.execute(f'CREATE DATABASE "{name}"')
        url = POSTGRES_ADMIN_URL.rsplit("/", 1)[0] + f"/{name}"
        try:
            yield url
        finally:
            admin.execute(f'DROP DATABASE "{name}" WITH (FORCE)')


def drop_everything(engine: Engine) -> None:
    """Drop the store's tables and the version table (PostgreSQL databases are shared)."""
    SQLModel.metadata.drop_all(engine)
    with engine.begin() as connection:
        connection.execute(text("DROP TABLE IF EXISTS alembic_version"))
        connection.execute(text("DROP TABLE IF EXISTS legacy_thing"))


@pytest.fixture(params=["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)])
def engine(request: pytest.FixtureRequest, data_dir: Path) -> Iterator[Engine]:
    """A fresh store on SQLite (in the data dir), and on the PostgreSQL server where one
    answers. Tests that need another store (SQLite only, master data loaded) override it."""
    url = (
        Settings().resolved_database_url
        if request.param == "sqlite"
        else request.getfixturevalue("postgres_url")
    )
    engine = make_engine(url)
    drop_everything(engine)
    init_store(engine)
    yield engine
    drop_everything(engine)
    engine.dispose()
