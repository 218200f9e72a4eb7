"""Rebuild the learned field reader's model from the layout-randomised generator.

    uv run python scripts/train_reader.py [--seed 2026] [--per-family 15] [--scans-per-family 2]

Trains on the generator's TUNING families only, the first ones and the extra ones (text PDFs,
and scans and photos read by the real OCR),
invoices of the six fixed layouts of ``samples.invoices.generate`` drawn with another seed
than the committed samples, and half of each real development set of ``../shared/datasets``
(``in_training_half``: the versions of one invoice fall in the same half). The VALIDATION
families and the other half of the real sets are never fitted to; the model's metadata
lists the real documents it was trained on, and the benchmarks leave them out.
One generated text PDF in ``UNSEEN_LABELS_EVERY`` has its labels rewritten into words no
document uses (``with_unseen_labels``), as a new supplier's may be; the regressions' scores
the trees learn from are computed a whole layout (family, supplier) at a time.
The same seed gives the same model; the page words read from each generated document are
cached (``--cache``), keyed by everything that makes them, so a rebuild only re-fits.
"""

from __future__ import annotations

import argparse
import json
import logging
import sys
import tempfile
import time
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import Any, NamedTuple

from benchmarks.accuracy import find_cases
from extractors.reader.candidates import name_key
from extractors.reader.model import (
    SHIPPED_MODEL_DIR,
    ReaderMetadata,
    current_layout,
    library_versions,
)
from extractors.reader_training import (
    SUFFIXES,
    LabelledDocument,
    fit_reader,
    in_training_half,
    label_document,
    page_words,
    printed_values,
    with_unseen_labels,
)
from samples.invoices.generate import generate as generate_fixed_layouts
from samples.randomised import (
    EXTRA_TUNING_FAMILIES,
    TUNING_FAMILIES,
    VALIDATION_FAMILIES,
    generate_document,
)

logger = logging.getLogger("train_reader")
TRAINING_FAMILIES = (*TUNING_FAMILIES, *EXTRA_TUNING_FAMILIES)

SHARED_DATASETS = Path(__file__).resolve().parent.parent.parent / "shared" / "datasets"
FIXED_LAYOUT_SEED = 7
# One generated text PDF in this many has its labels rewritten into unseen words.
UNSEEN_LABELS_EVERY = 4
# A real invoice weighs as much as this many generated ones: they are the target, and few.
REAL_WEIGHT = 5.0  # the committed samples use 2026: these are other invoices


class Source(NamedTuple):
    """A document to train on, the layout it shares with others, and whether its labels are
    rewritten into unseen words (``with_unseen_labels``, salted by its name)."""

    name: str
    data: bytes
    suffix: str
    truth: dict[str, Any]
    layout: str
    unseen_labels: bool = False


def generated(
    families: Sequence[int], per_family: int, scans: int, photos: int, seed: int
) -> Iterator[Source]:
    """Yield the randomised families' documents: the first
    ``scans`` of a family scanned, the next ``photos`` photographed, the rest text PDFs."""
    for family in families:
        for index in range(per_family):
            kind = (
                "scanned-pdf"
                if index < scans
                else "photo"
                if index < scans + photos
                else "text-pdf"
            )
            document = generate_document(family, index, kind, seed=seed)
            unseen = kind == "text-pdf" and index % UNSEEN_LABELS_EVERY == UNSEEN_LABELS_EVERY - 1
            yield Source(
                document.filename,
                document.data,
                SUFFIXES[kind],
                document.truth,
                f"family-{family}",
                unseen,
            )


def fixed_layouts(count: int) -> Iterator[Source]:
    """Yield invoices of the six fixed sample layouts, drawn with ``FIXED_LAYOUT_SEED``."""
    with tempfile.TemporaryDirectory() as folder:
        out = Path(folder)
        generate_fixed_layouts(out, count=count, seed=FIXED_LAYOUT_SEED)
        for truth_path in sorted(out.glob("*.json")):
            truth = json.loads(truth_path.read_text())
            if "fields" not in truth or truth.get("kind") == "facturx":
                continue
            document = out / truth["source"]
            layout = "-".join(document.name.split("-")[:2])  # "fr-classic-0001-scan.pdf"
            yield Source(document.name, document.read_bytes(), document.suffix, truth, layout)


