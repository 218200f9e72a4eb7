"""The mailbox channel: attachments checked as the inbox does, the ledger that makes a re-fetch
write nothing new, and the whole channel against a real Dovecot IMAP server."""

from __future__ import annotations

import email
import io
import json
import ssl
import zipfile
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from imap_tools import AND, MailBoxUnencrypted
from sqlalchemy.engine import Engine
from sqlmodel import Session, select

from invoicebot.mailbox import (
    FETCHED_KEYWORD,
    Destination,
    FetchedMessage,
    MailboxConfig,
    MailboxConfigError,
    connect,
    fetch_mailbox,
    internal_dates,
    message_pieces,
    take_message,
)
from invoicebot.settings import Settings
from invoicebot.store import init_store, make_engine
from invoicebot.store.claims import claim_document
from invoicebot.store.mail import MailPart, PartStatus, provenance_of
from tests.conftest import SAMPLES
from tests.dovecot import ImapServer, deliver, invoice_mail

PDF = (SAMPLES / "fr-classic-0001.pdf").read_bytes()
PNG = (SAMPLES / "fr-letter-0003.png").read_bytes()
XML = b'<?xml version="1.0"?><Invoice xmlns="urn:oasis:names:specification:ubl"/>'
MAX_BYTES = 5 * 1024 * 1024


def zipped(members: dict[str, bytes]) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, data in members.items():
            archive.writestr(name, data)
    return buffer.getvalue()


def parsed(mail: bytes) -> email.message.Message:
    return email.message_from_bytes(mail)


@pytest.fixture
def store(data_dir: Path) -> Iterator[Engine]:
    data_dir.mkdir(parents=True)
    engine = make_engine(Settings().resolved_database_url)
    init_store(engine)
    yield engine
    engine.dispose()


def destination(tmp_path: Path, engine: Engine) -> Destination:
    return Destination(
        inbox=tmp_path / "inbox",
        quarantine=Settings().mailbox_quarantine_dir,
        engine=engine,
        mailbox="ap@localhost/INBOX",
        max_bytes=MAX_BYTES,
    )


def ledger(engine: Engine) -> list[MailPart]:
    with Session(engine) as session:
        return list(session.exec(select(MailPart).order_by(MailPart.id)).all())


def test_pieces_are_checked_as_the_inbox_checks_files() -> None:
    mail = invoice_mail(
        attachments=[
            ("facture.pdf", PDF),
            ("scan.png", PNG),
            ("notes.txt", b"call me"),
            ("factures.zip", zipped({"a.pdf": PDF, "b.xml": XML, "readme.txt": b"x"})),
            ("vide.pdf", b""),
        ]
    )
    pieces = message_pieces(parsed(mail), max_bytes=MAX_BYTES)
    summary = {piece.part_key: (piece.file_name, piece.reason) for piece in pieces}
    assert summary["1"] == ("facture.pdf", None)
    assert summary["2"] == ("scan.png", None)
    assert summary["3"][1] is not None and summary["3"][1].startswith("unsupported_format")
    assert summary["4/1"] == ("factures.zip/a.pdf", None)
    assert summary["4/2"] == ("factures.zip/b.xml", None)
    assert summary["4/3"][1] is not None and summary["4/3"][1].startswith("unsupported_format")
    assert summary["5"][1] is not None and summary["5"][1].startswith("empty")


def test_too_large_corrupt_and_nested_archives_are_refused_with_their_reason() -> None:
    # A ZIP inside a ZIP is opened; one level deeper is refused (an archive bomb's shape).
    inner = zipped({"a.pdf": PDF, "deep.zip": zipped({"deeper.zip": zipped({"x.pdf": PDF})})})
    mail = invoice_mail(
        attachments=[
            ("big.pdf", PDF + b"\0" * MAX_BYTES),
            ("broken.zip", b"PK\x03\x04 not really a zip"),
            ("nested.zip", inner),
        ]
    )
    reasons = {
        p.part_key: p.reason or "" for p in message_pieces(parsed(mail), max_bytes=MAX_BYTES)
    }
    assert reasons["1"].startswith("too_large")
    assert reasons["2"].startswith("unreadable")
    assert reasons["3/1"] == ""
    assert reasons["3/2/1"].startswith("unsupported_format: ZIP files nested")


def test_inline_body_images_are_not_attachments() -> None:
    message = email.message.EmailMessage()
    message["Message-ID"] = "<inline@acme.example>"
    message.set_content("text")
    message.add_alternative("<img src='cid:logo'>", subtype="html")
    html = message.get_payload()[1]
    html.add_related(PNG, maintype="image", subtype="png", cid="<logo>")
    assert message_pieces(message, max_bytes=MAX_BYTES) == []


