"""`make serve` / `make stop` on free ports: server, work pool, deployments, worker, page
view, then none.

The helpers here start the stack the e2e tests share (the ``stack`` fixture of
``tests/e2e/conftest.py``): this module's checks and the browser test of the review form
(test_ui.py) run on one stack, and the test of `make stop` runs after them (``stops_stack``).
"""

from __future__ import annotations

import os
import socket
import stat
import subprocess
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import pytest

from tests.conftest import ROOT, SAMPLES_REFERENCE_DATE

SERVE_TIMEOUT_S = 420
STOP_TIMEOUT_S = 120
# The processes `make serve` starts and records.
STARTED = ("server", "worker", "pageview")


@dataclass(frozen=True)
class Stack:
    """A local Prefect stack started by ``make serve``."""

    port: int
    data_dir: Path
    env: dict[str, str]

    @property
    def ui_url(self) -> str:
        """Return the UI's address."""
        return f"http://127.0.0.1:{self.port}"

    @property
    def api_url(self) -> str:
        """Return the API's address."""
        return f"{self.ui_url}/api"

    @property
    def page_view_url(self) -> str:
        """Return the page view's address."""
        return f"http://127.0.0.1:{self.env['INVOICEBOT_PAGE_VIEW_PORT']}"

    @property
    def auth_file(self) -> Path:
        """Return the file ``make serve`` keeps the server's credential in."""
        return self.data_dir / "prefect-auth"

    @property
    def auth_string(self) -> str:
        """Return the credential (``user:password``) the server asks for."""
        return self.auth_file.read_text(encoding="utf-8").strip()

    def api(self, method: str, path: str, body: Any = None) -> Any:
        """Call the Prefect REST API with the stack's credential; return its JSON answer."""
        user, _, password = self.auth_string.partition(":")
        response = httpx.request(
            method, f"{self.api_url}{path}", json=body, timeout=30, auth=(user, password)
        )
        response.raise_for_status()
        return response.json() if response.content else None

    def pid(self, name: str) -> int:
        """Return the pid ``make serve`` recorded for ``server`` or ``worker``."""
        return int((self.data_dir / "run" / f"{name}.pid").read_text())


def free_port() -> int:
    """Return a TCP port nobody listens on now."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def stack_env(tmp: Path, port: int) -> dict[str, str]:
    """Return an environment of its own for a stack: data dir, Prefect home, port."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(("INVOICEBOT_", "PREFECT_"))}
    return env | {
        "INVOICEBOT_DATA_DIR": str(tmp / "data"),
        "PREFECT_HOME": str(tmp / "prefect"),
        "PREFECT_SERVER_API_PORT": str(port),
        "INVOICEBOT_PAGE_VIEW_PORT": str(free_port()),
        "PREFECT_API_URL": f"http://127.0.0.1:{port}/api",
        "PREFECT_SERVER_ANALYTICS_ENABLED": "false",
        "INVOICEBOT_RULES_REFERENCE_DATE": SAMPLES_REFERENCE_DATE,
    }


def make(target: str, env: dict[str, str], timeout: float) -> subprocess.CompletedProcess[str]:
    """Run a Makefile target in the project folder and return what it printed."""
    return subprocess.run(
        ["make", "--no-print-directory", target],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=timeout,
        check=False,
    )


@contextmanager
def served_stack(tmp: Path) -> Iterator[Stack]:
    """Start the stack with ``make serve`` and always stop it with ``make stop``."""
    port = free_port()
    env = stack_env(tmp, port)
    stack = Stack(port=port, data_dir=tmp / "data", env=env)
    try:
        started = make("serve", env, SERVE_TIMEOUT_S)
        assert started.returncode == 0, started.stdout + started.stderr
        assert stack.ui_url in started.stdout and stack.page_view_url in started.stdout
        yield stack
    finally:
        make("stop", env, STOP_TIMEOUT_S)


def alive(pid: int) -> bool:
    """Return True when a process with this pid exists."""
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    return True


