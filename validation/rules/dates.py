"""Dates that must be in order, plausible, and within the French legal payment terms.

"Today" is the context's ``reference_date``: the processing date in production, a fixed
date in tests and for the samples, so that the results never change as time passes.
"""

from __future__ import annotations

import calendar
from datetime import date

from invoicebot.model import ExceptionCategory, Severity
from validation.context import RuleContext
from validation.days import add_days
from validation.identity import seller_country
from validation.registry import Verdict, rule


@rule(id="DUE-DATE-ORDER", category=ExceptionCategory.DATE)
def due_date_not_before_issue(context: RuleContext) -> Verdict | None:
    """The due date is not before the invoice date.

    A due date before the issue date is usually a misread date or a term subtracted
    instead of added: check both dates on the document.
    """
    fields = context.extraction.fields
    if fields.invoice_date is None or fields.due_date is None:
        return None
    values = {
        "invoice_date": fields.invoice_date.isoformat(),
        "due_date": fields.due_date.isoformat(),
    }
    if fields.due_date >= fields.invoice_date:
        return Verdict(True, "The due date follows the invoice date.", values)
    days = (fields.invoice_date - fields.due_date).days
    return Verdict(
        False,
        f"The due date {fields.due_date.isoformat()} is {days} days before the invoice date "
        f"{fields.invoice_date.isoformat()}.",
        values,
    )


@rule(id="INVOICE-DATE-FUTURE", category=ExceptionCategory.DATE)
def invoice_date_not_in_future(context: RuleContext) -> Verdict | None:
    """The invoice date is not later than the day the invoice is processed.

    One day ahead is tolerated for time zones (``dates.future_tolerance_days``). A date in
    the future is a misread date (day and month swapped) or an invoice issued before the
    goods or services it bills.
    """
    issued = context.fields.invoice_date
    if issued is None:
        return None
    today = context.reference_date
    values = {"invoice_date": issued.isoformat(), "processing_date": today.isoformat()}
    ahead = (issued - today).days
    if ahead <= context.config.dates.future_tolerance_days:
        return Verdict(True, "The invoice date is not in the future.", values)
    return Verdict(
        False,
        f"The invoice is dated {issued.isoformat()}, {ahead} days after today "
        f"({today.isoformat()}): check the date on the document.",
        values,
    )


@rule(id="INVOICE-DATE-AGE", category=ExceptionCategory.DATE, severity=Severity.WARNING)
def invoice_not_too_old(context: RuleContext) -> Verdict | None:
    """The invoice is not older than the configured age (365 days by default).

    An old invoice arriving now may already have been paid (look for it under another
    number), may belong to a closed accounting period, or its date may be misread.
    """
    issued = context.fields.invoice_date
    if issued is None:
        return None
    today = context.reference_date
    age = (today - issued).days
    limit = context.config.dates.max_age_days
    values = {
        "invoice_date": issued.isoformat(),
        "processing_date": today.isoformat(),
        "age_days": str(age),
        "max_age_days": str(limit),
    }
    if age <= limit:
        return Verdict(True, f"The invoice is {max(age, 0)} days old.", values)
    return Verdict(
        False,
        f"The invoice is dated {issued.isoformat()}, {age} days ago (more than {limit}): check "
        "that it was not paid already and that its date is read right.",
        values,
    )


def end_of_month(day: date) -> date:
    """Return the last day of ``day``'s month."""
    return day.replace(day=calendar.monthrange(day.year, day.month)[1])


def latest_legal_due_date(issued: date, days: int, allow_end_of_month: bool) -> date:
    """Return the latest due date French law allows: ``days`` after issue or, when allowed,
    45 days end of month (the later of both usual readings of that term)."""
    latest = add_days(issued, days)
    if allow_end_of_month:
        month_end_then_45 = add_days(end_of_month(issued), 45)
        days_45_then_month_end = end_of_month(add_days(issued, 45))
        latest = max(latest, month_end_then_45, days_45_then_month_end)
    return latest


@rule(id="FR-PAYMENT-TERMS", category=ExceptionCategory.DATE, severity=Severity.WARNING)
def french_payment_terms_within_legal_limit(context: RuleContext) -> Verdict | None:
    """A French supplier's due date is at most 60 days after the invoice date.

    French law (Code de commerce L441-10) caps payment terms between businesses at 60 days
    from the invoice date, or 45 days end of month when agreed. Longer terms expose the
    buyer to fines: pay by the legal date, and ask the supplier to correct its terms.
    """
    fields = context.fields
    if fields.invoice_date is None or fields.due_date is None:
        return None
    if seller_country(fields) != "FR":
        return None
    settings = context.config.dates
    latest = latest_legal_due_date(
        fields.invoice_date, settings.fr_max_payment_days, settings.fr_allow_45_days_end_of_month
    )
    days = (fields.due_date - fields.invoice_date).days
    values = {
        "invoice_date": fields.invoice_date.isoformat(),
        "due_date": fields.due_date.isoformat(),
        "payment_days": str(days),
        "latest_legal_due_date": latest.isoformat(),
    }
    if fields.due_date <= latest:
        return Verdict(True, "The payment terms are within the French legal limit.", values)
    return Verdict(
        False,
        f"The invoice is due {days} days after its date ({fields.due_date.isoformat()}), "
        f"later than French law allows ({latest.isoformat()}): pay by "
        f"{latest.isoformat()} at the latest.",
        values,
    )