def test_plain_imap_is_refused_to_another_machine(monkeypatch: pytest.MonkeyPatch) -> None:
    for name, value in {
        "HOST": "imap.example.com",
        "USER": "ap",
        "PASSWORD": "pw",
        "SECURITY": "plain",
    }.items():
        monkeypatch.setenv(f"INVOICEBOT_MAILBOX_{name}", value)
    with pytest.raises(MailboxConfigError, match="this machine only"):
        MailboxConfig.from_settings(Settings())
    monkeypatch.setenv("INVOICEBOT_MAILBOX_HOST", "127.0.0.1")
    assert MailboxConfig.from_settings(Settings()).security == "plain"
    monkeypatch.delenv("INVOICEBOT_MAILBOX_SECURITY")
    assert MailboxConfig.from_settings(Settings()).security == "tls"  # TLS by default
    monkeypatch.delenv("INVOICEBOT_MAILBOX_PASSWORD")
    with pytest.raises(MailboxConfigError, match="PASSWORD"):
        MailboxConfig.from_settings(Settings())
    assert MailboxConfig.from_settings(Settings(), password="from-a-block").password


def fetched(mail: bytes, uid: str = "1") -> FetchedMessage:
    return FetchedMessage(
        uid=uid, message=parsed(mail), received_at=datetime(2026, 12, 4, tzinfo=UTC)
    )


def test_a_message_taken_again_writes_nothing_new(tmp_path: Path, store: Engine) -> None:
    mail = invoice_mail(attachments=[("facture.pdf", PDF), ("notes.txt", b"x")])
    target = destination(tmp_path, store)
    first = take_message(fetched(mail), target)
    assert len(first.delivered) == 1 and list(first.quarantined) == ["2"]
    inbox_file = target.inbox / first.delivered[0]
    assert inbox_file.read_bytes() == PDF
    before = inbox_file.stat().st_mtime_ns
    again = take_message(fetched(mail), target)
    assert again.delivered == [] and again.quarantined == {} and again.already_taken == 2
    assert inbox_file.stat().st_mtime_ns == before
    assert [row.status for row in ledger(store)] == ["delivered", "quarantined"]


def test_two_messages_under_one_message_id_are_both_taken(tmp_path: Path, store: Engine) -> None:
    # A faulty mailer reuses its Message-ID: the second message is not "taken before".
    target = destination(tmp_path, store)
    for number in range(2):
        mail = invoice_mail(
            message_id="<same@acme.example>", attachments=[("f.pdf", PDF + bytes([number]))]
        )
        assert len(take_message(fetched(mail), target).delivered) == 1
    assert len(list(target.inbox.iterdir())) == 2


def test_a_crash_after_the_ledger_writes_the_missing_file_once(
    tmp_path: Path, store: Engine
) -> None:
    mail = invoice_mail(attachments=[("a.pdf", PDF), ("b.png", PNG)])
    target = destination(tmp_path, store)
    message = fetched(mail)
    take_message(message, target)
    # As if the run died after recording the parts pending, before it wrote them.
    with Session(store) as session:
        for row in session.exec(select(MailPart)).all():
            row.status = PartStatus.PENDING.value
            session.add(row)
        session.commit()
    (target.inbox / ledger(store)[0].stored_as).unlink()
    resumed = take_message(message, target)
    assert len(resumed.delivered) == 2
    assert sorted(path.read_bytes() for path in target.inbox.iterdir()) == sorted([PDF, PNG])
    assert {row.status for row in ledger(store)} == {"delivered"}


def test_a_pending_part_a_batch_already_took_is_not_written_again(
    tmp_path: Path, store: Engine
) -> None:
    mail = invoice_mail(attachments=[("a.pdf", PDF)])
    target = destination(tmp_path, store)
    take_message(fetched(mail), target)
    row = ledger(store)[0]
    (target.inbox / row.stored_as).unlink()  # the batch took it into the archive
    with Session(store) as session:
        claim_document(
            session,
            sha256=row.sha256,
            source="x",
            file_name="x",
            size_bytes=1,
            batch_id=None,
            stale_after=timedelta(hours=1),
        )
        stored = session.get_one(MailPart, row.id)
        stored.status = PartStatus.PENDING.value
        session.add(stored)
        session.commit()
    take_message(fetched(mail), target)
    assert list(target.inbox.iterdir()) == []
    assert ledger(store)[0].status == "delivered"


def test_a_message_without_usable_attachment_is_quarantined_with_its_reason(
    tmp_path: Path, store: Engine
) -> None:
    target = destination(tmp_path, store)
    outcome = take_message(fetched(invoice_mail(attachments=[("notes.txt", b"x")])), target)
    assert set(outcome.quarantined) == {"1", "message"}
    assert "no usable attachment" in outcome.quarantined["message"]
    empty = take_message(fetched(invoice_mail(), uid="2"), target)
    assert empty.quarantined == {"message": "no_attachment: the message has no attachment"}
    reasons = sorted(target.quarantine.glob("*.reason.json"))
    assert len(reasons) == 3
    saved = json.loads(next(p for p in reasons if p.name.endswith("eml.reason.json")).read_text())
    assert saved["sender"].startswith("Factures ACME") and saved["error"].startswith("no_")


