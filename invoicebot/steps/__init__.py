"""Flow steps: the path of a document as a list of registered steps.

- ``document``: the ``Step`` protocol, ``StepResult``, and the ``DocumentContext`` a step
  works on (``PipelineContext`` is what the batch gives every document).
- ``registry``: built-in steps, the ``invoicebot.steps`` entry-point group, local
  ``module:object`` steps.
- ``config``: the ``steps:`` YAML (``INVOICEBOT_STEPS_CONFIG``), checked: unknown step,
  missing dependency, cycle.
- ``runner``: runs a plan over a document, containing a configured step's failure.
- ``export``, ``notify``: two optional steps, shipped through the entry-point group.

The built-in steps themselves (claim, extract, validate, classify, store, route) are in
``invoicebot.pipeline``. A guide: ``docs/adding-a-step.md``.
"""

from invoicebot.steps.document import DocumentContext, InvoiceState, Scope, Step, StepResult
from invoicebot.steps.registry import StepConfigError

__all__ = ["DocumentContext", "InvoiceState", "Scope", "Step", "StepConfigError", "StepResult"]
