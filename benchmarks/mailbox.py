"""The mailbox channel against a real local Dovecot: nothing lost, nothing twice, and speed.

1. **200 mails** with 0-5 attachments each (PDF invoices, PNG/JPEG photos, CII XML, ZIP files
   holding some of those and junk, junk alone: text, calendar files, random bytes, empty
   files, files over the size limit) are appended to a fresh mailbox, then one run of the
   channel takes them. Every attachment (and every member of a ZIP) must end either in the
   inbox with its bytes, or in the quarantine with a reason; every message without a usable
   attachment must be quarantined with its reason. Prints the count of each and of the lost.
   The fetch rate (messages per second, the whole run: login, fetch, writing, store, flags)
   is this run's. A second run must take 0 messages.
2. **A crash between download and flag**: ten times, the same 200 mails in a new mailbox,
   the channel run in a child process killed (SIGKILL) after 0.2 to 2 s, then run again:
   each usable attachment must be in the inbox exactly once, each refused one quarantined.
3. With ``--process``, the batch flow (``process-inbox``) then reads the inbox of step 1:
   every file delivered must come out approved, exception, duplicate or quarantined.

    uv run python benchmarks/mailbox.py
    uv run python benchmarks/mailbox.py --process
"""

from __future__ import annotations

import argparse
import hashlib
import io
import json
import multiprocessing
import os
import random
import signal
import sys
import tempfile
import time
import zipfile
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

from facturx import get_xml_from_pdf
from sqlmodel import Session, select

from invoicebot.mailbox import MESSAGE_PART, MailboxConfig, fetch_mailbox
from invoicebot.settings import Settings
from invoicebot.store import init_store, make_engine
from invoicebot.store.mail import MailPart
from tests.dovecot import deliver, dovecot_server, invoice_mail

ROOT = Path(__file__).resolve().parent.parent
SAMPLES = ROOT / "samples" / "invoices"
MAX_FILE_MB = 2.0


@dataclass
class Expected:
    """What one mail should give: usable leaves (key -> sha256) and refused ones."""

    usable: dict[str, str] = field(default_factory=dict)
    refused: set[str] = field(default_factory=set)


def corpus() -> dict[str, list[tuple[str, bytes]]]:
    """Return the attachments to draw from, by kind."""
    pdfs = [
        (p.name, p.read_bytes())
        for p in sorted(SAMPLES.glob("*.pdf"))
        if "scan" not in p.name and "facturx" not in p.name
    ]
    images = [(p.name, p.read_bytes()) for p in sorted(SAMPLES.glob("*.png"))] + [
        (p.name, p.read_bytes()) for p in sorted(SAMPLES.glob("*.jpg"))
    ]
    xmls = []
    for path in sorted(SAMPLES.glob("*facturx.pdf")):
        _name, xml = get_xml_from_pdf(path.read_bytes(), check_xsd=False)
        xmls.append((path.stem + ".xml", xml))
    junk = [
        ("notes.txt", b"Merci pour votre commande.\n"),
        ("invite.ics", b"BEGIN:VCALENDAR\nEND:VCALENDAR\n"),
        ("random.bin", os.urandom(3000)),
        ("vide.pdf", b""),
        ("huge.pdf", b"%PDF-1.4\n" + b"0" * int(MAX_FILE_MB * 1024 * 1024 + 10)),
    ]
    return {"pdf": pdfs, "image": images, "xml": xmls, "junk": junk}


def zipped(members: list[tuple[str, bytes]]) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, data in members:
            archive.writestr(name, data)
    return buffer.getvalue()


def unique(data: bytes, tag: str) -> bytes:
    """Return ``data`` made unique by a trailer its readers ignore (after a PDF's %%EOF, after
    an image's end, in an XML comment); junk stays as it is."""
    if data.startswith(b"%PDF") and len(data) < 1024 * 1024:
        return data + f"\n% {tag}\n".encode()
    if data.startswith((b"\x89PNG", b"\xff\xd8")):
        return data + tag.encode()
    if data.lstrip().startswith(b"<"):
        return data + f"<!-- {tag} -->".encode()
    return data


