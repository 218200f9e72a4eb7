"""The made-up page the reading processes' fork server reads to fill the finder's caches."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

from extractors import normalize
from extractors.fields import read_invoice
from extractors.isolation import PRELOADED_MODULES
from extractors.warm_reading import made_up_page, warm_reading


def test_the_made_up_page_is_read_as_an_invoice_with_dates_and_amounts() -> None:
    # Its dates and amounts are what make the first reading load the parsers' tables.
    fields = read_invoice([made_up_page()]).fields

    assert fields.invoice_date == date(2026, 3, 2)
    assert fields.total_gross == Decimal("1481.47")


def test_the_fork_server_reads_it_before_forking_reading_processes() -> None:
    assert "extractors.warm_reading" in PRELOADED_MODULES


def test_the_reading_builds_dateparser_whose_first_use_is_slow() -> None:
    normalize._date_parser.cache_clear()
    normalize._parse_date_cached.cache_clear()

    warm_reading()

    assert normalize._date_parser.cache_info().currsize >= 1
