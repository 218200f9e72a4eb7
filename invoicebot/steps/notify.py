"""An optional step: tell other systems what became of each invoice.

For each outcome of the statuses chosen, an event ``invoice.<status>`` (``invoice.approved``,
``invoice.exception``, ``invoice.quarantined``) goes to the flow's event bus, and one JSON
POST per document to the webhook URL (the step's ``url``, else ``INVOICEBOT_NOTIFY_URL``),
tried again after a 5xx answer, a 429 or a network error. Shipped through the
``invoicebot.steps`` entry-point group; turn it on with one line in the steps
configuration::

    - notify: {url: "https://erp.example/hooks/invoices", attempts: 3}

The step imports no Prefect: the batch flow gives it Prefect's ``emit_event`` through
``DocumentContext.emit`` (outside a flow, events go nowhere; the webhook is still called).
Bank details are masked in what leaves, as in the flow's artifacts.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Mapping
from typing import Any
from urllib.parse import urlsplit

import httpx
from pydantic import BaseModel, ConfigDict, Field

from invoicebot.model import InvoiceError, InvoiceOutcome, InvoiceStatus
from invoicebot.privacy import mask_values
from invoicebot.steps.document import DocumentContext, StepResult

EVENT_PREFIX = "invoice."


class NotifySettings(BaseModel):
    """The notification step's settings."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    url: str | None = Field(
        default=None,
        pattern=r"^https?://",
        description="webhook receiving one JSON POST per document; default "
        "INVOICEBOT_NOTIFY_URL, none: events only",
    )
    statuses: tuple[InvoiceStatus, ...] = Field(
        default=(InvoiceStatus.APPROVED, InvoiceStatus.EXCEPTION, InvoiceStatus.QUARANTINED),
        description="outcomes notified (duplicates are not, by default)",
    )
    attempts: int = Field(default=3, ge=1, le=10, description="POSTs before the step fails")
    backoff_s: float = Field(
        default=1.0, ge=0, description="wait before the second attempt, doubled after"
    )
    timeout_s: float = Field(default=10.0, gt=0, description="per attempt")


class WebhookError(InvoiceError):
    """The webhook did not take the notification (after every attempt, or refused it)."""

    def __init__(self, url: str, reason: str, *, attempts: int) -> None:
        # Only the scheme and host are named: a webhook's path often holds its secret.
        where = "{0.scheme}://{0.netloc}".format(urlsplit(url))
        super().__init__(f"webhook {where}: {reason} (after {attempts} attempt(s))")
        self.url = url
        self.reason = reason
        self.attempts = attempts


class NotifyStep:
    """Publish an event per invoice outcome and POST the document's outcomes to a webhook."""

    name = "notify"
    needs = ("outcomes",)
    adds = ("notified",)
    settings_model = NotifySettings

    def __init__(
        self, settings: NotifySettings | None = None, *, sleep: Callable[[float], None] = time.sleep
    ) -> None:
        self.settings = settings or NotifySettings()
        self._sleep = sleep

    def run(self, doc: DocumentContext) -> StepResult:
        """Notify the outcomes of ``doc`` whose status is chosen; return how many."""
        chosen = [o for o in doc.outcomes or [] if o.status in self.settings.statuses]
        if not chosen:
            return StepResult(note="no outcome to notify")
        for outcome, resource in zip(chosen, _resources(doc, chosen), strict=True):
            doc.emit(f"{EVENT_PREFIX}{outcome.status.value}", resource, _payload(outcome))
        url = self.settings.url or doc.settings.notify_url
        if url is not None:
            body = {
                "source": doc.source,
                "sha256": doc.sha256,
                "invoices": [_payload(outcome) for outcome in chosen],
            }
            post_with_retries(
                url,
                body,
                attempts=self.settings.attempts,
                backoff_s=self.settings.backoff_s,
                timeout_s=self.settings.timeout_s,
                sleep=self._sleep,
            )
        return StepResult(values={"notified": len(chosen)})


def _resources(doc: DocumentContext, chosen: list[InvoiceOutcome]) -> list[dict[str, str]]:
    """Return each outcome's event resource: its stored invoice, else its document."""
    stored = {
        id(outcome): state.invoice_id
        for outcome, state in zip(doc.outcomes or [], doc.invoices, strict=False)
        if state.invoice_id is not None
    }
    resources = []
    for outcome in chosen:
        invoice_id = stored.get(id(outcome))
        if invoice_id is not None:
            resource_id = f"invoicebot.invoice.{invoice_id}"
        else:
            resource_id = f"invoicebot.document.{doc.sha256 or doc.source}"
        name = outcome.invoice_number or doc.path.name
        resources.append({"prefect.resource.id": resource_id, "prefect.resource.name": name})
    return resources


def _payload(outcome: InvoiceOutcome) -> dict[str, Any]:
    masked: dict[str, Any] = mask_values(outcome.model_dump(mode="json"))
    return masked


def post_with_retries(
    url: str,
    body: Mapping[str, Any],
    *,
    attempts: int,
    backoff_s: float,
    timeout_s: float,
    sleep: Callable[[float], None] = time.sleep,
) -> int:
    """POST ``body`` as JSON to ``url``; return the answer's status. Tried again after a
    5xx, a 429 or a network error, waiting ``backoff_s`` then twice as long each time;
    raise ``WebhookError`` once every attempt failed, or at once for another 4xx."""
    reason = ""
    with httpx.Client(timeout=timeout_s) as client:
        for attempt in range(1, attempts + 1):
            try:
                response = client.post(url, json=dict(body))
            except httpx.TransportError as error:
                reason = f"{type(error).__name__}: {error}"
            else:
                if response.is_success:
                    return response.status_code
                reason = f"HTTP {response.status_code}"
                if response.status_code < 500 and response.status_code != 429:
                    raise WebhookError(url, reason, attempts=attempt)
            if attempt < attempts:
                sleep(backoff_s * 2 ** (attempt - 1))
    raise WebhookError(url, reason, attempts=attempts)
