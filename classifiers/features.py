"""Features of an exception case, shared by training and prediction.

``feature_rows`` turns ``ExceptionCase`` objects into the table the model's
``ColumnTransformer`` reads (``COLUMNS``). Rule ids and categories are taken from the
failed results themselves, never from a list here, so that new rules become features as
soon as they appear in the training history. Gaps and days are read generically from the
values a rule compared (``difference``/``gap``, ``*_ratio``, ``*days*``).

Change anything here that alters what a column means, and bump ``FEATURE_VERSION``: a
model trained on other features is then refused on load instead of predicting nonsense.
"""

from __future__ import annotations

import math
import re
from collections.abc import Iterable, Mapping, Sequence
from datetime import date
from decimal import Decimal, InvalidOperation

import numpy as np
import numpy.typing as npt

from classifiers.cases import ExceptionCase
from invoicebot.model import AMOUNT_FIELDS, DATE_FIELDS, RuleResult, Severity

FEATURE_VERSION = 1

IDENTIFIER_FIELDS = ("seller_vat_id", "seller_siret", "seller_iban", "buyer_vat_id")

NUMERIC_COLUMNS: tuple[str, ...] = (
    "failed_rules",
    "worst_severity",
    "relative_gap",
    "log_absolute_gap",
    "days_years",
    "min_confidence",
    "min_amount_confidence",
    "min_identifier_confidence",
    "min_date_confidence",
    "min_compared_confidence",
    "log_gross",
    "supplier_known",
    "log_invoices_seen",
    "supplier_exception_rate",
    "iban_changed",
)
# Categorical values (reading method, language, amount band) and the words of the failed
# rules' messages travel as tokens of one column: one vectoriser instead of a one-hot
# encoder and a text vectoriser, because sklearn's fixed cost per transformer dominates
# the time of a single prediction.
TOKENS_COLUMN = "tokens"
COLUMNS: tuple[str, ...] = (*NUMERIC_COLUMNS, TOKENS_COLUMN)

# Words only: the amounts and dates in messages are in the numeric columns already.
MESSAGE_WORD = re.compile(r"[^\W\d_]{3,}")

SEVERITY_ORDER = {severity: rank for rank, severity in enumerate(Severity)}


def feature_rows(cases: Sequence[ExceptionCase]) -> npt.NDArray[np.object_]:
    """Return one row per case, columns in ``COLUMNS`` order (an object array)."""
    rows = np.empty((len(cases), len(COLUMNS)), dtype=object)
    for index, case in enumerate(cases):
        rows[index] = case_features(case)
    return rows


def case_features(case: ExceptionCase) -> list[object]:
    """Return the values of ``COLUMNS`` for one case."""
    gross = float(case.total_gross) if case.total_gross is not None else 0.0
    gap = _largest_gap(case.failed)
    relative_gap = _relative_gap(case.failed, gap, gross)
    days = _largest_days(case.failed)
    confidence = _confidences(case)
    supplier = case.supplier
    numeric = [
        float(len(case.failed)),
        float(max((SEVERITY_ORDER[r.severity] for r in case.failed), default=0)),
        relative_gap,
        math.log1p(gap),
        days / 365.0,
        confidence["all"],
        confidence["amount"],
        confidence["identifier"],
        confidence["date"],
        confidence["compared"],
        math.log10(1.0 + abs(gross)),
        float(supplier.known),
        math.log1p(supplier.invoices_seen),
        supplier.exception_rate,
        float(supplier.iban_changed),
    ]
    tokens = [*_tokens(case, relative_gap, days, confidence), *_message_words(case)]
    return [*numeric, " ".join(tokens)]


def _tokens(
    case: ExceptionCase, relative_gap: float, days: float, confidence: Mapping[str, float]
) -> Iterable[str]:
    """Yield the failed rules and categories, alone and crossed with the signals that
    change what an operator does with them (so a linear model can learn interactions)."""
    signals = [
        f"gap:{_gap_band(relative_gap)}",
        f"days:{_days_band(days)}",
        f"conf:{_confidence_band(confidence['compared'])}",
        f"method:{case.method.value if case.method else 'none'}",
        f"seen:{_seen_band(case.supplier.invoices_seen)}",
        f"known:{int(case.supplier.known)}",
        f"iban_changed:{int(case.supplier.iban_changed)}",
        f"amount:{_amount_band(float(case.total_gross or 0))}",
    ]
    failed_rules = sorted({result.rule for result in case.failed})
    categories = sorted({result.category.value for result in case.failed})
    yield from signals
    yield f"language:{case.language or 'none'}"
    yield f"ruleset:{'+'.join(failed_rules) or 'none'}"
    for name in (*(f"rule:{rule}" for rule in failed_rules), *(f"cat:{c}" for c in categories)):
        yield name
        yield from (f"{name}|{signal}" for signal in signals)
        # A supplier's own habits (operators' decisions) are learnt per category.
        if case.seller_key:
            yield f"{name}|seller:{case.seller_key}"


