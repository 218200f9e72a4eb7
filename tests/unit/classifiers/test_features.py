"""Features: generic over rule ids, gaps, days and confidences; one row per case."""

from __future__ import annotations

from decimal import Decimal

from classifiers.cases import ExceptionCase, SupplierHistory
from classifiers.features import (
    COLUMNS,
    NUMERIC_COLUMNS,
    TOKENS_COLUMN,
    case_features,
    feature_rows,
)
from invoicebot.model import ExceptionCategory, Method, RuleResult, Severity
from tests.unit.classifiers.conftest import gap_result


def features(case: ExceptionCase) -> dict[str, object]:
    return dict(zip(COLUMNS, case_features(case), strict=True))


def test_gap_is_read_from_the_rule_values_relative_to_the_gross() -> None:
    case = ExceptionCase(
        total_gross=Decimal("1000.00"),
        failed=[gap_result(Decimal("1000.00"), Decimal("12.00"))],
        method=Method.TEXT,
        confidence={"total_gross": 0.6, "seller_vat_id": 0.9},
    )
    row = features(case)
    assert row["relative_gap"] == 0.012
    # The lowest confidence among the fields the failed rule compared, not overall.
    assert row["min_compared_confidence"] == 0.6
    assert row["min_identifier_confidence"] == 0.9
    tokens = str(row[TOKENS_COLUMN]).split()
    assert "rule:BR-CO-15" in tokens
    assert "cat:arithmetic|gap:lt2pct" in tokens
    assert "word:invoice" in tokens


def test_a_rule_unknown_to_training_becomes_tokens_from_its_result() -> None:
    brand_new = RuleResult(
        rule="BR-CO-99",
        category=ExceptionCategory.DATE,
        severity=Severity.WARNING,
        passed=False,
        message="Delivery date after the invoice date.",
        values={"invoice_date": "2026-03-01", "delivery_date": "2026-03-31"},
    )
    row = features(ExceptionCase(failed=[brand_new]))
    tokens = str(row[TOKENS_COLUMN]).split()
    assert {"rule:BR-CO-99", "cat:date", "ruleset:BR-CO-99", "cat:date|days:lt45"} <= set(tokens)
    assert row["days_years"] == 30 / 365


def test_supplier_history_and_seller_tokens_are_features() -> None:
    case = ExceptionCase(
        seller_key="vat:FR123",
        failed=[gap_result(Decimal("100"), Decimal("1"))],
        supplier=SupplierHistory(
            known=True, invoices_seen=12, exception_rate=0.25, iban_changed=True
        ),
    )
    row = features(case)
    assert row["supplier_known"] == 1.0
    assert row["iban_changed"] == 1.0
    assert row["supplier_exception_rate"] == 0.25
    assert "cat:arithmetic|seller:vat:FR123" in str(row[TOKENS_COLUMN]).split()


def test_feature_rows_has_one_row_per_case_in_column_order() -> None:
    rows = feature_rows([ExceptionCase(), ExceptionCase(language="de")])
    assert rows.shape == (2, len(COLUMNS))
    assert all(isinstance(value, float) for value in rows[0, : len(NUMERIC_COLUMNS)])
