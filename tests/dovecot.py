"""A real IMAP server for the mailbox channel's tests and benchmarks: Debian's Dovecot, started
in a temporary folder with its own configuration on a free loopback port.

Plain IMAP with plaintext logins on one port, IMAP over TLS on another (a certificate made
for 127.0.0.1 by openssl at the start, its file the CA to trust), both on 127.0.0.1 only;
users live in a passwd-file, and each test takes a user of its own (an empty mailbox).
Mails are delivered with IMAP APPEND, as a mail client files one.
"""

from __future__ import annotations

import os
import pwd
import secrets
import socket
import subprocess
import tempfile
import time
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime
from email.message import EmailMessage
from pathlib import Path

from imap_tools import MailBoxUnencrypted

from invoicebot.mailbox import MailboxConfig

DOVECOT = "/usr/sbin/dovecot"
# The unprivileged user the mail files belong to (Debian's package creates it).
MAIL_USER = "dovecot"
STARTUP_S = 20.0
# Users made when the server starts: one per test that needs an empty mailbox.
USERS = 100

CONFIG = """\
base_dir = {root}/run
state_dir = {root}/state
log_path = {root}/dovecot.log
protocols = imap
listen = 127.0.0.1
ssl = yes
ssl_cert = <{root}/server.pem
ssl_key = <{root}/server.key
disable_plaintext_auth = no
auth_mechanisms = plain login
first_valid_uid = 0
mail_location = maildir:{root}/home/%u/Maildir
passdb {{
  driver = passwd-file
  args = scheme=PLAIN username_format=%u {root}/passwd
}}
userdb {{
  driver = static
  args = uid={mail_user} gid={mail_user} home={root}/home/%u
}}
service imap-login {{
  inet_listener imap {{
    address = 127.0.0.1
    port = {port}
  }}
  inet_listener imaps {{
    address = 127.0.0.1
    port = {tls_port}
    ssl = yes
  }}
}}
service pop3-login {{
  inet_listener pop3 {{
    port = 0
  }}
}}
"""


class DovecotUnavailableError(RuntimeError):
    """Dovecot is not installed, or did not start; the message says why."""


@dataclass
class ImapServer:
    """A running Dovecot: its plain and TLS ports, its certificate, and its users, each with
    an empty mailbox until handed out."""

    root: Path
    port: int
    tls_port: int
    users: list[tuple[str, str]]

    @property
    def certificate(self) -> Path:
        """Return the server's self-signed certificate (the CA a TLS client must trust)."""
        return self.root / "server.pem"

    def add_user(self) -> MailboxConfig:
        """Return the configuration of a user not handed out before (plain IMAP)."""
        if not self.users:
            raise DovecotUnavailableError(f"all {USERS} users of the server are handed out")
        user, password = self.users.pop()
        return MailboxConfig(
            host="127.0.0.1", port=self.port, user=user, password=password, security="plain"
        )


def make_certificate(root: Path) -> None:
    """Write a self-signed certificate for 127.0.0.1 and its key into ``root``."""
    try:
        subprocess.run(
            [
                "openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "2",
                "-subj", "/CN=127.0.0.1", "-addext", "subjectAltName=IP:127.0.0.1",
                "-keyout", str(root / "server.key"), "-out", str(root / "server.pem"),
            ],
            check=True,
            capture_output=True,
            timeout=60,
        )  # fmt: skip
    except (OSError, subprocess.CalledProcessError) as error:
        raise DovecotUnavailableError(f"openssl could not make a certificate: {error}") from error