def shared_documents(root: Path) -> Iterator[Source]:
    """Yield the training half of the real development sets under ``root`` (named
    ``folder/file``), read from the page; the other half stays held out. A supplier's
    invoices share a layout."""
    for folder in sorted(path for path in root.iterdir() if path.is_dir()):
        for case in find_cases(folder, read_page=True):
            if not in_training_half(case.truth, case.document.name):
                continue
            name = f"{folder.name}/{case.document.name}"
            seller = (case.truth.get("fields") or {}).get("seller_name") or name
            layout = f"{folder.name}/{name_key(str(seller))}"
            data, suffix = case.document.read_bytes(), case.document.suffix.lower()
            yield Source(name, data, suffix, case.truth, layout)


def label_all(
    documents: Iterator[Source], cache: Path, weight: float = 1.0
) -> list[LabelledDocument]:
    labelled = []
    for source in documents:
        pages = page_words(source.data, source.suffix, cache)
        if source.unseen_labels:
            pages = with_unseen_labels(pages, printed_values(source.truth), source.name)
        if pages:
            labelled.append(
                label_document(
                    source.name, pages, source.truth["fields"], weight=weight, layout=source.layout
                )
            )
    return labelled


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seed", type=int, default=2026)
    parser.add_argument("--per-family", type=int, default=15)
    parser.add_argument("--scans-per-family", type=int, default=2)
    parser.add_argument("--photos-per-family", type=int, default=1)
    parser.add_argument("--fixed-layouts", type=int, default=40)
    parser.add_argument("--out", type=Path, default=SHIPPED_MODEL_DIR)
    parser.add_argument("--cache", type=Path, default=Path(".invoicebot/reader-cache"))
    parser.add_argument(
        "--shared",
        type=Path,
        default=SHARED_DATASETS,
        help="real development sets: half of each is trained on (none if absent)",
    )
    arguments = parser.parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(message)s")
    arguments.cache.mkdir(parents=True, exist_ok=True)
    started = time.monotonic()
    documents = label_all(
        generated(
            TRAINING_FAMILIES,
            arguments.per_family,
            arguments.scans_per_family,
            arguments.photos_per_family,
            arguments.seed,
        ),
        arguments.cache,
    )
    documents += label_all(fixed_layouts(arguments.fixed_layouts), arguments.cache)
    shared: list[LabelledDocument] = []
    if arguments.shared.is_dir():
        shared = label_all(shared_documents(arguments.shared), arguments.cache, REAL_WEIGHT)
    documents += shared
    logger.info("labelled %d documents in %.0f s", len(documents), time.monotonic() - started)
    metadata = ReaderMetadata(
        **current_layout(),
        versions=library_versions(),
        seed=arguments.seed,
        training={
            "tuning_families": list(TRAINING_FAMILIES),
            "validation_families_held_out": list(VALIDATION_FAMILIES),
            "per_family": arguments.per_family,
            "scans_per_family": arguments.scans_per_family,
            "photos_per_family": arguments.photos_per_family,
            "fixed_layout_documents": arguments.fixed_layouts,
            "fixed_layout_seed": FIXED_LAYOUT_SEED,
            "documents": len(documents),
            "real_document_weight": REAL_WEIGHT,
            "unseen_labels_every": UNSEEN_LABELS_EVERY,
            "shared_documents_trained": sorted(document.name for document in shared),
        },
    )
    model = fit_reader(documents, metadata, seed=arguments.seed)
    model.save(arguments.out)
    logger.info("saved to %s in %.0f s", arguments.out, time.monotonic() - started)
    return 0


if __name__ == "__main__":
    sys.exit(main())
