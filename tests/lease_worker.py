"""A batch run of its own process for the multi-process claim tests: every file of an inbox
through ``process_path``, each read by ``FakeReader`` (no extraction: the race is the test).

    python -m tests.lease_worker INBOX

Settings come from the environment (``INVOICEBOT_DATA_DIR``, ``INVOICEBOT_DATABASE_URL``);
prints one line per file: its name and its outcome's status, or why it gave none.
"""

from __future__ import annotations

import sys
from pathlib import Path

from invoicebot.pipeline import PipelineContext, Skipped, extract_options
from invoicebot.settings import Settings
from invoicebot.store import make_engine
from tests.processing import process_path
from tests.unit.store.test_claiming import FakeReader


def main() -> None:
    inbox = Path(sys.argv[1])
    settings = Settings()
    engine = make_engine(settings.resolved_database_url)
    context = PipelineContext(settings, engine, None, extract_options(settings), FakeReader())  # type: ignore[arg-type]
    for path in sorted(inbox.iterdir()):
        outcome = process_path(path, context)
        status = outcome.value if isinstance(outcome, Skipped) else outcome.status.value
        print(path.name, status, flush=True)
    engine.dispose()


if __name__ == "__main__":
    main()
