"""Fixtures of the official-validation tests: the stylesheets compiled once, and a valid XML."""

from __future__ import annotations

import pytest

from tests.einvoices import EN16931_SAMPLE, embedded_xml
from validation.official import warm_up


@pytest.fixture(scope="session")
def compiled_rules() -> None:
    """Compile the EN 16931 and French stylesheets once (they are cached per process)."""
    warm_up()


@pytest.fixture(scope="session")
def sample_xml() -> str:
    """The CII (EN 16931 profile) of a committed Factur-X sample, from a French seller."""
    return embedded_xml(EN16931_SAMPLE)
