"""Scanned pages through ``invoicebot run`` against tesseract alone on the same page images.

    uv run python benchmarks/scan_floor.py [--documents 40] [--cores 1 2] [--skip-flow]

A batch of ``--documents`` scanned-PDF invoices is made by the sample generator
(``samples.invoices.generate``, kept in ``--batch`` between runs). Then, for each entry of
``--cores`` (the first that many CPUs, set as the affinity of everything started):

- **floor**: the page images the pipeline gives tesseract (rendered at the pipeline's dpi and
  prepared by ``extractors.ocr.prepared_page``), read by libtesseract with the pipeline's
  languages and page segmentation mode, one process per core, ``OMP_THREAD_LIMIT=1``, the
  models loaded before the clock starts: pages per second;
- **flow**: ``invoicebot run --json`` over the batch (fresh data dir and SQLite store, an
  ephemeral Prefect server warmed by a run over an empty inbox): pages per second over the
  batch's own interval (the store's ``batch_run`` start and finish, so the command's start-up
  is left out), and over the whole command;

and prints the ratio flow/floor and the speed-up from the first entry of ``--cores`` to the
last. Then the CPU seconds per page of each stage of the scanned path, measured in this process
on the same batch with the options the batch uses (each stage's thread CPU time, so the figure
holds on a loaded machine): the text-layer probe, render, preprocessing, tesseract on the page,
tesseract's second look at the ink it passed over (``extractors.unread_ink``) and at the
numbers it read unsurely (``extractors.uncertain_words``), both "tesseract bands", the second
engine (RapidOCR), reading the fields, and the rest of the cascade; and the flow's CPU seconds
per page beyond the reading (the store and Prefect), from the whole ``invoicebot run`` process
tree, counted by a cgroup (``benchmarks/cpu_group.py``: needs root).
"""

from __future__ import annotations

import argparse
import functools
import importlib
import json
import os
import resource
import sqlite3
import subprocess
import sys
import tempfile
import threading
import time
from collections import defaultdict
from collections.abc import Callable, Iterator, Sequence
from concurrent.futures import ProcessPoolExecutor
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

import pypdfium2

from benchmarks.cpu_group import CpuGroup, start_in

ROOT = Path(__file__).resolve().parents[1]
SEED = 2026
RUN_TIMEOUT_S = 3600
# An image lower than this is a band of a page read again (at most 2.5 % of an A4 page's height
# at 300 dpi, with its margins), not a page.
BAND_HEIGHT = 400


@dataclass
class FlowRun:
    """One ``invoicebot run`` over the batch."""

    pages: int
    batch_s: float
    command_s: float
    cpu_s: float


def make_batch(folder: Path, documents: int) -> list[Path]:
    """Return ``documents`` generated scanned-PDF invoices in ``folder``, made if missing."""
    from samples.invoices.generate import Kind, plan_documents, render_document

    folder.mkdir(parents=True, exist_ok=True)
    plans = [p for p in plan_documents(8 * documents, SEED) if p.kind is Kind.SCANNED_PDF]
    if len(plans) < documents:
        raise RuntimeError(f"the generator planned {len(plans)} scans, not {documents}")
    paths = []
    for plan in plans[:documents]:
        path = folder / f"{plan.stem}.pdf"
        if not path.is_file():
            path.write_bytes(render_document(plan, SEED))
        paths.append(path)
    return paths


def page_count(paths: Sequence[Path]) -> int:
    total = 0
    for path in paths:
        document = pypdfium2.PdfDocument(path.read_bytes())
        total += len(document)
        document.close()
    return total


def cpus(count: int) -> set[int]:
    """Return the first ``count`` CPUs this process may run on."""
    available = sorted(os.sched_getaffinity(0))
    if count > len(available):
        raise SystemExit(f"{count} cores asked, {len(available)} available")
    return set(available[:count])


# --- the floor: tesseract alone --------------------------------------------------------------


def prepared_images(paths: Sequence[Path], folder: Path) -> list[Path]:
    """Return the page images the pipeline OCRs, written as PGM files into ``folder``."""
    from extractors.base import Deadline
    from extractors.ocr import prepared_page, render_pdf_pages
    from invoicebot.pipeline import extract_options
    from invoicebot.settings import Settings

    options = extract_options(Settings())
    images = []
    for path in paths:
        deadline = Deadline(at=time.monotonic() + 600, source=str(path))
        for number, image in render_pdf_pages(path.read_bytes(), None, options.ocr_dpi, deadline):
            target = folder / f"{path.stem}-{number}.pgm"
            prepared_page(image).save(target, format="PPM")
            images.append(target)
    return images