def make_mails(count: int, seed: int) -> tuple[list[bytes], dict[str, Expected]]:
    """Return the mails and what each must give, by Message-ID."""
    rng = random.Random(seed)
    kinds = corpus()
    mails, expected = [], {}
    for number in range(count):
        message_id = f"<bench-{seed}-{number}@supplier.example>"
        attachments: list[tuple[str, bytes]] = []
        want = Expected()
        for part in range(1, rng.randint(0, 5) + 1):
            kind = rng.choice(["pdf", "pdf", "image", "xml", "zip", "junk"])
            tag = f"{number}.{part}"
            if kind == "zip":
                members = []
                for member in range(1, rng.randint(1, 3) + 1):
                    member_kind = rng.choice(["pdf", "image", "xml", "junk"])
                    name, data = rng.choice(kinds[member_kind])
                    if member_kind == "junk" and name == "huge.pdf":
                        name, data = kinds["junk"][0]
                    data = unique(data, f"{tag}.{member}")
                    members.append((f"{member}-{name}", data))
                    leaf = f"{part}/{member}"
                    if member_kind == "junk":
                        want.refused.add(leaf)
                    else:
                        want.usable[leaf] = hashlib.sha256(data).hexdigest()
                attachments.append((f"factures-{part}.zip", zipped(members)))
                continue
            name, data = rng.choice(kinds[kind])
            data = unique(data, tag)
            attachments.append((name, data))
            if kind == "junk":
                want.refused.add(str(part))
            else:
                want.usable[str(part)] = hashlib.sha256(data).hexdigest()
        if not want.usable:
            want.refused.add(MESSAGE_PART)
        mails.append(
            invoice_mail(
                subject=f"Facture {number}", message_id=message_id, attachments=attachments
            )
        )
        expected[message_id] = want
    return mails, expected


def settings_in(folder: Path) -> Settings:
    return Settings(data_dir=folder / "data", max_file_mb=MAX_FILE_MB, stable_seconds=0)


def check(expected: dict[str, Expected], settings: Settings, inbox: Path) -> Counter[str]:
    """Return counts of delivered, quarantined and lost leaves, checked against the files."""
    engine = make_engine(settings.resolved_database_url)
    with Session(engine) as session:
        rows = list(session.exec(select(MailPart)).all())
    engine.dispose()
    by_key = {(row.message_id, row.part_key): row for row in rows}
    inbox_digests = Counter(
        hashlib.sha256(path.read_bytes()).hexdigest() for path in inbox.iterdir()
    )
    counts: Counter[str] = Counter()
    for message_id, want in expected.items():
        for leaf, digest in want.usable.items():
            row = by_key.get((message_id, leaf))
            ok = row is not None and row.status == "delivered" and inbox_digests[digest] >= 1
            counts["delivered" if ok else "lost"] += 1
        for leaf in want.refused:
            row = by_key.get((message_id, leaf))
            reason_file = (
                Path(row.stored_as).with_name(Path(row.stored_as).name + ".reason.json")
                if row is not None
                else None
            )
            ok = (
                row is not None
                and row.status == "quarantined"
                and bool(row.reason)
                and reason_file is not None
                and json.loads(reason_file.read_text())["error"] == row.reason
            )
            counts[
                ("no-attachment message" if leaf == MESSAGE_PART else "quarantined")
                if ok
                else "lost"
            ] += 1
    counts["inbox files"] = sum(inbox_digests.values())
    counts["inbox files twice"] = sum(n - 1 for n in inbox_digests.values() if n > 1)
    return counts


