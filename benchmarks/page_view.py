"""The page view on the own samples: are the stored boxes where the values are printed, and
how fast is an outlined page served?

    uv run python benchmarks/page_view.py [--kinds text-pdf,scanned-pdf,image] [--json]

Each sample (``samples/invoices``, the kinds given) is read by the extraction cascade and
stored with its boxes in a fresh store of a temporary data dir, its file in the archive, as
the batch stores it. Then:

(a) **boxes**: whether the stored box of ``total_gross`` contains the printed total, decided
    apart from the box: on a text PDF, the text layer's words (pdfplumber) that read as the
    expected total (from the sample's JSON) must have their centre inside the box; on a scan,
    the box is cut out of the page as the page view shows it and OCR'd alone (tesseract;
    white print on a dark band inverted and thresholded first),
    and the expected total must be among the amounts read there.
(b) **speed**: the outlined first page requested from the page view (its app served by
    uvicorn on a loopback port, as `make serve` runs it; a signed link, the invoice's
    outline), timed at the client: cold (nothing cached) then again (cached); median and
    p95 over the samples.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import socket
import statistics
import sys
import tempfile
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any

import httpx
import pdfplumber
import uvicorn
from PIL import Image, ImageOps
from sqlmodel import Session

from extractors import extract_document
from extractors.base import Deadline, ExtractOptions
from extractors.normalize import parse_amount
from extractors.ocr import TESSERACT
from invoicebot.docserver import create_app
from invoicebot.model import Box, InvoiceStatus
from invoicebot.pageview import LinkSigner, find_document, page_path, render_page
from invoicebot.settings import Settings
from invoicebot.store.claims import claim_document
from invoicebot.store.engine import init_store, make_engine
from invoicebot.store.repository import record_invoice
from invoicebot.store.review_audit import load_case

SAMPLES = Path(__file__).resolve().parents[1] / "samples" / "invoices"
KINDS = ("text-pdf", "scanned-pdf", "image")
KEY = b"benchmark-key"
# A box cut out of a scan for OCR keeps this many pixels around it (tesseract needs a margin).
CROP_MARGIN_PX = 6
# A crop this dark (median gray level) is white print on a band: inverted before OCR.
DARK = 128
# The width scans are rendered at for that OCR: small print needs more than the form's size.
OCR_WIDTH = 2000


@dataclass(frozen=True)
class Measure:
    """One sample's figures."""

    name: str
    kind: str
    contains: bool
    why: str
    cold_ms: float
    cached_ms: float


def main(argv: list[str] | None = None) -> int:
    """Print the figures; return 0."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--kinds", default=",".join(KINDS))
    parser.add_argument("--json", action="store_true", help="one JSON object on stdout")
    args = parser.parse_args(argv)
    kinds = tuple(kind.strip() for kind in args.kinds.split(",") if kind.strip())
    samples = [
        (SAMPLES / truth["source"], truth)
        for truth in (json.loads(path.read_text()) for path in sorted(SAMPLES.glob("*.json")))
        if truth.get("kind") in kinds and truth["fields"].get("total_gross") is not None
    ]
    with tempfile.TemporaryDirectory(prefix="page-view-") as folder:
        os.environ["INVOICEBOT_DATA_DIR"] = str(Path(folder) / "data")
        measures = measure_all(samples, Settings(page_view_secret=KEY.decode()))
    report(measures, as_json=args.json)
    return 0


def measure_all(samples: list[tuple[Path, dict[str, Any]]], settings: Settings) -> list[Measure]:
    """Store every sample, then measure its box and its page's serving times."""
    engine = make_engine(settings.resolved_database_url)
    init_store(engine)
    stored = [(store(engine, settings, path), path, truth) for path, truth in samples]
    app = create_app(settings, key=KEY, auth_string=None)
    with served(app) as base_url, httpx.Client(timeout=60) as client:
        return [
            measure(client, LinkSigner(KEY, base_url, 3600), engine, settings, ids, path, truth)
            for ids, path, truth in stored
        ]


@contextmanager
def served(app: Any) -> Iterator[str]:
    """Serve ``app`` with uvicorn on a free loopback port, as `make serve` does; yield its
    address."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = int(probe.getsockname()[1])
    server = uvicorn.Server(
        uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning", access_log=False)
    )
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    while not server.started:
        time.sleep(0.05)
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        server.should_exit = True
        thread.join()


def measure(
    client: httpx.Client,
    signer: LinkSigner,
    engine: Any,
    settings: Settings,
    ids: tuple[int, int],
    path: Path,
    truth: dict[str, Any],
) -> Measure:
    """Return one sample's figures: its box, and its page served cold then cached."""
    document_id, invoice_id = ids
    link = signer.link(page_path(document_id, 1), invoice_id)
    started = time.perf_counter()
    cold = client.get(link)
    cold_ms = (time.perf_counter() - started) * 1000
    started = time.perf_counter()
    cached = client.get(link)
    cached_ms = (time.perf_counter() - started) * 1000
    if cold.status_code != 200 or cached.content != cold.content:
        raise RuntimeError(f"{path.name}: the page view answered {cold.status_code}")
    with Session(engine) as session:
        case = load_case(session, invoice_id=invoice_id)
        contains, why = holds_total(session, settings, case, path, truth)
    return Measure(path.name, truth["kind"], contains, why, cold_ms, cached_ms)


