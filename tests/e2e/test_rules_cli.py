"""`invoicebot rules` and the master-data imports as operators run them: real processes."""

from __future__ import annotations

from pathlib import Path

from tests.e2e.test_cli import invoicebot, isolated_env
from validation import RULES

ROOT = Path(__file__).resolve().parents[2]
SAMPLES = ROOT / "samples" / "invoices"


def test_rules_lists_every_rule(tmp_path: Path) -> None:
    done = invoicebot("rules", env=isolated_env(tmp_path) | {"COLUMNS": "200"})
    assert done.returncode == 0, done.stderr
    for spec in RULES.all():
        assert spec.id in done.stdout
    assert "critical" in done.stdout


def test_rules_markdown_is_the_committed_catalogue(tmp_path: Path) -> None:
    done = invoicebot("rules", "--markdown", env=isolated_env(tmp_path))
    assert done.returncode == 0, done.stderr
    assert done.stdout == (ROOT / "docs" / "rules.md").read_text(encoding="utf-8")


def test_rules_refuses_a_wrong_configuration(tmp_path: Path) -> None:
    bad = tmp_path / "bad.yaml"
    bad.write_text("dates:\n  max_age: 30\n")
    done = invoicebot("rules", "--config", str(bad), env=isolated_env(tmp_path))
    assert done.returncode == 1
    assert "dates.max_age: Extra inputs are not permitted" in done.stderr


def test_master_data_imports(tmp_path: Path) -> None:
    env = isolated_env(tmp_path)
    imports = [
        ("vendors", "vendors.csv", "Imported 14 suppliers"),
        ("orders", "purchase_orders.csv", "Imported 9 purchase orders"),
        ("receipts", "goods_receipts.csv", "Imported 34 goods receipts"),
    ]
    for command, file_name, said in imports:
        done = invoicebot(command, "import", str(SAMPLES / file_name), env=env)
        assert done.returncode == 0, done.stderr
        assert said in done.stdout and "new, 0 updated" in done.stdout
    assert (tmp_path / "data" / "invoicebot.db").exists()


def test_a_wrong_master_file_is_refused(tmp_path: Path) -> None:
    env = isolated_env(tmp_path)
    wrong = tmp_path / "vendors.csv"
    wrong.write_text("name,iban\nACME,FR7630006000011234567890188\n")
    done = invoicebot("vendors", "import", str(wrong), env=env)
    assert done.returncode == 1
    assert "nothing imported" in done.stderr and "line 2: IBAN" in done.stderr