def fetch_in_child(config: MailboxConfig, folder: Path) -> None:
    settings = settings_in(folder)
    engine = make_engine(settings.resolved_database_url)
    fetch_mailbox(config, inbox=folder / "inbox", settings=settings, engine=engine)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--mails", type=int, default=200)
    parser.add_argument("--seed", type=int, default=16)
    parser.add_argument("--tries", type=int, default=10, help="kills in step 2")
    parser.add_argument("--process", action="store_true", help="run the batch (step 3)")
    args = parser.parse_args(argv)
    mails, expected = make_mails(args.mails, args.seed)
    leaves = sum(len(w.usable) + len(w.refused - {MESSAGE_PART}) for w in expected.values())
    empty = sum(MESSAGE_PART in w.refused for w in expected.values())
    print(
        f"{len(mails)} mails, {leaves} attachments and ZIP members "
        f"({sum(len(w.usable) for w in expected.values())} usable), "
        f"{empty} messages without a usable attachment"
    )
    with tempfile.TemporaryDirectory() as work, dovecot_server() as server:
        folder = Path(work) / "one"
        settings = settings_in(folder)
        settings.data_dir.mkdir(parents=True)
        engine = make_engine(settings.resolved_database_url)
        init_store(engine)
        config = server.add_user()
        deliver(config, mails)
        report = fetch_mailbox(config, inbox=folder / "inbox", settings=settings, engine=engine)
        again = fetch_mailbox(config, inbox=folder / "inbox", settings=settings, engine=engine)
        print("\n1. one run over the mailbox")
        print(
            f"   fetched {report.messages} messages in {report.seconds:.2f} s: "
            f"{report.messages / report.seconds:.1f} messages/s (target >= 20)"
        )
        for name, value in check(expected, settings, folder / "inbox").items():
            print(f"   {name}: {value}")
        print(f"   second run: {again.messages} messages taken")

        print(f"\n2. killed with SIGKILL during the run, then run again ({args.tries} tries)")
        totals: Counter[str] = Counter()
        for attempt in range(args.tries):
            kill_after = 0.2 + (2.0 - 0.2) * attempt / max(args.tries - 1, 1)
            counts, line = crash_and_rerun(server.add_user(), mails, expected, work, kill_after)
            totals.update(counts)
            print(f"   {line}")
        print(
            f"   over the tries: {totals['delivered']} delivered, {totals['quarantined']} "
            f"quarantined, {totals['lost']} lost, {totals['inbox files twice']} files twice"
        )
        if args.process:
            process(folder / "inbox", settings)
    return 0


def crash_and_rerun(
    config: MailboxConfig,
    mails: list[bytes],
    expected: dict[str, Expected],
    work: str,
    kill_after: float,
) -> tuple[Counter[str], str]:
    """Deliver the mails to a new mailbox, kill a run of the channel after ``kill_after``
    seconds, run it again; return the checked counts and a line saying what happened."""
    folder = Path(work) / config.user
    settings = settings_in(folder)
    settings.data_dir.mkdir(parents=True)
    engine = make_engine(settings.resolved_database_url)
    init_store(engine)
    deliver(config, mails)
    child = multiprocessing.get_context("fork").Process(
        target=fetch_in_child, args=(config, folder)
    )
    child.start()
    time.sleep(kill_after)
    assert child.pid is not None
    os.kill(child.pid, signal.SIGKILL)
    child.join()
    inbox = folder / "inbox"
    when_killed = len(list(inbox.iterdir())) if inbox.exists() else 0
    resumed = fetch_mailbox(config, inbox=inbox, settings=settings, engine=engine)
    engine.dispose()
    counts = check(expected, settings, inbox)
    line = (
        f"killed after {kill_after:.1f} s with {when_killed} files in the inbox; the rerun took "
        f"{resumed.messages} messages: {resumed.already_taken} parts found taken (fetched "
        f"again before the flag), {resumed.resumed} found pending and written; lost "
        f"{counts['lost']}, files twice {counts['inbox files twice']}"
    )
    return counts, line


def process(inbox: Path, settings: Settings) -> None:
    """Run the batch flow over the inbox and count the statuses."""
    os.environ["INVOICEBOT_DATA_DIR"] = str(settings.data_dir)
    os.environ["INVOICEBOT_MAX_FILE_MB"] = str(MAX_FILE_MB)
    os.environ["INVOICEBOT_STABLE_SECONDS"] = "0"
    # A local ephemeral Prefect server: no telemetry, no log shipping (PREFECT_NOTES.md).
    os.environ.setdefault("PREFECT_SERVER_ANALYTICS_ENABLED", "false")
    os.environ.setdefault("PREFECT_LOGGING_TO_API_ENABLED", "false")
    os.environ.setdefault("PREFECT_SERVER_EPHEMERAL_STARTUP_TIMEOUT_SECONDS", "90")
    from flows.process_inbox import process_inbox

    files = len(list(inbox.iterdir()))
    started = time.perf_counter()
    summary = process_inbox(inbox=str(inbox))
    statuses = Counter(outcome.status.value for outcome in summary.invoices)
    categories = Counter(
        exception.category.value for outcome in summary.invoices for exception in outcome.exceptions
    )
    print(
        f"\n3. the batch over the {files} files delivered ({time.perf_counter() - started:.0f} s)"
    )
    print(
        f"   {dict(statuses)}; failures: {len(summary.failures)}; "
        f"left in the inbox: {len(list(inbox.iterdir()))}"
    )
    print(
        f"   exceptions by category: {dict(categories.most_common())} (the mails repeat the "
        "samples' invoices in other bytes: duplicates by design)"
    )


if __name__ == "__main__":
    sys.exit(main())
