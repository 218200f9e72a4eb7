"""`invoicebot report` end to end: a real store, the real command, the page in headless Chromium."""

from __future__ import annotations

import csv
import shutil
import subprocess
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from PIL import Image
from sqlmodel import Session

from invoicebot.report import OPERATOR_COLOUR, TOUCHLESS_COLOUR
from invoicebot.store import init_store, make_engine
from invoicebot.store.tables import BatchRun, Document, ExceptionRecord
from tests.e2e.test_cli import invoicebot, isolated_env

CHROMIUM = shutil.which("chromium")
SCREENSHOT = "kpi-report.png"  # in ``screenshot_dir`` (tests/e2e/conftest.py)
CHROMIUM_FLAGS = [
    "--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
    "--disable-component-update", "--disable-sync", "--no-first-run", "--hide-scrollbars",
]  # fmt: skip


def fill_store(data_dir: Path) -> None:
    """Store 12 invoices received over the last three days: 9 touchless, 2 exceptions, 1
    unreadable, processed by one 30-second batch."""
    engine = make_engine(f"sqlite:///{data_dir / 'invoicebot.db'}")
    init_store(engine)
    now = datetime.now(UTC)
    with Session(engine) as session:
        session.add(
            BatchRun(inbox="inbox", started_at=now - timedelta(hours=1), machine_seconds=30)
        )
        for number in range(1, 13):
            received = now - timedelta(hours=6 * number)
            name = f"inv-{number}.pdf"
            session.add(Document(id=number, sha256=f"{number:064d}", source=name, file_name=name,
                                 size_bytes=1, status="approved", claimed_at=received,
                                 processed_at=received + timedelta(seconds=3)))  # fmt: skip
        session.commit()
        for number, category in ((2, "arithmetic"), (5, "missing_field"), (9, "unreadable")):
            session.add(
                ExceptionRecord(document_id=number, rule="R", category=category, message="")
            )
        session.commit()


def chromium(*args: str, profile: Path) -> subprocess.CompletedProcess[str]:
    assert CHROMIUM is not None
    return subprocess.run(
        [CHROMIUM, *CHROMIUM_FLAGS, f"--user-data-dir={profile}", *args],
        capture_output=True, text=True, timeout=60, check=True,
    )  # fmt: skip


def colour_pixels(image: Image.Image, colour: str) -> int:
    """Return how many pixels of ``image`` have exactly the ``#rrggbb`` colour."""
    wanted = tuple(int(colour[i : i + 2], 16) for i in (1, 3, 5))
    return sum(count for count, rgb in image.getcolors(maxcolors=1 << 24) or [] if rgb == wanted)


@pytest.mark.skipif(CHROMIUM is None, reason="needs Debian's chromium: `make test` installs it")
def test_report_renders_in_chromium_with_its_charts(tmp_path: Path, screenshot_dir: Path) -> None:
    env = isolated_env(tmp_path)
    fill_store(Path(env["INVOICEBOT_DATA_DIR"]))
    page, table = tmp_path / "report.html", tmp_path / "invoices.csv"
    done = invoicebot("report", "--html", str(page), "--csv", str(table), env=env)
    assert done.returncode == 0, done.stderr[-3000:]
    assert "Processing time cut by" in done.stdout
    with table.open() as file:
        assert len(list(csv.DictReader(file))) == 12

    dom = chromium("--dump-dom", page.as_uri(), profile=tmp_path / "chrome").stdout
    assert dom.count('src="data:image/png;base64,') == 5
    assert "9 of 12 invoices approved with no human touch" in dom

    screenshot = screenshot_dir / SCREENSHOT
    chromium("--window-size=1100,3200", f"--screenshot={screenshot}", page.as_uri(),
             profile=tmp_path / "chrome")  # fmt: skip
    with Image.open(screenshot) as shot:
        rgb = shot.convert("RGB")
    # The bars are drawn in these colours and nothing else on the page is: decoded charts.
    assert colour_pixels(rgb, TOUCHLESS_COLOUR) > 500
    assert colour_pixels(rgb, OPERATOR_COLOUR) > 500
