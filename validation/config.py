"""The rule configuration: which rules run, at which severity, with which tolerances.

Operators write it as YAML (``INVOICEBOT_RULES_CONFIG``, example in
``config/rules.example.yaml``); every key is checked on load and an unknown key is an error,
so a typo never silently leaves a default in place.
"""

from __future__ import annotations

import threading
from decimal import Decimal
from pathlib import Path
from typing import Annotated, Any

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator

from invoicebot.model import FIELD_NAMES, InvoiceError, Severity

# Decimal settings: a YAML number (0.01) or string ("0.01"), never negative.
NonNegativeDecimal = Annotated[Decimal, Field(ge=0, allow_inf_nan=False)]

# The VAT rates in force in each country (percent), for VAT-RATE. Overseas and Corsican
# French rates (8.5, 2.1, 1.75, 0.9, 13...) are left out: add them in the configuration
# where such suppliers invoice.
DEFAULT_VAT_RATES: dict[str, tuple[Decimal, ...]] = {
    country: tuple(Decimal(rate) for rate in rates.split())
    for country, rates in {
        "FR": "20 10 5.5 2.1 0",
        "BE": "21 12 6 0",
        "DE": "19 7 0",
        "GB": "20 5 0",
        "ES": "21 10 4 0",
        "IT": "22 10 5 4 0",
        "NL": "21 9 0",
        "LU": "17 14 8 3 0",
    }.items()
}


