"""Where the browser tests write their screenshots: a temporary folder, so that a test run
never rewrites a tracked file. ``make docs-images`` points ``INVOICEBOT_SCREENSHOT_DIR`` at
``docs/img`` to refresh the documentation's images on purpose."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

SCREENSHOT_DIR_VARIABLE = "INVOICEBOT_SCREENSHOT_DIR"


@pytest.fixture(scope="session")
def screenshot_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Return the folder screenshots go to: ``$INVOICEBOT_SCREENSHOT_DIR``, else a temp one."""
    chosen = os.environ.get(SCREENSHOT_DIR_VARIABLE)
    folder = Path(chosen) if chosen else tmp_path_factory.mktemp("screenshots")
    folder.mkdir(parents=True, exist_ok=True)
    return folder