_API: Any = None


def _load_api(languages: str, psm: int, warm: str) -> None:
    """Load this floor process's tesseract models and read one page untimed."""
    global _API
    os.environ["OMP_THREAD_LIMIT"] = "1"
    import tesserocr

    from extractors.tesseract_api import tessdata_path

    _API = tesserocr.PyTessBaseAPI(path=f"{tessdata_path()}{os.sep}", lang=languages, psm=psm)
    _read_image(warm)


def _read_image(path: str) -> int:
    """Return how many words tesseract reads on the image at ``path``."""
    import tesserocr
    from PIL import Image

    with Image.open(path) as image:
        _API.SetImage(image)
        _API.Recognize()
    level = tesserocr.RIL.WORD
    return sum(1 for _ in tesserocr.iterate_level(_API.GetIterator(), level))


def floor_pages_per_s(images: Sequence[Path], cores: int) -> float:
    """Return the pages per second ``cores`` tesseract processes read ``images`` at."""
    from extractors.ocr import PAGE_SEGMENTATION_MODE
    from invoicebot.pipeline import extract_options
    from invoicebot.settings import Settings

    languages = extract_options(Settings()).ocr_languages
    # Children inherit the affinity of the moment they are forked.
    with (
        affinity(cpus(cores)),
        ProcessPoolExecutor(
            max_workers=cores,
            initializer=_load_api,
            initargs=(languages, PAGE_SEGMENTATION_MODE, str(images[0])),
        ) as pool,
    ):
        # Every process loaded and warm before the clock starts.
        list(pool.map(time.sleep, [0.5] * cores))
        started = time.perf_counter()
        list(pool.map(_read_image, [str(image) for image in images]))
        seconds = time.perf_counter() - started
    return len(images) / seconds


@contextmanager
def affinity(chosen: set[int]) -> Iterator[None]:
    before = os.sched_getaffinity(0)
    os.sched_setaffinity(0, chosen)
    try:
        yield
    finally:
        os.sched_setaffinity(0, before)


# --- the flow: invoicebot run ----------------------------------------------------------------


def flow_environment(folder: Path) -> dict[str, str]:
    prefect_home = folder / "prefect"
    prefect_home.mkdir(parents=True, exist_ok=True)
    env = {k: v for k, v in os.environ.items() if not k.startswith(("INVOICEBOT_", "PREFECT_"))}
    return env | {
        "PREFECT_HOME": str(prefect_home),
        "PREFECT_SERVER_ANALYTICS_ENABLED": "false",
        "PREFECT_LOGGING_TO_API_ENABLED": "false",
        "PREFECT_LOGGING_LEVEL": "WARNING",
        "PREFECT_SERVER_EPHEMERAL_STARTUP_TIMEOUT_SECONDS": "300",
        "INVOICEBOT_RULES_REFERENCE_DATE": "2026-11-26",
    }


def invoicebot_run(inbox: Path, data_dir: Path, env: dict[str, str], cores: int) -> FlowRun:
    """Return the figures of one ``invoicebot run`` over ``inbox`` on ``cores`` CPUs."""
    pages = page_count(sorted(inbox.iterdir()))
    started = time.perf_counter()
    group = CpuGroup(f"invoicebot-scan-floor-{os.getpid()}")
    try:
        with affinity(cpus(cores)):
            process = start_in(
                group,
                [sys.executable, "-m", "invoicebot", "run", "--inbox", str(inbox), "--json"],
                env=env | {"INVOICEBOT_DATA_DIR": str(data_dir)},
                cwd=ROOT,
                stdout=subprocess.PIPE,
                stderr=subprocess.PIPE,
                text=True,
            )
        try:
            stdout, stderr = process.communicate(timeout=RUN_TIMEOUT_S)
        except subprocess.TimeoutExpired:
            process.kill()
            raise
        command_s = time.perf_counter() - started
        # The fork server and reading processes ended with the run; their time is counted.
        cpu_s = group.seconds()
    finally:
        group.remove()
    if process.returncode != 0:
        raise SystemExit(f"invoicebot run exited {process.returncode}:\n{stderr[-4000:]}")
    summary = json.loads(stdout)
    if summary["documents"] and summary["failures"]:
        raise SystemExit(f"documents failed: {summary['failures']}")
    with sqlite3.connect(data_dir / "invoicebot.db") as store:
        started_at, finished_at = store.execute(
            "SELECT started_at, finished_at FROM batch_run ORDER BY id DESC LIMIT 1"
        ).fetchone()
    batch_s = (
        datetime.fromisoformat(finished_at) - datetime.fromisoformat(started_at)
    ).total_seconds()
    return FlowRun(pages=pages, batch_s=batch_s, command_s=command_s, cpu_s=cpu_s)


