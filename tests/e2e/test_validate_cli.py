"""`invoicebot validate` as scripts run it: a real process, the real official rules."""

from __future__ import annotations

import json
import re
from pathlib import Path

from extractors.einvoice import find_embedded_xml
from tests.conftest import SAMPLES
from tests.e2e.test_cli import invoicebot, isolated_env

VALID_PDF = SAMPLES / "fr-classic-0004-facturx.pdf"
JSON_KEYS = {"file", "syntax", "profile", "valid", "failures"}
FAILURE_KEYS = {"rule_id", "flag", "location", "text"}


def broken_xml(tmp_path: Path) -> Path:
    """Write the valid sample's XML with its gross total raised by 10.00 (BR-CO-15)."""
    found = find_embedded_xml(VALID_PDF.read_bytes(), source=VALID_PDF.name)
    assert found is not None
    xml = found[1].decode("utf-8")
    gross = re.search(r"<ram:GrandTotalAmount>([^<]+)<", xml)
    assert gross is not None
    raised = f"<ram:GrandTotalAmount>{float(gross[1]) + 10:.2f}<"
    path = tmp_path / "broken.xml"
    path.write_text(xml.replace(gross[0], raised), encoding="utf-8")
    return path


def test_a_valid_e_invoice_exits_0(tmp_path: Path) -> None:
    done = invoicebot("validate", str(VALID_PDF), env=isolated_env(tmp_path))
    assert done.returncode == 0, done.stderr
    assert f"{VALID_PDF}: valid (CII D16B, profile en16931" in done.stdout
    assert "BR-FR-Flux2-Schematron-CII.xslt" in done.stdout


def test_an_invalid_e_invoice_exits_1_and_prints_each_failure(tmp_path: Path) -> None:
    broken = broken_xml(tmp_path)
    done = invoicebot("validate", str(VALID_PDF), str(broken), env=isolated_env(tmp_path))
    assert done.returncode == 1, done.stderr
    assert f"{broken}: INVALID" in done.stdout
    assert re.search(r"fatal\s+BR-CO-15\s+at /rsm:CrossIndustryInvoice\[1\]/", done.stdout)


def test_json_prints_one_object_per_file(tmp_path: Path) -> None:
    broken = broken_xml(tmp_path)
    done = invoicebot("validate", "--json", str(VALID_PDF), str(broken), env=isolated_env(tmp_path))
    assert done.returncode == 1, done.stderr
    valid, invalid = (json.loads(line) for line in done.stdout.splitlines())
    assert valid.keys() >= JSON_KEYS and invalid.keys() >= JSON_KEYS
    assert (valid["file"], valid["valid"], valid["profile"]) == (str(VALID_PDF), True, "en16931")
    assert invalid["valid"] is False and invalid["syntax"] == "CII D16B"
    [br_co_15] = [f for f in invalid["failures"] if f["rule_id"] == "BR-CO-15"]
    assert br_co_15.keys() >= FAILURE_KEYS and br_co_15["flag"] == "fatal"


def test_unreadable_input_exits_2_with_a_clear_message(tmp_path: Path) -> None:
    not_xml = tmp_path / "notes.xml"
    not_xml.write_text("not an invoice", encoding="utf-8")
    done = invoicebot(
        "validate", "--json", str(VALID_PDF), str(not_xml), env=isolated_env(tmp_path)
    )
    assert done.returncode == 2
    unreadable = json.loads(done.stdout.splitlines()[1])
    assert unreadable["valid"] is None and "not well-formed XML" in unreadable["error"]
    assert "not validated: not well-formed XML" in done.stderr
