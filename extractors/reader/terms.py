"""Payment terms printed on a page: how many days after the issue date the invoice is due.

Invoicing software computes the due date from the terms it prints ("Paiement à 30 jours",
"Zahlbar innerhalb von 14 Tagen", "Net 30"), so a date of the page that is an issue date
plus the printed days confirms both, whatever their labels read (``decode.with_due_by_terms``).
Read from the words a number of days is written with in the languages read (fr, en, de, es,
it, nl), not from labels: the sentence around the number may be any.
"""

from __future__ import annotations

import calendar
import re
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, timedelta

from extractors.labels import TextRow
from extractors.normalize import fold_text

# Longer terms are rare and a bigger number beside "days" is seldom a term ("365 days").
MAX_TERM_DAYS = 180
# On folded text (lower case, no accents): "30 jours", "30 days", "14 Tagen", "45 dagen",
# "60 giorni", "60 gg" (giorni), "30 días", "30j"; and "net 30", "netto 14".
_DAY_WORDS = r"(?:jours?|j|days?|tagen?|dagen?|giorni|gg|dias?)"
_DAYS = re.compile(
    rf"(?<![\d.,/])(\d{{1,3}})\s*{_DAY_WORDS}\b"
    r"|\bnet(?:to)?\s+(\d{1,3})\b(?![.,/]\d)"
)
_DAY_COUNT = re.compile(rf"\d{{1,3}}\s*{_DAY_WORDS}\b")
# Terms counted to the end of a month: "30 jours fin de mois", "end of month".
_END_OF_MONTH = re.compile(
    r"fin de mois|end of (?:the )?month|monatsende|ende des monats|fine mese"
    r"|fin de mes|einde (?:van de )?maand|\bfdm\b|\beom\b"
)


@dataclass(frozen=True)
class PaymentTerm:
    """Days after the issue date an invoice is due; counted to a month's end or not."""

    days: int
    end_of_month: bool = False

    def due_dates(self, issue: date) -> frozenset[date]:
        """Return the due dates these terms give an invoice issued on ``issue``: the date
        ``days`` later and, for end-of-month terms, the ends of month software reads them as
        (the month's end after the days, or the days after the issue month's end)."""
        later = issue + timedelta(days=self.days)
        if not self.end_of_month:
            return frozenset({later})
        return frozenset({later, _month_end(later), _month_end(issue) + timedelta(days=self.days)})


def printed_terms(rows: Iterable[TextRow]) -> frozenset[PaymentTerm]:
    """Return the payment terms written on ``rows``."""
    terms = set()
    for row in rows:
        end_of_month = _END_OF_MONTH.search(row.folded) is not None
        for match in _DAYS.finditer(row.folded):
            days = int(match.group(1) or match.group(2))
            if 0 < days <= MAX_TERM_DAYS:
                terms.add(PaymentTerm(days, end_of_month))
    return frozenset(terms)


def counts_days(word: str, following: str) -> bool:
    """Whether ``word``, before ``following`` on its row, is a number of days ("30 jours",
    "14 Tagen", "30j"): a payment term, not a reference."""
    return _DAY_COUNT.match(fold_text(f"{word} {following}")) is not None


def _month_end(day: date) -> date:
    return day.replace(day=calendar.monthrange(day.year, day.month)[1])