# Against a real Dovecot server (tests/dovecot.py), mails delivered with IMAP APPEND.


def settings_for(data_dir: Path) -> Settings:
    return Settings(data_dir=data_dir)


def test_fetch_flags_and_a_rerun_fetches_nothing(
    mailbox_config: MailboxConfig, tmp_path: Path, store: Engine
) -> None:
    deliver(
        mailbox_config,
        [
            invoice_mail(subject="Facture F-1", attachments=[("f1.pdf", PDF)]),
            invoice_mail(
                subject="Deux", attachments=[("z.zip", zipped({"a.pdf": PDF, "b.png": PNG}))]
            ),
            invoice_mail(subject="Rien"),
        ],
    )
    inbox = tmp_path / "inbox"
    report = fetch_mailbox(mailbox_config, inbox=inbox, settings=Settings(), engine=store)
    assert (report.messages, report.delivered, report.quarantined) == (3, 3, 1)
    assert len(list(inbox.iterdir())) == 3
    with connect(mailbox_config) as mailbox:
        assert list(mailbox.uids(AND(no_keyword=FETCHED_KEYWORD))) == []
    again = fetch_mailbox(mailbox_config, inbox=inbox, settings=Settings(), engine=store)
    assert again.messages == 0
    with Session(store) as session:
        provenance = provenance_of(session, sha256=ledger(store)[0].sha256)
    assert {row.subject for row in provenance} == {"Facture F-1", "Deux"}  # same PDF twice
    assert all(row.received_at is not None for row in provenance)
    assert provenance[0].message_id and provenance[0].sender.startswith("Factures ACME")


def test_a_crash_between_download_and_flag_processes_each_attachment_once(
    mailbox_config: MailboxConfig, tmp_path: Path, store: Engine
) -> None:
    deliver(
        mailbox_config,
        [invoice_mail(attachments=[(f"f{n}.pdf", PDF + bytes([n]))]) for n in range(4)],
    )
    inbox = tmp_path / "inbox"
    target = Destination(
        inbox=inbox,
        quarantine=tmp_path / "q",
        engine=store,
        mailbox=mailbox_config.name,
        max_bytes=MAX_BYTES,
    )
    # The run downloads every message, then dies before it flags any.
    with connect(mailbox_config) as mailbox:
        uids = list(mailbox.uids())
        received = internal_dates(mailbox, uids)
        for message in mailbox.fetch(uid_list=uids, mark_seen=False, bulk=True):
            assert message.uid is not None
            take_message(FetchedMessage(message.uid, message.obj, received[message.uid]), target)
    written = {path.name: path.stat().st_mtime_ns for path in inbox.iterdir()}
    assert len(written) == 4
    report = fetch_mailbox(mailbox_config, inbox=inbox, settings=Settings(), engine=store)
    assert (report.messages, report.delivered, report.already_taken) == (4, 0, 4)
    assert {path.name: path.stat().st_mtime_ns for path in inbox.iterdir()} == written
    assert len(ledger(store)) == 4


def test_messages_move_to_the_processed_folder(
    mailbox_config: MailboxConfig, tmp_path: Path, store: Engine
) -> None:
    deliver(mailbox_config, [invoice_mail(attachments=[("f.pdf", PDF)])])
    config = mailbox_config.model_copy(update={"processed_folder": "Processed"})
    fetch_mailbox(config, inbox=tmp_path / "inbox", settings=Settings(), engine=store)
    with MailBoxUnencrypted(config.host, config.port or 143).login(
        config.user, config.password.get_secret_value(), initial_folder="Processed"
    ) as mailbox:
        assert len(list(mailbox.uids())) == 1
    assert (
        fetch_mailbox(config, inbox=tmp_path / "inbox", settings=Settings(), engine=store).messages
        == 0
    )


def test_tls_is_verified_against_the_trusted_certificate(
    imap_server: ImapServer, mailbox_config: MailboxConfig, tmp_path: Path, store: Engine
) -> None:
    deliver(mailbox_config, [invoice_mail(attachments=[("f.pdf", PDF)])])
    tls = mailbox_config.model_copy(
        update={"security": "tls", "port": imap_server.tls_port, "ca_file": None}
    )
    # The server's certificate is self-signed: not trusted unless configured.
    with pytest.raises(ssl.SSLCertVerificationError), connect(tls):
        pass
    trusted = tls.model_copy(update={"ca_file": imap_server.certificate})
    report = fetch_mailbox(trusted, inbox=tmp_path / "inbox", settings=Settings(), engine=store)
    assert (report.messages, report.delivered) == (1, 1)
