"""The mailbox channel: invoices attached to e-mails, taken into the inbox (imap-tools).

A run reads the messages of one IMAP folder that it has not fetched before, and for each:

1. takes its attachments (a part with a file name, or sent as an attachment; inline parts
   without a name are the message's body) and the members of the ZIP files among them;
2. checks each as the inbox does (``extractors.sniff_kind``: PDF, PNG, JPEG, TIFF or XML, not
   empty, at most ``INVOICEBOT_MAX_FILE_MB``): a usable one is written into the inbox (as
   ``NAME.part``, renamed when complete), any other is copied to
   ``archive/quarantine/mail/`` with a ``.reason.json``; a message without any usable
   attachment is kept there too (its ``.eml``), with the reason;
3. then flags the message (``$InvoicebotFetched``) or moves it to the processed folder.

Every part is recorded in the store's ledger (``invoicebot.store.mail``) under the message's
id and its place in the message, with the provenance: a message fetched again after a crash
between the writing and the flag finds its parts there and writes nothing new. No Prefect
here: ``flows/fetch_mailbox.py`` runs ``fetch_mailbox`` as a task.
"""

from __future__ import annotations

import contextlib
import email.message
import hashlib
import imaplib
import io
import ipaddress
import json
import logging
import os
import re
import ssl
import time
import zipfile
import zlib
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime
from email.errors import HeaderParseError
from email.header import decode_header, make_header
from functools import cached_property
from pathlib import Path
from typing import Final, Literal

from imap_tools import AND, BaseMailBox, MailBox, MailBoxStartTls, MailBoxUnencrypted, MailMessage
from pydantic import BaseModel, SecretStr
from sqlalchemy.engine import Engine
from sqlmodel import Session

from extractors import sniff_kind
from invoicebot.model import InvoiceError
from invoicebot.privacy import mask_values
from invoicebot.settings import Settings
from invoicebot.store.limits import storable_text
from invoicebot.store.mail import (
    MESSAGE_ID_MAX,
    MailPart,
    PartStatus,
    add_parts,
    is_claimed,
    known_parts,
    mark_delivered,
)

logger = logging.getLogger(__name__)

# The keyword a fetched message carries when it is not moved (IMAP keywords are atoms).
FETCHED_KEYWORD: Final = "$InvoicebotFetched"
MESSAGE_PART: Final = "message"
# Messages fetched per IMAP command: fast, and a few MB in memory at a time.
FETCH_CHUNK: Final = 50
# A ZIP file of more members is refused whole, and one inside a ZIP inside a ZIP: archive bombs.
MAX_ZIP_MEMBERS: Final = 200
MAX_ZIP_DEPTH: Final = 2
ZIP_SIGNATURE: Final = b"PK\x03\x04"
SAFE_NAME: Final = re.compile(r"[^A-Za-z0-9._-]+")
NAME_MAX: Final = 80
INTERNALDATE: Final = re.compile(rb"UID (\d+).*?(INTERNALDATE \"[^\"]+\")")

Security = Literal["tls", "starttls", "plain"]


class MailboxError(InvoiceError):
    """The mailbox channel cannot run as configured."""


class MailboxConfigError(MailboxError):
    """A setting of the mailbox channel is missing or refused; ``setting`` names it."""

    def __init__(self, setting: str, reason: str) -> None:
        super().__init__(f"{setting}: {reason}")
        self.setting = setting
        self.reason = reason


class MailboxConfig(BaseModel):
    """Where the mailbox is and how to log in; the password never comes from the repository
    (a Prefect Secret block, or ``INVOICEBOT_MAILBOX_PASSWORD``)."""

    host: str
    port: int | None = None
    user: str
    password: SecretStr
    folder: str = "INBOX"
    security: Security = "tls"
    ca_file: Path | None = None
    processed_folder: str | None = None

    @classmethod
    def from_settings(cls, settings: Settings, *, password: str | None = None) -> MailboxConfig:
        """Return the configuration in ``settings``, ``password`` overriding theirs; raise
        ``MailboxConfigError`` for a missing setting or plain IMAP to another machine."""
        secret = SecretStr(password) if password is not None else settings.mailbox_password
        missing = [
            name
            for name, value in (
                ("INVOICEBOT_MAILBOX_HOST", settings.mailbox_host),
                ("INVOICEBOT_MAILBOX_USER", settings.mailbox_user),
                ("INVOICEBOT_MAILBOX_PASSWORD (or a Prefect Secret block)", secret),
            )
            if not value
        ]
        if missing:
            raise MailboxConfigError(", ".join(missing), "not set")
        assert settings.mailbox_host and settings.mailbox_user and secret  # checked above
        config = cls(
            host=settings.mailbox_host,
            port=settings.mailbox_port,
            user=settings.mailbox_user,
            password=secret,
            folder=settings.mailbox_folder,
            security=_security(settings.mailbox_security),
            ca_file=settings.mailbox_ca_file,
            processed_folder=settings.mailbox_processed_folder,
        )
        config.check()
        return config

    def check(self) -> None:
        """Raise ``MailboxConfigError`` for plain IMAP to a host other than this machine: a
        password and invoices would cross the network in clear."""
        if self.security == "plain" and not is_loopback(self.host):
            raise MailboxConfigError(
                "INVOICEBOT_MAILBOX_SECURITY",
                f"plain IMAP is allowed to this machine only, not to {self.host}: use tls or "
                "starttls",
            )

    @property
    def name(self) -> str:
        """Return the mailbox as the provenance names it: user@host/folder."""
        return f"{self.user}@{self.host}/{self.folder}"


