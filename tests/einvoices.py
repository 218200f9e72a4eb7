"""The committed Factur-X samples' XML, and the same XML altered where a test needs a fault:
shared by the official-validation tests and the pipeline tests that run them."""

from __future__ import annotations

import re
from pathlib import Path

from extractors.einvoice import find_embedded_xml
from tests.conftest import SAMPLES

# A French seller's invoices: EN 16931 and BASIC profiles.
EN16931_SAMPLE = SAMPLES / "fr-classic-0004-facturx.pdf"
BASIC_SAMPLE = SAMPLES / "fr-boxed-0035-facturx.pdf"


def embedded_xml(pdf: Path) -> str:
    """Return the e-invoice XML ``pdf`` carries."""
    found = find_embedded_xml(pdf.read_bytes(), source=pdf.name)
    assert found is not None
    return found[1].decode("utf-8")


def altered(xml: str, element: str, new_text: str) -> str:
    """Return ``xml`` with the text of the first ``<ram:element>`` replaced."""
    pattern = re.compile(rf"(<ram:{element}[^>]*>)[^<]*(</ram:{element}>)")
    assert pattern.search(xml), element
    return pattern.sub(rf"\g<1>{new_text}\g<2>", xml, count=1)