def free_port() -> int:
    """Return a TCP port free on 127.0.0.1 now."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port


@contextmanager
def dovecot_server() -> Iterator[ImapServer]:
    """Run Dovecot in a temporary folder until the block ends, then remove the folder; raise
    ``DovecotUnavailableError`` where it is not installed or does not start."""
    # Not pytest's tmp_path: Dovecot's unprivileged processes must reach the folder, and
    # pytest's are readable by their owner only.
    with tempfile.TemporaryDirectory(prefix="invoicebot-dovecot-") as folder:
        root = Path(folder)
        root.chmod(0o755)
        with _running(root) as server:
            yield server


@contextmanager
def _running(root: Path) -> Iterator[ImapServer]:
    if not Path(DOVECOT).exists():
        raise DovecotUnavailableError(
            f"{DOVECOT} is missing: install Debian's dovecot-imapd (make mailbox-server)"
        )
    try:
        mail_user = pwd.getpwnam(MAIL_USER)
    except KeyError as error:
        raise DovecotUnavailableError(f"no {MAIL_USER} user: reinstall dovecot-core") from error
    for folder in ("run", "state", "home"):
        (root / folder).mkdir(parents=True, exist_ok=True)
    # The mail processes run as the unprivileged user: they write under home/.
    os.chown(root / "home", mail_user.pw_uid, mail_user.pw_gid)
    # Written before the start: Dovecot reads its passwd-file once a second at most.
    users = [(f"ap{number:03d}", secrets.token_hex(8)) for number in range(USERS)]
    (root / "passwd").write_text(
        "".join(f"{user}:{{PLAIN}}{password}\n" for user, password in users), encoding="utf-8"
    )
    make_certificate(root)
    port, tls_port = free_port(), free_port()
    config = root / "dovecot.conf"
    config.write_text(
        CONFIG.format(root=root, port=port, tls_port=tls_port, mail_user=MAIL_USER),
        encoding="utf-8",
    )
    process = subprocess.Popen(
        [DOVECOT, "-F", "-c", str(config)],
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
    )
    try:
        _wait_for(port, process, root)
        _wait_for(tls_port, process, root)
        yield ImapServer(root=root, port=port, tls_port=tls_port, users=users)
    finally:
        process.terminate()
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()
        if process.stdout is not None:
            process.stdout.close()


def _wait_for(port: int, process: subprocess.Popen[bytes], root: Path) -> None:
    deadline = time.monotonic() + STARTUP_S
    while time.monotonic() < deadline:
        if process.poll() is not None:
            output = process.stdout.read().decode(errors="replace") if process.stdout else ""
            log = root / "dovecot.log"
            detail = log.read_text(errors="replace") if log.exists() else ""
            raise DovecotUnavailableError(f"dovecot exited: {output} {detail}".strip())
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=0.5):
                return
        except OSError:
            time.sleep(0.05)
    process.kill()
    raise DovecotUnavailableError(f"dovecot did not listen on port {port} in {STARTUP_S:.0f} s")


def invoice_mail(
    *,
    sender: str = "Factures ACME <factures@acme.example>",
    subject: str = "Facture",
    message_id: str | None = None,
    attachments: Sequence[tuple[str, bytes]] = (),
    body: str = "Veuillez trouver ci-joint notre facture.",
) -> bytes:
    """Return an e-mail with ``attachments`` (name, bytes), as a supplier's mailer sends it."""
    message = EmailMessage()
    message["From"] = sender
    message["To"] = "factures@aurora.example"
    message["Subject"] = subject
    message["Message-ID"] = message_id or f"<{secrets.token_hex(8)}@acme.example>"
    message["Date"] = "Fri, 04 Dec 2026 09:30:00 +0100"
    message.set_content(body)
    for name, data in attachments:
        maintype, subtype = _content_type(name)
        message.add_attachment(data, maintype=maintype, subtype=subtype, filename=name)
    return message.as_bytes()


def _content_type(name: str) -> tuple[str, str]:
    suffix = Path(name).suffix.lower()
    return {
        ".pdf": ("application", "pdf"),
        ".png": ("image", "png"),
        ".jpg": ("image", "jpeg"),
        ".xml": ("application", "xml"),
        ".zip": ("application", "zip"),
        ".txt": ("text", "plain"),
    }.get(suffix, ("application", "octet-stream"))


def deliver(
    config: MailboxConfig, mails: Sequence[bytes], *, received_at: datetime | None = None
) -> None:
    """Append ``mails`` to the user's INBOX (IMAP APPEND)."""
    with MailBoxUnencrypted(config.host, config.port or 143).login(
        config.user, config.password.get_secret_value()
    ) as mailbox:
        for mail in mails:
            mailbox.append(mail, "INBOX", dt=received_at)