def _security(value: str) -> Security:
    if value == "tls":
        return "tls"
    if value == "starttls":
        return "starttls"
    if value == "plain":
        return "plain"
    raise MailboxConfigError("INVOICEBOT_MAILBOX_SECURITY", f"{value!r}: tls, starttls or plain")


def is_loopback(host: str) -> bool:
    """Return True when ``host`` is this machine (localhost, 127.0.0.0/8, ::1)."""
    if host.lower() in ("localhost", "localhost.localdomain"):
        return True
    try:
        return ipaddress.ip_address(host.strip("[]")).is_loopback
    except ValueError:
        return False


@contextmanager
def connect(config: MailboxConfig) -> Iterator[BaseMailBox]:
    """Yield the mailbox, logged in with its folder selected; TLS verified unless plain."""
    config.check()
    mailbox: BaseMailBox
    if config.security == "plain":
        mailbox = MailBoxUnencrypted(config.host, config.port or 143)
    else:
        context = ssl.create_default_context(cafile=str(config.ca_file) if config.ca_file else None)
        if config.security == "tls":
            mailbox = MailBox(config.host, config.port or 993, ssl_context=context)
        else:
            mailbox = MailBoxStartTls(config.host, config.port or 143, ssl_context=context)
    with mailbox.login(
        config.user, config.password.get_secret_value(), initial_folder=config.folder
    ) as logged_in:
        yield logged_in


@dataclass(frozen=True)
class Piece:
    """One attachment, or one member of a ZIP attachment, and why it is refused (None:
    it goes to the inbox). ``data`` is None for a member never decompressed."""

    part_key: str
    file_name: str
    data: bytes | None
    reason: str | None = None

    @property
    def sha256(self) -> str:
        """Return the digest of the bytes (of nothing, for a member never decompressed)."""
        return hashlib.sha256(self.data or b"").hexdigest()


def message_pieces(message: email.message.Message, *, max_bytes: int) -> list[Piece]:
    """Return the message's attachments, ZIP files opened, each checked as the inbox does."""
    pieces: list[Piece] = []
    number = 0
    for part in message.walk():
        if part.is_multipart():
            continue
        name = part.get_filename()
        if name is None and part.get_content_disposition() != "attachment":
            continue  # the text, or an image the text shows: the body, not an attachment
        number += 1
        name = decoded_header(name) if name else f"attachment-{number}"
        payload = part.get_payload(decode=True)
        data = payload if isinstance(payload, bytes) else b""
        pieces.extend(_checked(str(number), name, data, max_bytes=max_bytes, depth=0))
    return pieces


def _checked(key: str, name: str, data: bytes, *, max_bytes: int, depth: int) -> list[Piece]:
    if data.startswith(ZIP_SIGNATURE):
        if depth >= MAX_ZIP_DEPTH:
            return [Piece(key, name, data, f"unsupported_format: ZIP files nested {depth} deep")]
        return _zip_members(key, name, data, max_bytes=max_bytes, depth=depth + 1)
    if not data:
        return [Piece(key, name, data, "empty: the attachment has no content")]
    if len(data) > max_bytes:
        return [Piece(key, name, data, f"too_large: {len(data)} bytes, more than {max_bytes}")]
    if sniff_kind(data) is None:
        return [Piece(key, name, data, "unsupported_format: not a PDF, PNG, JPEG, TIFF or XML")]
    return [Piece(key, name, data)]