class _Section(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class RuleOverride(_Section):
    """What the configuration changes for one rule."""

    enabled: bool = True
    severity: Severity | None = Field(
        default=None, description="info, warning, error or critical; default: the rule's own"
    )


class AmountSettings(_Section):
    """Tolerances of the arithmetic rules."""

    tolerance: NonNegativeDecimal = Field(
        default=Decimal("0.01"), description="largest gap between two amounts that still agree"
    )
    vat_rounding_per_line: bool = Field(
        default=True,
        description="allow half a cent per line in VAT checks (sellers that round VAT per line)",
    )
    vat_rates: dict[str, tuple[NonNegativeDecimal, ...]] = Field(
        default_factory=lambda: dict(DEFAULT_VAT_RATES),
        description="legal VAT rates per seller country; entries given replace the default "
        "of that country only",
    )

    @field_validator("vat_rates", mode="after")
    @classmethod
    def _merge_with_defaults(
        cls, value: dict[str, tuple[Decimal, ...]]
    ) -> dict[str, tuple[Decimal, ...]]:
        for country in value:
            if len(country) != 2 or not country.isalpha() or not country.isupper():
                raise ValueError(f"{country!r} is not a two-letter country code such as FR")
        return {**DEFAULT_VAT_RATES, **value}


class DateSettings(_Section):
    """Limits of the date rules."""

    max_age_days: int = Field(default=365, ge=1, description="older invoices are flagged")
    future_tolerance_days: int = Field(
        default=1, ge=0, description="days an invoice date may be ahead of the processing date"
    )
    fr_max_payment_days: int = Field(
        default=60, ge=1, description="French legal maximum from the issue date (L441-10)"
    )
    fr_allow_45_days_end_of_month: bool = Field(
        default=True, description="also accept the legal alternative of 45 days end of month"
    )


class DuplicateSettings(_Section):
    """How close two invoices must be to be a likely duplicate."""

    window_days: int = Field(
        default=5, ge=0, description="same supplier and gross amount within this many days"
    )


class VendorSettings(_Section):
    """How an invoice's seller is matched to the vendor master."""

    name_match_min_score: float = Field(
        default=90, ge=50, le=100, description="fuzzy name similarity needed (0-100)"
    )


class PurchaseOrderSettings(_Section):
    """Tolerances of the purchase-order match."""

    amount_tolerance_percent: NonNegativeDecimal = Field(
        default=Decimal(2), description="invoiced amount may exceed the PO by this percentage"
    )
    amount_tolerance: NonNegativeDecimal = Field(
        default=Decimal(1), description="...or by this amount, whichever is larger"
    )
    price_tolerance_percent: NonNegativeDecimal = Field(
        default=Decimal(1), description="a unit price may exceed the PO price by this much"
    )
    line_match_min_score: float = Field(
        default=80, ge=50, le=100, description="description similarity to pair a line (0-100)"
    )
    three_way_match: bool = Field(
        default=True, description="compare invoiced quantities with goods receipts"
    )


class RuleConfig(_Section):
    """Every setting the rules read; built from YAML by ``validation.load_rule_config``."""

    rules: dict[str, RuleOverride] = Field(
        default_factory=dict, description="per-rule switches, by rule id"
    )
    required_fields: tuple[str, ...] = Field(
        default=("invoice_number", "invoice_date", "seller_name", "total_gross"),
        description="fields REQUIRED-FIELDS asks for",
    )
    review_confidence: float = Field(
        default=0.9,
        ge=0.0,
        le=1.0,
        description="a failed rule that reads a field read with a lower confidence says "
        "so first: the reading is checked before the invoice",
    )
    amounts: AmountSettings = Field(default_factory=AmountSettings)
    dates: DateSettings = Field(default_factory=DateSettings)
    duplicates: DuplicateSettings = Field(default_factory=DuplicateSettings)
    vendors: VendorSettings = Field(default_factory=VendorSettings)
    purchase_orders: PurchaseOrderSettings = Field(default_factory=PurchaseOrderSettings)

    @field_validator("required_fields", mode="after")
    @classmethod
    def _known_fields(cls, value: tuple[str, ...]) -> tuple[str, ...]:
        unknown = [name for name in value if name not in FIELD_NAMES]
        if unknown:
            raise ValueError(f"unknown field(s) {', '.join(unknown)}; known: {FIELD_NAMES}")
        return value

    @property
    def amount_tolerance(self) -> Decimal:
        """Return the largest gap between two amounts that still agree."""
        return self.amounts.tolerance

    def is_enabled(self, rule_id: str) -> bool:
        """Return False when the configuration switches the rule off."""
        override = self.rules.get(rule_id)
        return override is None or override.enabled

    def severity_of(self, rule_id: str, default: Severity) -> Severity:
        """Return the rule's configured severity, or ``default``."""
        override = self.rules.get(rule_id)
        if override is None or override.severity is None:
            return default
        return override.severity


class RuleConfigError(InvoiceError):
    """A rule configuration file is missing, is not YAML, or holds a wrong setting."""

    def __init__(self, path: Path, reason: str) -> None:
        super().__init__(f"rule configuration {path}: {reason}")
        self.path = path
        self.reason = reason


def parse_rule_config(data: Any, *, path: Path) -> RuleConfig:
    """Return the configuration in ``data`` (parsed YAML); raise ``RuleConfigError``."""
    if data is None:
        return RuleConfig()
    if not isinstance(data, dict):
        raise RuleConfigError(path, "the file must hold a mapping of settings")
    try:
        return RuleConfig.model_validate(data)
    except ValidationError as error:
        problems = "; ".join(
            f"{'.'.join(str(part) for part in item['loc']) or '(top)'}: {item['msg']}"
            for item in error.errors()
        )
        raise RuleConfigError(path, problems) from error


_cache_lock = threading.Lock()
_cache: dict[Path, tuple[int, RuleConfig]] = {}


def read_rule_config(path: Path | None) -> RuleConfig:
    """Return the configuration in the YAML file ``path`` (defaults for None), its rule ids
    not checked: ``validation.load_rule_config`` checks them against the registered rules.

    The parsed file is kept until it changes on disk, so calling this per invoice is cheap.
    """
    if path is None:
        return RuleConfig()
    try:
        modified = path.stat().st_mtime_ns
    except OSError as error:
        raise RuleConfigError(path, f"cannot read it ({error.strerror})") from error
    with _cache_lock:
        cached = _cache.get(path)
        if cached is not None and cached[0] == modified:
            return cached[1]
    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
    except OSError as error:
        raise RuleConfigError(path, f"cannot read it ({error.strerror})") from error
    except yaml.YAMLError as error:
        raise RuleConfigError(path, f"not valid YAML: {error}") from error
    config = parse_rule_config(data, path=path)
    with _cache_lock:
        _cache[path] = (modified, config)
    return config
