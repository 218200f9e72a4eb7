"""Review forms of a demo batch whose page image loads in the browser.

    uv run python benchmarks/page_view_forms.py

Starts a stack with ``make serve`` on free ports (a temporary data dir), drops every own
sample (``samples/invoices``: text PDFs, scans, photos, Factur-X) in its inbox, runs the
``process-inbox`` deployment once, waits until every exception has its review run waiting
on its take form, then opens each run in the Prefect UI (Debian's Chromium, Playwright),
presses **Resume** and checks that the form's page image loaded (``naturalWidth > 0``) from
the page view. Prints the share of forms whose image loaded; exits 1 below 100 %.
"""

from __future__ import annotations

import shutil
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

from playwright.sync_api import sync_playwright

from tests.conftest import SAMPLES
from tests.e2e.test_serve import Stack, served_stack
from tests.e2e.test_ui import CHROMIUM, CHROMIUM_FLAGS, PAGE_IMAGE, log_in, start_scheduled_batch

BATCH_TIMEOUT_S = 1800
IMAGE_LOADED = (
    "img => img.complete ? img.naturalWidth : new Promise(done => "
    "{ img.onload = () => done(img.naturalWidth); img.onerror = () => done(0); })"
)


def main() -> int:
    """Run the batch and check every review form; return 0 when every image loaded."""
    with (
        tempfile.TemporaryDirectory(prefix="page-view-forms-") as folder,
        served_stack(Path(folder)) as stack,
    ):
        documents = [
            path for path in sorted(SAMPLES.iterdir()) if path.suffix in (".pdf", ".png", ".jpg")
        ]
        for path in documents:
            shutil.copy2(path, stack.data_dir / "inbox" / path.name)
        started = time.monotonic()
        batch = start_scheduled_batch(stack)
        reviews = wait_for_reviews(stack, batch)
        print(
            f"{len(documents)} documents, batch and review runs in "
            f"{time.monotonic() - started:.0f} s: {len(reviews)} review forms"
        )
        loaded = check_forms(stack, reviews)
    share = sum(loaded.values()) / len(loaded) if loaded else 0.0
    for name, ok in loaded.items():
        print(f"  {'loaded' if ok else 'NOT LOADED':<10} {name}")
    print(
        f"review forms whose page image loads: {sum(loaded.values())}/{len(loaded)} = {share:.0%}"
    )
    return 0 if loaded and share == 1.0 else 1


def wait_for_reviews(stack: Stack, batch: str) -> list[dict[str, Any]]:
    """Return the review runs waiting on their take forms once the batch has completed."""
    deadline = time.monotonic() + BATCH_TIMEOUT_S
    while time.monotonic() < deadline:
        state = stack.api("GET", f"/flow_runs/{batch}")["state"]["type"]
        if state in ("FAILED", "CRASHED", "CANCELLED"):
            raise RuntimeError(f"the batch ended {state}")
        runs = stack.api("POST", "/flow_runs/filter", {"flow_runs": {"tags": {"all_": ["review"]}}})
        waiting = [run for run in runs if run["state"]["type"] == "PAUSED"]
        if state == "COMPLETED" and runs and len(waiting) == len(runs):
            return sorted(waiting, key=lambda run: str(run["name"]))
        time.sleep(5)
    raise RuntimeError(f"the batch and its review runs did not settle in {BATCH_TIMEOUT_S} s")


def check_forms(stack: Stack, reviews: list[dict[str, Any]]) -> dict[str, bool]:
    """Return, for each review run, whether its take form's page image loaded."""
    loaded: dict[str, bool] = {}
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_FLAGS)
        try:
            page = browser.new_page(viewport={"width": 1280, "height": 1400})
            log_in(page, stack)
            for run in reviews:
                page.goto(f"{stack.ui_url}/runs/flow-run/{run['id']}")
                page.get_by_role("button", name="Resume").click(timeout=60_000)
                dialog = page.get_by_role("dialog")
                dialog.get_by_text("Take this case").wait_for(timeout=60_000)
                images = dialog.locator(PAGE_IMAGE)
                # A standalone XML e-invoice has no page: it would have no image (none here).
                width = images.first.evaluate(IMAGE_LOADED) if images.count() else 0
                src = images.first.get_attribute("src") if images.count() else ""
                loaded[str(run["name"])] = bool(width) and str(src).startswith(stack.page_view_url)
                page.keyboard.press("Escape")
        finally:
            browser.close()
    return loaded


if __name__ == "__main__":
    sys.exit(main())