def _zip_members(key: str, name: str, data: bytes, *, max_bytes: int, depth: int) -> list[Piece]:
    try:
        archive = zipfile.ZipFile(io.BytesIO(data))
        members = [info for info in archive.infolist() if not info.is_dir()]
    except (zipfile.BadZipFile, zipfile.LargeZipFile, OSError, ValueError) as error:
        return [Piece(key, name, data, f"unreadable: not a readable ZIP file ({error})")]
    if not members:
        return [Piece(key, name, data, "empty: the ZIP file holds no file")]
    if len(members) > MAX_ZIP_MEMBERS:
        reason = f"too_large: the ZIP file holds {len(members)} files, more than {MAX_ZIP_MEMBERS}"
        return [Piece(key, name, data, reason)]
    pieces: list[Piece] = []
    for index, info in enumerate(members, start=1):
        member_key = f"{key}/{index}"
        member_name = storable_text(f"{name}/{info.filename}")
        if info.flag_bits & 0x1:
            pieces.append(Piece(member_key, member_name, None, "encrypted: a password is needed"))
            continue
        if info.file_size > max_bytes:
            reason = f"too_large: {info.file_size} bytes, more than {max_bytes}"
            pieces.append(Piece(member_key, member_name, None, reason))
            continue
        try:
            with archive.open(info) as member:
                # One byte over the limit is read at most, whatever the header declared.
                content = member.read(max_bytes + 1)
        except (
            zipfile.BadZipFile,
            NotImplementedError,
            RuntimeError,
            zlib.error,
            EOFError,
        ) as error:
            reason = f"unreadable: the member cannot be decompressed ({error})"
            pieces.append(Piece(member_key, member_name, None, reason))
            continue
        if len(content) > max_bytes:
            reason = f"too_large: more than {max_bytes} bytes once decompressed"
            pieces.append(Piece(member_key, member_name, None, reason))
            continue
        pieces.extend(_checked(member_key, member_name, content, max_bytes=max_bytes, depth=depth))
    return pieces


def decoded_header(value: object) -> str:
    """Return a header's text with its RFC 2047 encoded words decoded (as written when they
    cannot be), storable in every database."""
    text = str(value)
    # A malformed encoded word: the header as the sender wrote it.
    with contextlib.suppress(HeaderParseError, UnicodeDecodeError, LookupError):
        text = str(make_header(decode_header(text)))
    return storable_text(" ".join(text.split()))


@dataclass(frozen=True)
class FetchedMessage:
    """A message as fetched: its IMAP uid, the parsed message and when the server got it."""

    uid: str
    message: email.message.Message
    received_at: datetime | None

    @property
    def message_id(self) -> str | None:
        """Return the Message-ID header (with its angle brackets), or None."""
        value = self.message.get("Message-ID")
        return storable_text(str(value).strip())[:MESSAGE_ID_MAX] if value else None

    @cached_property
    def key(self) -> str:
        """Return the ledger's key: the Message-ID and the digest of the message's bytes.

        The digest keeps apart two messages that a faulty mailer sent under one Message-ID
        (or none); the same message fetched again has the same bytes, so the same key."""
        digest = hashlib.sha256(self.raw).hexdigest()[:24]
        return f"{(self.message_id or '')[: MESSAGE_ID_MAX - 40]} sha256:{digest}"

    @cached_property
    def raw(self) -> bytes:
        """Return the message's bytes, for its quarantine copy."""
        return self.message.as_bytes()

    @property
    def sender(self) -> str:
        """Return the From header as text."""
        return decoded_header(self.message.get("From", ""))

    @property
    def subject(self) -> str:
        """Return the Subject header as text."""
        return decoded_header(self.message.get("Subject", ""))


class MessageOutcome(BaseModel):
    """What one message gave: the files written into the inbox, the parts quarantined with
    their reasons, the parts an earlier run had already taken, and those it had left
    pending (it died before their files were surely in the inbox: delivered now)."""

    uid: str
    message_key: str
    delivered: list[str] = []
    quarantined: dict[str, str] = {}
    already_taken: int = 0
    resumed: int = 0


class FetchReport(BaseModel):
    """What one run of the channel did."""

    mailbox: str
    messages: int = 0
    delivered: int = 0
    quarantined: int = 0
    already_taken: int = 0
    resumed: int = 0
    seconds: float = 0.0
    outcomes: list[MessageOutcome] = []


@dataclass(frozen=True)
class Destination:
    """Where a message's parts go: the inbox, the quarantine folder, the store."""

    inbox: Path
    quarantine: Path
    engine: Engine
    mailbox: str
    max_bytes: int


