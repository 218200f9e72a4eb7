"""Per-document isolation and transient failures, end to end through the `invoicebot` command.

    uv run python benchmarks/isolation.py [--timeout 10] [--memory-mb 3072]
    uv run python benchmarks/isolation.py --speed 2   # OCR speed, in-process against isolated

1. A batch (`invoicebot run --json`, the real process-inbox flow on an ephemeral Prefect
   server) over four clean invoices and three more whose reading misbehaves, through extractor
   plug-ins from ``tests/misbehaving.py`` (``INVOICEBOT_EXTRACTOR_PLUGINS``): one hangs, one
   dies of SIGSEGV, one allocates 8 GB. Each must be quarantined with its typed reason
   (timeout, crashed, out_of_memory) within its limit, and the batch must finish with the
   clean invoices processed.
2. A transient failure: a scanned invoice read with an OCR language whose model is missing
   (``fra+xyz``) and ``INVOICEBOT_MAX_ATTEMPTS=2``: the first run leaves it in the inbox, the
   second quarantines it with both reasons; the cause fixed (the default languages), then
   `invoicebot requeue --reason ocr_unavailable`, the next run processes it.

Each scenario uses a fresh data dir in a temporary folder; nothing in the repository changes.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
SAMPLES = ROOT / "samples" / "invoices"
PLUGINS = ["tests.misbehaving:Hang", "tests.misbehaving:Segfault", "tests.misbehaving:Allocate"]
MISBEHAVING = {"hang.pdf": "timeout", "segfault.pdf": "crashed", "allocate.pdf": "out_of_memory"}


def samples(kind: str, count: int) -> list[Path]:
    """Return ``count`` committed sample documents of ``kind`` without faults."""
    found = []
    for truth_path in sorted(SAMPLES.glob("*.json")):
        truth = json.loads(truth_path.read_text())
        if truth["kind"] == kind and not truth["faults"]:
            found.append(SAMPLES / truth["source"])
    return found[:count]


def invoicebot(*args: str, env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    """Run the `invoicebot` command of this checkout; return what it did."""
    return subprocess.run(
        [sys.executable, "-m", "invoicebot", *args],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=1800,
        check=False,
    )


def run_batch(inbox: Path, env: dict[str, str]) -> tuple[dict[str, Any], float]:
    """Return the batch summary of one `invoicebot run` and its wall-clock seconds."""
    started = time.monotonic()
    done = invoicebot("run", "--inbox", str(inbox), "--json", env=env)
    seconds = time.monotonic() - started
    if done.returncode != 0:
        raise SystemExit(f"invoicebot run failed ({done.returncode}):\n{done.stderr[-4000:]}")
    summary: dict[str, Any] = json.loads(done.stdout)
    return summary, seconds


def base_env(data_dir: Path) -> dict[str, str]:
    """Return the environment of a fresh data dir with its own Prefect home."""
    # Prefect's server cannot create its SQLite file in a folder that does not exist.
    (data_dir / "prefect").mkdir(parents=True, exist_ok=True)
    env = dict(os.environ)
    env.update(
        INVOICEBOT_DATA_DIR=str(data_dir),
        INVOICEBOT_RULES_REFERENCE_DATE="2026-11-26",
        PREFECT_SERVER_ANALYTICS_ENABLED="false",
        PREFECT_LOGGING_TO_API_ENABLED="false",
        PREFECT_SERVER_EPHEMERAL_STARTUP_TIMEOUT_SECONDS="300",
        PREFECT_HOME=str(data_dir / "prefect"),
    )
    env.pop("INVOICEBOT_DATABASE_URL", None)
    return env


def isolation(folder: Path, timeout_s: float, memory_mb: int) -> bool:
    """Scenario 1; return True when every target is met."""
    inbox = folder / "inbox"
    inbox.mkdir(parents=True)
    clean = samples("text-pdf", 7)
    for sample in clean[:4]:
        shutil.copy2(sample, inbox / sample.name)
    for name, sample in zip(MISBEHAVING, clean[4:], strict=True):
        shutil.copy2(sample, inbox / name)
    env = base_env(folder / "data")
    env.update(
        INVOICEBOT_EXTRACTOR_PLUGINS=json.dumps(PLUGINS),
        INVOICEBOT_DOCUMENT_TIMEOUT_S=str(timeout_s),
        INVOICEBOT_DOCUMENT_MEMORY_MB=str(memory_mb),
    )
    hard_limit_s = timeout_s + max(1.0, timeout_s / 4)
    summary, seconds = run_batch(inbox, env)
    print(
        f"1. isolation: 4 clean invoices + hang, segfault, 8 GB allocation; time limit "
        f"{timeout_s:g} s (hard {hard_limit_s:g} s), memory cap {memory_mb} MB"
    )
    print(f"   {'file':24} {'status':12} {'reason':14} {'seconds':>8}")
    outcomes = {Path(o["source"]).name: o for o in summary["invoices"]}
    ok = len(outcomes) == 7 and not summary["failures"]
    for name, outcome in sorted(outcomes.items()):
        message = outcome["exceptions"][0]["message"] if outcome["exceptions"] else ""
        reason = message.split(":", 1)[0] if outcome["status"] == "quarantined" else ""
        print(f"   {name:24} {outcome['status']:12} {reason:14} {outcome['seconds']:8.2f}")
        if name in MISBEHAVING:
            ok &= outcome["status"] == "quarantined" and reason == MISBEHAVING[name]
            if name == "hang.pdf":
                ok &= outcome["seconds"] < hard_limit_s + 5
        else:
            ok &= outcome["status"] in ("approved", "exception")
    left = sorted(p.name for p in inbox.iterdir())
    print(
        "   (seconds: the document's whole path; the first document of each reading process "
        "includes starting it)"
    )
    print(f"   batch finished in {seconds:.1f} s (Prefect start-up included); inbox left: {left}")
    for name in MISBEHAVING:
        reason_file = folder / "data" / "archive" / "quarantine" / f"{name}.reason.json"
        if reason_file.exists():
            error = json.loads(reason_file.read_text())["error"]
            print(f"   {name}: {error['code']}: {error['message']}")
    return ok and not left


def transient(folder: Path) -> bool:
    """Scenario 2; return True when every target is met."""
    inbox = folder / "inbox"
    inbox.mkdir(parents=True)
    (scan,) = samples("scanned-pdf", 1)
    shutil.copy2(scan, inbox / scan.name)
    env = base_env(folder / "data")
    broken = dict(env, INVOICEBOT_OCR_LANGUAGES="fra+xyz", INVOICEBOT_MAX_ATTEMPTS="2")
    print("2. transient failure: OCR language model 'xyz' missing, INVOICEBOT_MAX_ATTEMPTS=2")
    first, _ = run_batch(inbox, broken)
    stays = (inbox / scan.name).exists()
    print(f"   run 1: failures {[f['error'][-90:] for f in first['failures']]}; in inbox: {stays}")
    second, _ = run_batch(inbox, broken)
    (outcome,) = second["invoices"] or [None]
    status = outcome["status"] if outcome else "none"
    message = outcome["exceptions"][0]["message"] if outcome and outcome["exceptions"] else ""
    print(f"   run 2: {status}: {message}")
    requeued = invoicebot("requeue", "--reason", "ocr_unavailable", "--by", "benchmark", env=env)
    said = requeued.stdout.strip().splitlines()[-1:] or [requeued.stderr.strip()]
    print(f"   cause fixed; invoicebot requeue --reason ocr_unavailable: {said[0]}")
    third, _ = run_batch(inbox, env)
    final = [(Path(o["source"]).name, o["status"], o["invoice_number"]) for o in third["invoices"]]
    print(f"   run 3: {final}")
    return (
        stays
        and len(first["failures"]) == 1
        and status == "quarantined"
        and "2) ocr_unavailable" in message
        and requeued.returncode == 0
        and len(final) == 1
        and final[0][1] in ("approved", "exception")
    )


def speed(rounds: int) -> None:
    """Print seconds per scanned or photographed document read in-process and isolated.

    Each document is read once by each way first (models loaded, reading processes started),
    then ``rounds`` times each, alternating, so that the machine's load weighs on both alike.
    """
    from extractors import extract_document
    from extractors.isolation import DocumentReader
    from invoicebot.pipeline import extract_options
    from invoicebot.settings import Settings

    options = extract_options(Settings())
    documents = samples("scanned-pdf", 8) + samples("image", 5)
    reader = DocumentReader()
    for path in documents:  # warm-up: models loaded in both places
        extract_document(path, options)
        reader.read(path, options)
    in_process: list[float] = []
    isolated: list[float] = []
    for _ in range(rounds):
        for path in documents:
            started = time.perf_counter()
            extract_document(path, options)
            in_process.append(time.perf_counter() - started)
            started = time.perf_counter()
            reader.read(path, options)
            isolated.append(time.perf_counter() - started)
    reader.close()
    mean_in = sum(in_process) / len(in_process)
    mean_iso = sum(isolated) / len(isolated)
    print(
        f"0. OCR speed, {len(documents)} scans and photos x {rounds}, alternating: in-process "
        f"{mean_in:.2f} s/document, isolated {mean_iso:.2f} s/document "
        f"({(mean_iso / mean_in - 1):+.0%})"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--timeout", type=float, default=10.0, help="document time limit, s")
    parser.add_argument("--memory-mb", type=int, default=3072, help="reading process's cap")
    parser.add_argument(
        "--speed", type=int, default=0, metavar="ROUNDS", help="only compare OCR speed"
    )
    args = parser.parse_args()
    if args.speed:
        speed(args.speed)
        return
    with tempfile.TemporaryDirectory(prefix="invoicebot-isolation-") as folder:
        first = isolation(Path(folder) / "isolation", args.timeout, args.memory_mb)
        second = transient(Path(folder) / "transient")
    print(f"isolation targets met: {first}; transient + requeue targets met: {second}")
    if not (first and second):
        raise SystemExit(1)


if __name__ == "__main__":
    main()
