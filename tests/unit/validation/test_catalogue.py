"""The operator-facing catalogue: generated from the registry, committed up to date."""

from __future__ import annotations

from pathlib import Path

from invoicebot.model import ExceptionCategory
from validation import RULES
from validation.catalogue import effective_rules, markdown_catalogue
from validation.config import RuleConfig
from validation.rules import FAMILIES

ROOT = Path(__file__).resolve().parents[3]


def test_committed_catalogue_is_up_to_date() -> None:
    committed = (ROOT / "docs" / "rules.md").read_text(encoding="utf-8")
    assert committed == markdown_catalogue(), (
        "docs/rules.md is stale: run `uv run invoicebot rules --markdown > docs/rules.md`"
    )


def test_catalogue_explains_every_rule_once() -> None:
    catalogue = markdown_catalogue()
    for spec in RULES.all():
        assert catalogue.count(f"\n### {spec.id}\n") == 1, spec.id
        assert spec.explanation in catalogue


def test_every_rule_belongs_to_a_known_family_and_a_contract_category() -> None:
    assert {spec.family for spec in RULES.all()} == set(FAMILIES)
    assert {spec.category for spec in RULES.all()} <= set(ExceptionCategory)


def test_readme_rule_table_names_every_rule() -> None:
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    for spec in RULES.all():
        assert f"`{spec.id}`" in readme, spec.id


def test_effective_rules_follow_the_configuration() -> None:
    config = RuleConfig.model_validate({"rules": {"BR-DEC": {"enabled": False}}})
    states = {spec.id: enabled for spec, enabled, _severity in effective_rules(config)}
    assert states["BR-DEC"] is False
    assert sum(states.values()) == len(RULES.all()) - 1