def take_message(fetched: FetchedMessage, destination: Destination) -> MessageOutcome:
    """Write the message's usable attachments into the inbox and quarantine the others, each
    recorded in the ledger first; parts an earlier run recorded are not written again."""
    key = fetched.key
    outcome = MessageOutcome(uid=fetched.uid, message_key=key)
    pieces = message_pieces(fetched.message, max_bytes=destination.max_bytes)
    if not any(piece.reason is None for piece in pieces):
        pieces.append(_without_attachment(fetched, pieces))
    with Session(destination.engine) as session:
        known = known_parts(session, message_key=key)
        # Parts a run that died left pending: their files may or may not be in the inbox.
        resumed = [row for row in known.values() if row.status == PartStatus.PENDING.value]
        resumed_ids = {row.id for row in resumed}
        outcome.resumed = len(resumed)
        new_rows: list[MailPart] = []
        for piece in pieces:
            if piece.part_key in known:
                if known[piece.part_key].status != PartStatus.PENDING.value:
                    outcome.already_taken += 1
                continue
            new_rows.append(_ledger_row(fetched, piece, destination))
            if piece.reason is not None:
                outcome.quarantined[piece.part_key] = piece.reason
        for row in new_rows:
            if row.status == PartStatus.QUARANTINED.value:
                _quarantine_copy(fetched, _piece(pieces, row.part_key), row, destination)
        # Pending before any file is written: a crash from here on leaves the ledger saying
        # which files may be missing, and the next run writes them.
        add_parts(session, new_rows)
        by_key = {piece.part_key: piece for piece in pieces}
        written: list[int] = []
        for row in [*resumed, *new_rows]:
            if row.status != PartStatus.PENDING.value:
                continue
            assert row.id is not None  # stored above or before
            # A resumed row whose file a batch already claimed: it reached the inbox.
            if not (row.id in resumed_ids and is_claimed(session, sha256=row.sha256)):
                data = by_key[row.part_key].data
                assert data is not None  # usable pieces carry their bytes
                _write_into_inbox(destination.inbox / row.stored_as, data)
            written.append(row.id)
            outcome.delivered.append(row.stored_as)
        mark_delivered(session, ids=written)
    return outcome


def _piece(pieces: Sequence[Piece], part_key: str) -> Piece:
    return next(piece for piece in pieces if piece.part_key == part_key)


def _without_attachment(fetched: FetchedMessage, pieces: Sequence[Piece]) -> Piece:
    """Return the message itself as a quarantined piece: it has no usable attachment."""
    if pieces:
        reasons = "; ".join(f"{piece.file_name}: {piece.reason}" for piece in pieces)
        reason = f"no_attachment: no usable attachment ({reasons})"
    else:
        reason = "no_attachment: the message has no attachment"
    return Piece(MESSAGE_PART, "message.eml", fetched.raw, reason)


def _ledger_row(fetched: FetchedMessage, piece: Piece, destination: Destination) -> MailPart:
    stem = hashlib.sha256(fetched.key.encode()).hexdigest()[:12]
    place = piece.part_key.replace("/", ".")
    name = SAFE_NAME.sub("_", Path(piece.file_name).name).strip("._")[:NAME_MAX] or "attachment"
    stored_as = f"mail-{stem}-{place}-{name}"
    if piece.reason is not None:
        stored_as = str(destination.quarantine / stored_as)
    elif stored_as.endswith(".part"):
        stored_as += ".bin"  # the inbox never takes a .part name
    return MailPart(
        message_key=fetched.key,
        part_key=piece.part_key,
        sha256=piece.sha256,
        file_name=piece.file_name,
        stored_as=stored_as,
        status=(PartStatus.PENDING if piece.reason is None else PartStatus.QUARANTINED).value,
        reason=piece.reason,
        sender=fetched.sender,
        subject=fetched.subject,
        message_id=fetched.message_id,
        received_at=fetched.received_at,
        mailbox=destination.mailbox,
    )


def _quarantine_copy(
    fetched: FetchedMessage, piece: Piece, row: MailPart, destination: Destination
) -> None:
    """Write the refused part (when decompressed) and its reason beside it; written again
    identically by a run that follows a crash."""
    target = Path(row.stored_as)
    target.parent.mkdir(parents=True, exist_ok=True)
    reason = {
        "source": f"mail:{destination.mailbox}",
        "file_name": piece.file_name,
        "part": piece.part_key,
        "sha256": row.sha256 if piece.data is not None else None,
        "error": piece.reason,
        "sender": fetched.sender,
        "subject": fetched.subject,
        "message_id": fetched.message_id,
        "received_at": fetched.received_at.isoformat() if fetched.received_at else None,
    }
    reason_path = target.with_name(target.name + ".reason.json")
    reason_path.write_text(
        json.dumps(mask_values(reason), indent=2, ensure_ascii=False), encoding="utf-8"
    )
    if piece.data is not None:
        _write_atomically(target, piece.data)