def flow_run(batch: Sequence[Path], folder: Path, env: dict[str, str], cores: int) -> FlowRun:
    """Return the figures of ``invoicebot run`` over a fresh copy of ``batch``."""
    run_folder = Path(tempfile.mkdtemp(dir=folder))
    inbox = run_folder / "inbox"
    inbox.mkdir()
    for path in batch:
        (inbox / path.name).write_bytes(path.read_bytes())
    return invoicebot_run(inbox, run_folder / "data", env, cores)


# --- the stages: CPU seconds per page --------------------------------------------------------


class StageClock:
    """CPU seconds of this process's threads, summed by stage; the innermost stage counts."""

    def __init__(self) -> None:
        self.seconds: dict[str, float] = defaultdict(float)
        self._local = threading.local()
        self._lock = threading.Lock()

    def wrap(self, stage: str, function: Callable[..., Any]) -> Callable[..., Any]:
        @functools.wraps(function)
        def timed(*args: Any, **kwargs: Any) -> Any:
            stack: list[list[float]] = self._local.__dict__.setdefault("stack", [])
            stack.append([time.thread_time(), 0.0])
            try:
                return function(*args, **kwargs)
            finally:
                began, inner = stack.pop()
                spent = time.thread_time() - began
                with self._lock:
                    self.seconds[stage] += spent - inner
                if stack:
                    stack[-1][1] += spent

        return timed

    def wrap_generator(
        self, stage: str, function: Callable[..., Iterator[Any]]
    ) -> Callable[..., Any]:
        """Time a generator's own work (each step), not its consumer's."""

        @functools.wraps(function)
        def timed(*args: Any, **kwargs: Any) -> Iterator[Any]:
            iterator = iter(function(*args, **kwargs))
            step = self.wrap(stage, next)
            while True:
                try:
                    item = step(iterator)
                except StopIteration:
                    return
                yield item

        return timed


def tesseract_by_image(clock: StageClock, read: Callable[..., Any]) -> Callable[..., Any]:
    """Return ``read`` timed as tesseract on a page, or on a band of one (a crop a few lines
    high, ``extractors.unread_ink``, or a phrase's line, ``extractors.uncertain_words``)."""
    page, band = clock.wrap("tesseract page", read), clock.wrap("tesseract bands", read)

    def timed(image: Any, *args: Any, **kwargs: Any) -> Any:
        return (band if image.height < BAND_HEIGHT else page)(image, *args, **kwargs)

    return timed


