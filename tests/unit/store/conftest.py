"""Fixtures shared by the store's tests."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy.engine import Engine

from invoicebot.settings import Settings
from invoicebot.store import init_store, make_engine
from tests.unit.store.test_schema import drop_everything


@pytest.fixture(params=["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)])
def engine(request: pytest.FixtureRequest, data_dir: Path) -> Iterator[Engine]:
    """A fresh store on SQLite, and on the PostgreSQL server where one answers."""
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
