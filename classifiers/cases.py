"""What the classifier reads about one exception invoice: an ``ExceptionCase``.

Built the same way for training (from the store's labelled history or the simulator) and
for prediction (in the pipeline), so that features cannot drift between the two.
"""

from __future__ import annotations

from decimal import Decimal

from pydantic import BaseModel, ConfigDict, Field

from invoicebot.model import Method, Resolution, RuleResult


class SupplierHistory(BaseModel):
    """What the store knew about the invoice's supplier before this invoice arrived."""

    model_config = ConfigDict(frozen=True)

    known: bool = False
    invoices_seen: int = 0
    exception_rate: float = 0.0
    iban_changed: bool = False


class ExceptionCase(BaseModel):
    """One exception invoice as the classifier sees it: failed rules, reading, supplier."""

    model_config = ConfigDict(frozen=True)

    seller_key: str | None = None
    method: Method | None = None
    language: str | None = None
    currency: str | None = None
    total_gross: Decimal | None = None
    confidence: dict[str, float] = Field(default_factory=dict)
    failed: list[RuleResult] = Field(default_factory=list)
    supplier: SupplierHistory = Field(default_factory=SupplierHistory)


class LabelledCase(BaseModel):
    """An exception case with the resolution an operator (or the simulator) chose."""

    model_config = ConfigDict(frozen=True)

    case: ExceptionCase
    resolution: Resolution
    source: str = "operator"
