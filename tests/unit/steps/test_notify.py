"""The notification step: an event per outcome, and a webhook POST retried after a 500,
against a real HTTP server in a thread."""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator, Mapping
from decimal import Decimal
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import pytest

from invoicebot.model import Extraction, InvoiceFields, InvoiceStatus
from invoicebot.steps.notify import NotifySettings, NotifyStep, WebhookError, post_with_retries
from invoicebot.steps.testing import stored_document


class Webhook(ThreadingHTTPServer):
    """Answers each POST with the next status of ``answers`` (200 once they run out)."""

    def __init__(self) -> None:
        super().__init__(("127.0.0.1", 0), Handler)
        self.answers: list[int] = []
        self.bodies: list[dict[str, Any]] = []

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.server_address[1]}/hooks/secret-token"


class Handler(BaseHTTPRequestHandler):
    server: Webhook

    def do_POST(self) -> None:
        length = int(self.headers["Content-Length"])
        self.server.bodies.append(json.loads(self.rfile.read(length)))
        status = self.server.answers.pop(0) if self.server.answers else 200
        self.send_response(status)
        self.send_header("Content-Length", "0")
        self.end_headers()

    def log_message(self, format: str, *args: Any) -> None:
        """Keep the test output clean."""


@pytest.fixture
def webhook() -> Iterator[Webhook]:
    server = Webhook()
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield server
    server.shutdown()
    server.server_close()
    thread.join()


def document(status: InvoiceStatus = InvoiceStatus.APPROVED, **kwargs: Any) -> Any:
    fields = InvoiceFields(invoice_number="F-42", total_gross=Decimal(12))
    return stored_document(
        [Extraction(source="inbox/f42.pdf", sha256="a" * 64, fields=fields)],
        status=status,
        **kwargs,
    )


def test_a_webhook_answering_500_is_tried_again(webhook: Webhook) -> None:
    webhook.answers = [500]
    waits: list[float] = []
    step = NotifyStep(NotifySettings(url=webhook.url, backoff_s=0.5), sleep=waits.append)
    result = step.run(document())
    assert result.values == {"notified": 1}
    assert len(webhook.bodies) == 2 and waits == [0.5]
    body = webhook.bodies[1]
    assert body["sha256"] == "a" * 64
    assert body["invoices"][0]["invoice_number"] == "F-42"
    assert body["invoices"][0]["status"] == "approved"


def test_a_webhook_failing_every_attempt_fails_the_step(webhook: Webhook) -> None:
    webhook.answers = [503, 502, 500]
    waits: list[float] = []
    step = NotifyStep(NotifySettings(url=webhook.url, attempts=3), sleep=waits.append)
    with pytest.raises(WebhookError) as failed:
        step.run(document())
    assert waits == [1.0, 2.0]
    assert failed.value.attempts == 3
    # Where it went, not the path that holds the webhook's secret.
    assert "secret-token" not in str(failed.value) and "HTTP 500" in str(failed.value)


def test_a_refused_notification_is_not_tried_again(webhook: Webhook) -> None:
    webhook.answers = [404]
    with pytest.raises(WebhookError, match=r"HTTP 404 \(after 1 attempt"):
        post_with_retries(webhook.url, {}, attempts=3, backoff_s=0, timeout_s=5)
    assert len(webhook.bodies) == 1


def test_an_unreachable_webhook_is_tried_again() -> None:
    with pytest.raises(WebhookError, match=r"ConnectError.*after 2 attempt"):
        post_with_retries("http://127.0.0.1:9/", {}, attempts=2, backoff_s=0, timeout_s=2)


def test_each_outcome_is_an_event_with_bank_details_masked() -> None:
    events: list[tuple[str, Mapping[str, str], Mapping[str, Any]]] = []
    doc = document(InvoiceStatus.EXCEPTION, emit=lambda *event: events.append(event))
    seller = "ACME, IBAN FR7630006000011234567890189"
    doc.outcomes = [doc.outcomes[0].model_copy(update={"seller_name": seller})]
    NotifyStep().run(doc)
    ((name, resource, payload),) = events
    assert name == "invoice.exception"
    assert resource["prefect.resource.id"] == "invoicebot.invoice.1"
    assert payload["invoice_number"] == "F-42"
    assert payload["seller_name"].startswith("ACME, IBAN FR76")
    assert "FR7630006000011234567890189" not in json.dumps(payload)


def test_statuses_not_chosen_are_not_notified() -> None:
    events: list[object] = []
    step = NotifyStep(NotifySettings(statuses=(InvoiceStatus.EXCEPTION,)))
    assert step.run(document(emit=lambda *event: events.append(event))).names == frozenset()
    assert events == []