def _write_into_inbox(target: Path, data: bytes) -> None:
    target.parent.mkdir(parents=True, exist_ok=True)
    _write_atomically(target, data)


def _write_atomically(target: Path, data: bytes) -> None:
    """Write ``data`` under ``NAME.part``, flushed, then rename it to ``NAME``: the inbox never
    takes a ``.part`` file, so a batch sees the whole file or nothing."""
    partial = target.with_name(target.name + ".part")
    with partial.open("wb") as file:
        file.write(data)
        file.flush()
        os.fsync(file.fileno())
    partial.replace(target)


def fetch_mailbox(
    config: MailboxConfig,
    *,
    inbox: Path,
    settings: Settings,
    engine: Engine,
    limit: int | None = None,
) -> FetchReport:
    """Take every message of the folder not fetched before (at most ``limit``) into the
    inbox, then flag or move it; return what was done."""
    started = time.perf_counter()
    destination = Destination(
        inbox=inbox,
        quarantine=settings.mailbox_quarantine_dir,
        engine=engine,
        mailbox=config.name,
        max_bytes=int(settings.max_file_mb * 1024 * 1024),
    )
    report = FetchReport(mailbox=config.name)
    with connect(config) as mailbox:
        if config.processed_folder and not mailbox.folder.exists(config.processed_folder):
            mailbox.folder.create(config.processed_folder)
        criteria = "ALL" if config.processed_folder else AND(no_keyword=FETCHED_KEYWORD)
        uids = list(mailbox.uids(criteria))[:limit]
        for start in range(0, len(uids), FETCH_CHUNK):
            chunk = uids[start : start + FETCH_CHUNK]
            received = internal_dates(mailbox, chunk)
            for message in mailbox.fetch(uid_list=chunk, mark_seen=False, bulk=True):
                fetched = _fetched(message, received)
                outcome = take_message(fetched, destination)
                # Only once every part is in the inbox or quarantined: a crash before this
                # line fetches the message again, and the ledger keeps it from doubling.
                mark_fetched(mailbox, fetched.uid, config)
                _count(report, outcome)
    report.seconds = time.perf_counter() - started
    logger.info(
        "%s: %d messages, %d attachments into the inbox, %d quarantined, %d taken before",
        config.name,
        report.messages,
        report.delivered,
        report.quarantined,
        report.already_taken,
    )
    return report


def _fetched(message: MailMessage, received: dict[str, datetime]) -> FetchedMessage:
    uid = message.uid
    if uid is None:
        raise MailboxError("the server sent a message without its UID")
    return FetchedMessage(uid=uid, message=message.obj, received_at=received.get(uid))


def _count(report: FetchReport, outcome: MessageOutcome) -> None:
    report.messages += 1
    report.delivered += len(outcome.delivered)
    report.quarantined += len(outcome.quarantined)
    report.already_taken += outcome.already_taken
    report.resumed += outcome.resumed
    report.outcomes.append(outcome)


def mark_fetched(mailbox: BaseMailBox, uid: str, config: MailboxConfig) -> None:
    """Move the message to the processed folder, or flag it when there is none."""
    if config.processed_folder:
        mailbox.move(uid, config.processed_folder)
    else:
        mailbox.flag(uid, FETCHED_KEYWORD, True)


def internal_dates(mailbox: BaseMailBox, uids: Sequence[str]) -> dict[str, datetime]:
    """Return when the server received each message (IMAP INTERNALDATE), by uid."""
    if not uids:
        return {}
    status, data = mailbox.client.uid("FETCH", ",".join(uids), "(INTERNALDATE)")
    if status != "OK":
        raise MailboxError(f"the server refused FETCH INTERNALDATE: {data!r}")
    dates: dict[str, datetime] = {}
    for item in data:
        line = item[0] if isinstance(item, tuple) else item
        if not isinstance(line, bytes):
            continue
        found = INTERNALDATE.search(line)
        parsed = imaplib.Internaldate2tuple(found.group(2)) if found else None
        if found and parsed is not None:
            dates[found.group(1).decode()] = datetime.fromtimestamp(time.mktime(parsed), UTC)
    return dates
