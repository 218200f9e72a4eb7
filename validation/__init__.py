"""Business rules: an extraction in, a list of rule results out. No Prefect here."""

from __future__ import annotations

from datetime import date
from pathlib import Path

from invoicebot.model import Extraction, InvoiceFields, RuleResult
from validation import rules as _rules  # noqa: F401  (registers every rule family)
from validation.config import RuleConfig, RuleConfigError, read_rule_config
from validation.context import (
    EmptyHistory,
    EmptyMaster,
    InvoiceExtras,
    InvoiceHistory,
    MasterData,
    OrderLineRecord,
    PriorInvoice,
    PurchaseOrderRecord,
    RuleContext,
    VatSubtotal,
    VendorRecord,
)
from validation.lookups import LookupPlan, Prefetching, plan_lookups
from validation.registry import RULES, run_rules


def validate(
    extraction: Extraction,
    *,
    history: InvoiceHistory | None = None,
    master: MasterData | None = None,
    config: RuleConfig | None = None,
    document_id: int | None = None,
    reference_date: date | None = None,
    page_fields: InvoiceFields | None = None,
    extras: InvoiceExtras | None = None,
) -> list[RuleResult]:
    """Return the results of every enabled rule that applies to ``extraction``.

    ``history`` and ``master`` are the store's look-ups (none: the rules that need them do
    not apply); ``reference_date`` is "today" for the date rules (default: today);
    ``page_fields`` is the printed page's reading of a hybrid e-invoice read from its XML.
    """
    context = RuleContext(
        extraction=extraction,
        history=history or EmptyHistory(),
        master=master or EmptyMaster(),
        config=config or RuleConfig(),
        document_id=document_id,
        reference_date=reference_date or date.today(),
        page_fields=page_fields,
        extras=extras or InvoiceExtras(),
    )
    # A store that answers many look-ups in one round trip gets them all now.
    stores = {id(store): store for store in (context.history, context.master)}
    prefetching = [store for store in stores.values() if isinstance(store, Prefetching)]
    if prefetching:
        plan = plan_lookups(context)
        for store in prefetching:
            store.prefetch(plan)
    return run_rules(context)


def load_rule_config(path: Path | None) -> RuleConfig:
    """Return the rule configuration in the YAML file ``path`` (defaults for None); raise
    ``RuleConfigError`` for a wrong setting or a rule id no registered rule has.

    The parsed file is kept until it changes on disk, so calling this per invoice is cheap.
    """
    config = read_rule_config(path)
    unknown = sorted(set(config.rules) - {spec.id for spec in RULES.all()})
    if unknown and path is not None:
        raise RuleConfigError(
            path, f"rules: unknown rule id(s) {', '.join(unknown)}; `invoicebot rules` lists them"
        )
    return config


__all__ = [
    "RULES",
    "EmptyHistory",
    "EmptyMaster",
    "InvoiceExtras",
    "InvoiceHistory",
    "LookupPlan",
    "MasterData",
    "OrderLineRecord",
    "Prefetching",
    "PriorInvoice",
    "PurchaseOrderRecord",
    "RuleConfig",
    "RuleConfigError",
    "RuleContext",
    "VatSubtotal",
    "VendorRecord",
    "load_rule_config",
    "validate",
]