def test_make_serve_starts_the_stack(stack: Stack) -> None:
    assert stack.api("GET", "/health") is True
    assert stack.api("GET", "/work_pools/process")["type"] == "process"
    deployments = stack.api("POST", "/deployments/filter", {})
    names = {deployment["name"] for deployment in deployments}
    assert {"process-inbox", "fetch-mailbox", "review", "retrain-classifier"} <= names
    mailbox = next(d for d in deployments if d["name"] == "fetch-mailbox")
    assert mailbox["parameters"]["inbox"] == str(stack.data_dir.resolve() / "inbox")
    assert mailbox["parameters"]["password_block"] == "invoicebot-mailbox-password"
    assert mailbox["schedules"][0]["schedule"]["cron"] == "*/10 8-18 * * 1-5"
    batch = next(d for d in deployments if d["name"] == "process-inbox")
    assert batch["global_concurrency_limit"]["limit"] == 1
    assert batch["parameters"]["inbox"] == str(stack.data_dir.resolve() / "inbox")
    [schedule] = batch["schedules"]
    assert schedule["schedule"]["cron"] == "*/30 8-18 * * 1-5"
    assert schedule["schedule"]["timezone"] == "Europe/Paris"
    assert all(alive(stack.pid(name)) for name in STARTED)
    html = httpx.get(stack.ui_url, timeout=30).text
    assert "<html" in html.lower()
    # Basic authentication: nothing but the health probe answers without the credential,
    # which lives in the data dir, readable by its owner only, outside the repository.
    assert httpx.get(f"{stack.api_url}/health", timeout=30).status_code == 200
    denied = httpx.post(f"{stack.api_url}/deployments/filter", json={}, timeout=30)
    assert denied.status_code == 401
    wrong = httpx.post(
        f"{stack.api_url}/deployments/filter", json={}, timeout=30, auth=("invoicebot", "x")
    )
    assert wrong.status_code == 401
    assert stat.S_IMODE(stack.auth_file.stat().st_mode) == 0o600
    user, _, password = stack.auth_string.partition(":")
    assert user == "invoicebot" and len(password) >= 30
    assert not stack.auth_file.resolve().is_relative_to(ROOT)
    # The page view beside it: the same credential, or a signed link; nothing else.
    page = f"{stack.page_view_url}/documents/999999/pages/1"
    assert httpx.get(page, timeout=30).status_code == 401
    assert httpx.get(page, timeout=30, auth=("invoicebot", "x")).status_code == 401
    unknown = httpx.get(page, timeout=30, auth=(user, password))
    assert unknown.status_code == 404 and "no such document" in unknown.json()["detail"]
    traversal = httpx.get(
        f"{stack.page_view_url}/documents/..%2F..%2Fetc%2Fpasswd/file",
        timeout=30,
        auth=(user, password),
    )
    assert traversal.status_code in (404, 422) and b"root:" not in traversal.content
    secret = stack.data_dir / "page-view-secret"
    assert stat.S_IMODE(secret.stat().st_mode) == 0o600
    credential = stack.auth_string
    # A second `make serve` keeps the credential (a browser logged in stays so).
    again = make("serve", stack.env, SERVE_TIMEOUT_S)
    assert again.returncode == 0, again.stdout + again.stderr
    assert stack.auth_string == credential and str(stack.auth_file) in again.stdout


@pytest.mark.stops_stack
def test_make_stop_stops_the_stack(stack: Stack) -> None:
    started = {name: stack.pid(name) for name in STARTED}
    stopped = make("stop", stack.env, STOP_TIMEOUT_S)
    assert stopped.returncode == 0, stopped.stdout + stopped.stderr

    assert not any(alive(pid) for pid in started.values())
    assert not (stack.data_dir / "run" / "server.pid").exists()
    for port in (stack.port, int(stack.env["INVOICEBOT_PAGE_VIEW_PORT"])):
        with socket.socket() as probe:
            # As a new server would: connections the old one closed may linger in TIME_WAIT.
            probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
            probe.bind(("127.0.0.1", port))  # nobody listens on the port any more