def store(engine: Any, settings: Settings, path: Path) -> tuple[int, int]:
    """Archive and store one sample as the batch does; return its document and invoice ids."""
    archived = settings.archive_dir / "exceptions" / path.name
    archived.parent.mkdir(parents=True, exist_ok=True)
    shutil.copy2(path, archived)
    extraction = extract_document(archived, ExtractOptions())
    with Session(engine) as session:
        claim = claim_document(
            session,
            sha256=extraction.sha256,
            source=str(path),
            file_name=path.name,
            size_bytes=path.stat().st_size,
            batch_id=None,
            stale_after=timedelta(hours=1),
        )
        invoice_id = record_invoice(
            session,
            document_id=claim.document_id,
            extraction=extraction,
            status=InvoiceStatus.EXCEPTION,
            results=[],
            archived_path=str(archived),
            seconds=0.0,
        )
    return claim.document_id, invoice_id


def holds_total(
    session: Session, settings: Settings, case: Any, path: Path, truth: dict[str, Any]
) -> tuple[bool, str]:
    """Return whether the stored ``total_gross`` box holds the printed total, and why not."""
    expected = Decimal(truth["fields"]["total_gross"])
    box = case.boxes.fields.get("total_gross") if case.boxes else None
    if box is None:
        return False, "no box stored"
    if truth["kind"] == "text-pdf":
        return _in_text_layer(path, box, expected)
    document = find_document(session, settings, case.document_id)
    page = render_page(document, box.page, OCR_WIDTH)
    return _in_ocr_of_crop(page, box, expected)


def _in_text_layer(path: Path, box: Box, expected: Decimal) -> tuple[bool, str]:
    with pdfplumber.open(path) as pdf:
        page = pdf.pages[box.page - 1]
        words = page.extract_words()
        width, height = float(page.width), float(page.height)
    centres = [
        ((first["x0"] + last["x1"]) / 2 / width, (first["top"] + last["bottom"]) / 2 / height)
        for first, last, text in _word_runs(words)
        if parse_amount(text) == expected
    ]
    if not centres:
        return False, f"{expected} is not printed on page {box.page}"
    inside = any(box.x0 <= x <= box.x1 and box.top <= y <= box.bottom for x, y in centres)
    return inside, "" if inside else f"{expected} is printed elsewhere on page {box.page}"


def _word_runs(words: list[dict[str, Any]]) -> list[tuple[dict[str, Any], dict[str, Any], str]]:
    """Return each word, and runs of up to three words of one line, with their joined text:
    a total may be printed in several words ("1 234,56 €")."""
    runs = []
    for start, first in enumerate(words):
        text = first["text"]
        runs.append((first, first, text))
        for last in words[start + 1 : start + 3]:
            if abs(last["top"] - first["top"]) > 2:
                break
            text += " " + last["text"]
            runs.append((first, last, text))
    return runs


def _in_ocr_of_crop(page: Image.Image, box: Box, expected: Decimal) -> tuple[bool, str]:
    crop = page.crop(
        (
            max(0, round(box.x0 * page.width) - CROP_MARGIN_PX),
            max(0, round(box.top * page.height) - CROP_MARGIN_PX),
            min(page.width, round(box.x1 * page.width) + CROP_MARGIN_PX),
            min(page.height, round(box.bottom * page.height) + CROP_MARGIN_PX),
        )
    )
    gray = crop.convert("L")
    if statistics.median(gray.get_flattened_data()) < DARK:
        # White print on a dark band: tesseract wants dark print on a light ground.
        gray = ImageOps.invert(gray).point(lambda level: 255 if level > DARK else 0)
    # A white border: tesseract reads a word touching the image's edge poorly.
    framed = Image.new("L", (gray.width + 40, gray.height + 40), 255)
    framed.paste(gray, (20, 20))
    words = TESSERACT.read_words(framed, "eng", Deadline(time.monotonic() + 60, "crop"))
    texts = [word.text for word in words]
    joined = [" ".join(texts[i:j]) for i in range(len(texts)) for j in range(i + 1, len(texts) + 1)]
    found = any(parse_amount(text) == expected for text in joined)
    return found, "" if found else f"OCR of the box reads {' '.join(texts)!r}, not {expected}"


def report(measures: list[Measure], *, as_json: bool) -> None:
    """Print the figures per kind and overall."""
    groups: dict[str, list[Measure]] = {}
    for measure in measures:
        groups.setdefault(measure.kind, []).append(measure)
    groups["all"] = measures
    summary = {
        kind: {
            "samples": len(group),
            "total_gross_box_holds_printed_total": sum(m.contains for m in group) / len(group),
            "cold_ms_median": statistics.median(m.cold_ms for m in group),
            "cold_ms_p95": _p95([m.cold_ms for m in group]),
            "cached_ms_median": statistics.median(m.cached_ms for m in group),
            "cached_ms_p95": _p95([m.cached_ms for m in group]),
        }
        for kind, group in groups.items()
    }
    misses = {m.name: m.why for m in measures if not m.contains}
    if as_json:
        print(json.dumps({"summary": summary, "misses": misses}, indent=2))
        return
    print(
        f"{'kind':<12} {'n':>3} {'box holds total':>16} {'cold ms med/p95':>17} "
        f"{'cached ms med/p95':>19}"
    )
    for kind, row in summary.items():
        print(
            f"{kind:<12} {row['samples']:>3} {row['total_gross_box_holds_printed_total']:>15.1%} "
            f"{row['cold_ms_median']:>8.0f}/{row['cold_ms_p95']:<8.0f} "
            f"{row['cached_ms_median']:>9.1f}/{row['cached_ms_p95']:<9.1f}"
        )
    for name, why in misses.items():
        print(f"  miss {name}: {why}")


def _p95(values: list[float]) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(0.95 * (len(ordered) - 1)))]


if __name__ == "__main__":
    sys.exit(main())