def _message_words(case: ExceptionCase) -> set[str]:
    """Return the words of the failed rules' messages, folded, as ``word:`` tokens."""
    return {
        f"word:{word}"
        for result in case.failed
        for word in MESSAGE_WORD.findall(result.message.casefold())
    }


def _number(value: str | None) -> float | None:
    if value is None:
        return None
    try:
        return float(Decimal(value.replace(",", ".").strip()))
    except (InvalidOperation, ValueError):
        return None


def _largest_gap(failed: Sequence[RuleResult]) -> float:
    """Return the largest absolute amount difference a failed rule reported."""
    gaps = [
        abs(number)
        for result in failed
        for key, value in result.values.items()
        if ("difference" in key or "gap" in key) and (number := _number(value)) is not None
    ]
    return max(gaps, default=0.0)


def _relative_gap(failed: Sequence[RuleResult], gap: float, gross: float) -> float:
    """Return the largest gap relative to the gross total, or a rule's own ``*_ratio``."""
    ratios = [
        abs(number)
        for result in failed
        for key, value in result.values.items()
        if key.endswith("ratio") and (number := _number(value)) is not None
    ]
    if gap and gross:
        ratios.append(gap / abs(gross))
    return min(1.0, max(ratios, default=0.0))


def _largest_days(failed: Sequence[RuleResult]) -> float:
    """Return the largest day count a failed rule reported, or the span of its dates."""
    days: list[float] = []
    for result in failed:
        dates = []
        for key, value in result.values.items():
            if "days" in key and (number := _number(value)) is not None:
                days.append(abs(number))
            elif key.endswith("date") and value:
                dates.append(_iso_date(value))
        known = [day for day in dates if day is not None]
        if len(known) >= 2:
            days.append(float((max(known) - min(known)).days))
    return max(days, default=0.0)


def _iso_date(value: str) -> date | None:
    try:
        return date.fromisoformat(value)
    except ValueError:
        return None


def _confidences(case: ExceptionCase) -> dict[str, float]:
    """Return the lowest field confidence overall, per field family and among the fields
    the failed rules compared; 1.0 where no field was rated (e-invoices are exact)."""
    confidence = case.confidence
    compared = {key for result in case.failed for key in result.values} & confidence.keys()

    def lowest(names: Iterable[str]) -> float:
        return min((confidence[name] for name in names if name in confidence), default=1.0)

    return {
        "all": lowest(confidence),
        "amount": lowest(AMOUNT_FIELDS),
        "identifier": lowest(IDENTIFIER_FIELDS),
        "date": lowest(DATE_FIELDS),
        # No compared field rated: fall back to the lowest rating, the best available hint.
        "compared": lowest(compared) if compared else lowest(confidence),
    }


def _amount_band(gross: float) -> str:
    return _band(abs(gross), [(100, "lt100"), (1_000, "lt1k"), (10_000, "lt10k")], "ge10k")


def _gap_band(relative_gap: float) -> str:
    if relative_gap == 0:
        return "none"
    return _band(
        relative_gap,
        [(0.001, "lt0.1pct"), (0.005, "lt0.5pct"), (0.02, "lt2pct"), (0.1, "lt10pct")],
        "ge10pct",
    )


def _days_band(days: float) -> str:
    if days == 0:
        return "none"
    return _band(days, [(45, "lt45"), (180, "lt180")], "ge180")


def _confidence_band(confidence: float) -> str:
    return _band(confidence, [(0.85, "low"), (0.95, "mid")], "high")


def _seen_band(seen: int) -> str:
    return _band(seen, [(1, "0"), (6, "1-5"), (51, "6-50")], "gt50")


def _band(value: float, limits: Sequence[tuple[float, str]], last: str) -> str:
    """Return the name of the first limit ``value`` is below, else ``last``."""
    return next((name for limit, name in limits if value < limit), last)
