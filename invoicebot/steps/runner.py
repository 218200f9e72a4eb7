"""Runs the planned steps over one document: in order, each when its needs are met.

Consecutive invoice steps run invoice by invoice. The built-in steps' errors propagate (they
decide themselves what a document's fault is); any other step's failure is contained: the
``contain`` callback quarantines the document, or flags its outcomes when it is decided.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Sequence

from invoicebot.steps.document import DocumentContext, PlannedStep, Scope, StepCaller

logger = logging.getLogger(__name__)

# Contains a step's failure on a document (pipeline.contain_step_failure).
Containment = Callable[[PlannedStep, Exception, DocumentContext], None]


def run_steps(
    plan: Sequence[PlannedStep],
    doc: DocumentContext,
    *,
    call: StepCaller,
    contain: Containment,
) -> None:
    """Run ``plan`` over ``doc``; each step's run goes through ``call``."""
    position = 0
    while position < len(plan):
        if plan[position].scope is not Scope.INVOICE:
            _run(plan[position], doc, call, contain)
            position += 1
            continue
        end = position
        while end < len(plan) and plan[end].scope is Scope.INVOICE:
            end += 1
        for state in list(doc.invoices):
            doc.invoice = state
            for step in plan[position:end]:
                _run(step, doc, call, contain)
        doc.invoice = None
        position = end


def ready(step: PlannedStep, doc: DocumentContext) -> bool:
    """Return True when every name ``step`` needs was added for it."""
    invoice_scope = step.scope is Scope.INVOICE
    return all(doc.has(need, invoice_scope=invoice_scope) for need in step.needs)


def _run(step: PlannedStep, doc: DocumentContext, call: StepCaller, contain: Containment) -> None:
    if not ready(step, doc):
        return
    if step.builtin:
        doc.record(step, call(step, doc))
        return
    try:
        doc.record(step, call(step, doc))
    except Exception as failure:
        # A defect in a step must not stop the batch nor lose the document, as one in an
        # extractor does not.
        logger.exception("step %s failed on %s", step.name, doc.source)
        contain(step, failure, doc)
