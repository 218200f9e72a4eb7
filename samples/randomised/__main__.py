"""Write randomised invoices and their truth JSON into a folder.

    uv run python -m samples.randomised --out DIR --group validation --per-family 3 \
        --kinds text-pdf,scanned-pdf,photo --seed 2026
"""

from __future__ import annotations

import argparse
import json
import time
from collections.abc import Sequence
from pathlib import Path

from samples.randomised.document import KINDS, generate_document
from samples.randomised.family import FAMILY_COUNT, TUNING_FAMILIES, VALIDATION_FAMILIES


def families_of(group: str) -> tuple[int, ...]:
    """Return the families of ``group`` (tuning, validation or all)."""
    return {
        "tuning": TUNING_FAMILIES,
        "validation": VALIDATION_FAMILIES,
        "all": tuple(range(FAMILY_COUNT)),
    }[group]


def write_documents(
    out: Path, families: Sequence[int], per_family: int, kinds: Sequence[str], seed: int
) -> list[Path]:
    """Write every document with its ``.json`` beside it; return the documents' paths."""
    out.mkdir(parents=True, exist_ok=True)
    written = []
    for family in families:
        for index in range(per_family):
            for kind in kinds:
                document = generate_document(family, index, kind, seed=seed)
                path = out / document.filename
                path.write_bytes(document.data)
                record = json.dumps(document.truth, indent=2, ensure_ascii=False) + "\n"
                path.with_name(Path(document.filename).stem + ".json").write_text(
                    record, encoding="utf-8"
                )
                written.append(path)
    return written


def main(argv: Sequence[str] | None = None) -> int:
    """Parse the command line, write the documents, say how many and how long it took."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, required=True, help="folder to write into")
    parser.add_argument("--group", choices=("tuning", "validation", "all"), default="all")
    parser.add_argument("--per-family", type=int, default=3, help="documents per family")
    parser.add_argument("--kinds", default="text-pdf", help="comma-separated: " + ",".join(KINDS))
    parser.add_argument("--seed", type=int, default=2026, help="same seed, same bytes")
    args = parser.parse_args(argv)
    kinds = [kind.strip() for kind in args.kinds.split(",") if kind.strip()]
    unknown = [kind for kind in kinds if kind not in KINDS]
    if unknown or not kinds:
        parser.error(f"--kinds takes {', '.join(KINDS)}; got {args.kinds!r}")
    if args.per_family < 1:
        parser.error("--per-family must be at least 1")
    started = time.perf_counter()
    paths = write_documents(args.out, families_of(args.group), args.per_family, kinds, args.seed)
    seconds = time.perf_counter() - started
    print(f"wrote {len(paths)} documents ({args.group} families) to {args.out} in {seconds:.1f} s")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