def stage_seconds(batch: Sequence[Path]) -> tuple[dict[str, float], float]:
    """Return the CPU seconds of each stage over ``batch`` read in this process (with the
    batch's options) and the process's CPU seconds in all."""
    import extractors.ocr as ocr
    import extractors.ocr_reading as ocr_reading
    import extractors.page_source as page_source
    import extractors.text_layer as text_layer
    from extractors import extract_document
    from extractors.isolation import PRELOADED_MODULES
    from extractors.ocr_engines import RapidOcrEngine
    from invoicebot.pipeline import extract_options
    from invoicebot.settings import Settings

    # What the reading processes' fork server loads (and warms) before forking them.
    for module in PRELOADED_MODULES:
        importlib.import_module(module)
    clock = StageClock()
    patches: list[tuple[Any, str, Callable[..., Any]]] = [
        (
            page_source,
            "read_text_pages",
            clock.wrap("text-layer probe", page_source.read_text_pages),
        ),
        (ocr, "_render_page", clock.wrap("render", ocr._render_page)),
        (ocr, "upright_page", clock.wrap("preprocess", ocr.upright_page)),
        (ocr, "remove_rules", clock.wrap("preprocess", ocr.remove_rules)),
        (
            ocr,
            "with_unread_bands_read",
            clock.wrap("unread-ink search", ocr.with_unread_bands_read),
        ),
        (ocr.TESSERACT, "read_words", tesseract_by_image(clock, ocr.TESSERACT.read_words)),
        (RapidOcrEngine, "read_words", clock.wrap("second engine", RapidOcrEngine.read_words)),
        (ocr_reading, "read_invoice", clock.wrap("read fields", ocr_reading.read_invoice)),
        (text_layer, "read_invoice", clock.wrap("read fields", text_layer.read_invoice)),
    ]
    saved = [(owner, name, getattr(owner, name)) for owner, name, _ in patches]
    for owner, name, replacement in patches:
        setattr(owner, name, replacement)
    options = extract_options(Settings(), parallel_documents=len(os.sched_getaffinity(0)))
    try:
        extract = clock.wrap("cascade (rest)", extract_document)
        usage = resource.getrusage(resource.RUSAGE_SELF)
        for path in batch:
            extract(path, options)
        after = resource.getrusage(resource.RUSAGE_SELF)
    finally:
        for owner, name, original in saved:
            setattr(owner, name, original)
    total = (after.ru_utime - usage.ru_utime) + (after.ru_stime - usage.ru_stime)
    return dict(clock.seconds), total


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--documents", type=int, default=40)
    parser.add_argument("--cores", type=int, nargs="+", default=[1, 2])
    parser.add_argument("--batch", type=Path, default=ROOT / ".invoicebot" / "scan-floor")
    parser.add_argument("--skip-flow", action="store_true", help="floor and stages only")
    parser.add_argument("--skip-stages", action="store_true")
    arguments = parser.parse_args(argv)

    batch = make_batch(arguments.batch, arguments.documents)
    pages = page_count(batch)
    print(f"batch: {len(batch)} scanned PDFs, {pages} pages ({arguments.batch})")
    print(f"load: {Path('/proc/loadavg').read_text().split()[:3]}")
    with tempfile.TemporaryDirectory(prefix="scan-floor-") as temporary:
        folder = Path(temporary)
        images_folder = folder / "images"
        images_folder.mkdir()
        images = prepared_images(batch, images_folder)
        env = flow_environment(folder)
        if not arguments.skip_flow:
            # Migrate the ephemeral server's database once, outside the figures.
            empty = folder / "empty"
            empty.mkdir()
            invoicebot_run(empty, folder / "warm-data", env, max(arguments.cores))
        figures: dict[int, tuple[float, FlowRun | None]] = {}
        print(
            f"{'cores':>5} {'floor p/s':>10} {'flow p/s':>9} {'(command)':>10} "
            f"{'flow/floor':>10} {'command CPU s/p':>15}"
        )
        for cores in arguments.cores:
            floor = floor_pages_per_s(images, cores)
            flow = None if arguments.skip_flow else flow_run(batch, folder, env, cores)
            figures[cores] = (floor, flow)
            if flow is None:
                print(f"{cores:>5} {floor:>10.2f}")
                continue
            rate = flow.pages / flow.batch_s
            print(
                f"{cores:>5} {floor:>10.2f} {rate:>9.2f} {flow.pages / flow.command_s:>10.2f} "
                f"{rate / floor:>10.0%} {flow.cpu_s / flow.pages:>15.3f}"
            )
        first, last = arguments.cores[0], arguments.cores[-1]
        if first != last:
            floor_gain = figures[last][0] / figures[first][0]
            line = f"speed-up {first} -> {last} cores: floor {floor_gain:.2f}x"
            first_flow, last_flow = figures[first][1], figures[last][1]
            if first_flow and last_flow:
                line += f", flow {first_flow.batch_s / last_flow.batch_s:.2f}x"
            print(line)
    print(f"load: {Path('/proc/loadavg').read_text().split()[:3]}")
    if not arguments.skip_stages:
        seconds, total = stage_seconds(batch)
        print(f"\nCPU seconds per page, in-process reading of the batch ({pages} pages):")
        for stage, spent in sorted(seconds.items(), key=lambda item: -item[1]):
            print(f"  {stage:<22} {spent / pages:>7.3f}")
        print(f"  {'sum of stages':<22} {sum(seconds.values()) / pages:>7.3f}")
        print(f"  {'process CPU':<22} {total / pages:>7.3f}")
        flows = [flow for _, flow in figures.values() if flow is not None]
        if flows:
            beyond = min(flow.cpu_s for flow in flows) / pages - total / pages
            print(f"  {'command beyond reading':<22} {beyond:>7.3f}  (store, Prefect, start-up)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
