"""The YAML rule configuration: checked on load, unknown keys refused, the example valid."""

from __future__ import annotations

import os
from decimal import Decimal
from pathlib import Path

import pytest

from invoicebot.model import Severity
from validation import RuleConfig, RuleConfigError, load_rule_config

EXAMPLE = Path(__file__).resolve().parents[3] / "config" / "rules.example.yaml"


def write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "rules.yaml"
    path.write_text(text, encoding="utf-8")
    return path


def test_the_example_configuration_loads_and_holds_the_defaults() -> None:
    config = load_rule_config(EXAMPLE)
    defaults = RuleConfig()
    assert config.amounts == defaults.amounts
    assert config.dates == defaults.dates
    assert config.duplicates == defaults.duplicates
    assert config.vendors == defaults.vendors
    assert config.purchase_orders == defaults.purchase_orders
    assert config.required_fields == defaults.required_fields
    assert config.severity_of("INVOICE-DATE-AGE", Severity.ERROR) is Severity.WARNING


def test_no_file_means_the_defaults() -> None:
    assert load_rule_config(None) == RuleConfig()


def test_an_empty_file_means_the_defaults(tmp_path: Path) -> None:
    assert load_rule_config(write(tmp_path, "# nothing\n")) == RuleConfig()


def test_yaml_numbers_become_exact_decimals(tmp_path: Path) -> None:
    config = load_rule_config(write(tmp_path, "amounts:\n  tolerance: 0.02\n"))
    assert config.amount_tolerance == Decimal("0.02")


@pytest.mark.parametrize(
    ("text", "in_error"),
    [
        ("amounts:\n  tolerence: 0.02\n", "amounts.tolerence: Extra inputs are not permitted"),
        ("colour: blue\n", "colour: Extra inputs are not permitted"),
        ("rules:\n  BR-CO-99: {enabled: false}\n", "unknown rule id(s) BR-CO-99"),
        ("rules:\n  BR-CO-15: {severity: fatal}\n", "rules.BR-CO-15.severity"),
        ("rules:\n  BR-CO-15: {enabled: false, why: x}\n", "rules.BR-CO-15.why"),
        ("required_fields: [invoice_nummer]\n", "unknown field(s) invoice_nummer"),
        ("amounts:\n  tolerance: -1\n", "amounts.tolerance"),
        ("amounts:\n  vat_rates: {France: [20]}\n", "'France' is not a two-letter country"),
        ("dates:\n  max_age_days: 0\n", "dates.max_age_days"),
        ("- a\n- list\n", "must hold a mapping"),
        ("amounts: [\n", "not valid YAML"),
    ],
)
def test_wrong_settings_are_refused_with_their_place(
    tmp_path: Path, text: str, in_error: str
) -> None:
    with pytest.raises(RuleConfigError) as raised:
        load_rule_config(write(tmp_path, text))
    assert in_error in str(raised.value)
    assert raised.value.path.name == "rules.yaml"


def test_a_missing_file_is_an_error(tmp_path: Path) -> None:
    with pytest.raises(RuleConfigError, match="cannot read it"):
        load_rule_config(tmp_path / "absent.yaml")


def test_a_changed_file_is_read_again(tmp_path: Path) -> None:
    path = write(tmp_path, "duplicates:\n  window_days: 3\n")
    assert load_rule_config(path).duplicates.window_days == 3
    path.write_text("duplicates:\n  window_days: 9\n", encoding="utf-8")
    stat = path.stat()
    os.utime(path, ns=(stat.st_atime_ns, stat.st_mtime_ns + 1_000_000))
    assert load_rule_config(path).duplicates.window_days == 9


def test_the_configuration_is_immutable() -> None:
    config = RuleConfig()
    with pytest.raises(ValueError, match="frozen"):
        config.required_fields = ()  # type: ignore[misc]
