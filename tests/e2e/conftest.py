"""The stack the e2e tests share, the batch they read, and where the browser tests write
their screenshots.

One `make serve` stack serves test_serve.py's checks and the browser test of the review
form (test_ui.py): starting one takes a minute on a small machine. The test of `make stop`
(marked ``stops_stack``) runs right after the last other test that uses the stack.

One real batch (`tests/e2e/batch.py`) runs once for the tests of the exports and of the
lifecycle statuses: each copies the data folder it left.

Screenshots go to a temporary folder, so that a test run never rewrites a tracked file.
``make docs-images`` points ``INVOICEBOT_SCREENSHOT_DIR`` at ``docs/img`` to refresh the
documentation's images on purpose."""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.e2e.batch import ProcessedBatch, run_batch
from tests.e2e.test_serve import Stack, served_stack

SCREENSHOT_DIR_VARIABLE = "INVOICEBOT_SCREENSHOT_DIR"


@pytest.fixture(scope="session")
def screenshot_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Return the folder screenshots go to: ``$INVOICEBOT_SCREENSHOT_DIR``, else a temp one."""
    chosen = os.environ.get(SCREENSHOT_DIR_VARIABLE)
    folder = Path(chosen) if chosen else tmp_path_factory.mktemp("screenshots")
    folder.mkdir(parents=True, exist_ok=True)
    return folder


@pytest.fixture(scope="session")
def stack(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Stack]:
    """Return the stack `make serve` started for the session (stopped at its end)."""
    with served_stack(tmp_path_factory.mktemp("stack")) as served:
        yield served


@pytest.fixture(scope="session")
def processed_batch(tmp_path_factory: pytest.TempPathFactory) -> ProcessedBatch:
    """Run one real batch for the session (Prefect's ephemeral server, OCR included)."""
    return run_batch(tmp_path_factory.mktemp("batch"))


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """Run the tests that stop the shared stack right after the last other test using it
    (not at the end of the session: the stack would idle through the other tests)."""
    stopping = [item for item in items if item.get_closest_marker("stops_stack")]
    rest = [item for item in items if not item.get_closest_marker("stops_stack")]
    users = [
        index for index, item in enumerate(rest) if "stack" in getattr(item, "fixturenames", ())
    ]
    after = users[-1] + 1 if users else len(rest)
    items[:] = rest[:after] + stopping + rest[after:]
