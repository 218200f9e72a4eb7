"""Seconds per invoice, in-process (extraction alone) and through the batch flow.

    uv run python benchmarks/throughput.py [--samples samples/invoices] [--repeat 3]

For each kind of sample (text PDF, scanned PDF, image, Factur-X) it times
``extract_document`` on every document, then runs the ``process-inbox`` flow on a
temporary inbox holding only that kind (a fresh data dir and an ephemeral Prefect server,
whose start-up is left out of the figure), and prints seconds per document for both.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import statistics
import tempfile
import time
from collections import defaultdict
from pathlib import Path

os.environ.setdefault("PREFECT_SERVER_ANALYTICS_ENABLED", "false")
os.environ.setdefault("PREFECT_LOGGING_TO_API_ENABLED", "false")
os.environ.setdefault("PREFECT_SERVER_EPHEMERAL_STARTUP_TIMEOUT_SECONDS", "90")


def documents_by_kind(samples: Path) -> dict[str, list[Path]]:
    """Return the sample documents grouped by the ``kind`` of their expected JSON."""
    kinds: dict[str, list[Path]] = defaultdict(list)
    for truth_path in sorted(samples.glob("*.json")):
        truth = json.loads(truth_path.read_text())
        kinds[truth.get("kind", "unknown")].append(samples / truth["source"])
    return dict(kinds)


def time_extraction(paths: list[Path], repeat: int) -> list[float]:
    """Return the best of ``repeat`` extraction times of each document, in seconds."""
    from extractors import extract_document
    from invoicebot.pipeline import extract_options
    from invoicebot.settings import Settings

    options = extract_options(Settings())
    timings = []
    for path in paths:
        best = float("inf")
        for _ in range(repeat):
            started = time.perf_counter()
            extract_document(path, options)
            best = min(best, time.perf_counter() - started)
        timings.append(best)
    return timings


def time_flow(paths: list[Path]) -> float:
    """Return the flow's machine seconds per document for an inbox of ``paths``."""
    from flows.process_inbox import process_inbox

    with tempfile.TemporaryDirectory() as folder:
        os.environ["INVOICEBOT_DATA_DIR"] = str(Path(folder) / "data")
        inbox = Path(folder) / "inbox"
        inbox.mkdir()
        for path in paths:
            shutil.copy2(path, inbox / path.name)
        started = time.perf_counter()
        summary = process_inbox(inbox=str(inbox))
        seconds = time.perf_counter() - started
        if summary.documents != len(paths) or summary.failures:
            raise RuntimeError(f"the flow processed {summary.documents} of {len(paths)} files")
    return seconds / len(paths)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--samples", type=Path, default=Path("samples/invoices"))
    parser.add_argument("--repeat", type=int, default=3, help="extraction runs per document")
    args = parser.parse_args()

    kinds = documents_by_kind(args.samples)
    # Warm the ephemeral Prefect server once so its start-up stays out of the figures.
    from flows.process_inbox import process_inbox

    with tempfile.TemporaryDirectory() as empty:
        os.environ["INVOICEBOT_DATA_DIR"] = str(Path(empty) / "data")
        process_inbox(inbox=empty)

    print(f"{'kind':<12} {'docs':>4} {'extract s/doc':>14} {'p90':>7} {'flow s/doc':>11}")
    for kind, paths in sorted(kinds.items()):
        timings = sorted(time_extraction(paths, args.repeat))
        p90 = timings[min(len(timings) - 1, int(0.9 * len(timings)))]
        flow_seconds = time_flow(paths)
        print(
            f"{kind:<12} {len(paths):>4} {statistics.mean(timings):>14.3f} {p90:>7.3f} "
            f"{flow_seconds:>11.3f}"
        )


if __name__ == "__main__":
    main()
