"""The pipeline context of the pipeline tests: a fresh store on SQLite and on PostgreSQL.

A module that needs other settings or options defines its own ``context``."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy.engine import Engine
from sqlmodel import SQLModel

from invoicebot.pipeline import PipelineContext, extract_options
from invoicebot.settings import Settings
from invoicebot.store import init_store, make_engine


@pytest.fixture(params=["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)])
def context(request: pytest.FixtureRequest, data_dir: Path) -> Iterator[PipelineContext]:
    settings = Settings()
    url = (
        settings.resolved_database_url
        if request.param == "sqlite"
        else request.getfixturevalue("postgres_url")
    )
    engine: Engine = make_engine(url)
    init_store(engine)
    yield PipelineContext(settings, engine, None, extract_options(settings))
    SQLModel.metadata.drop_all(engine)
    engine.dispose()
