"""The write transaction in which a document's invoices are validated and stored."""

from __future__ import annotations

import threading
from contextlib import ExitStack

from sqlmodel import Session

from invoicebot.model import seller_key
from invoicebot.steps.document import DocumentContext, WriteTransaction
from invoicebot.store.limits import fit_to_columns
from invoicebot.store.repository import begin_write, lock_seller
from validation import load_rule_config

# Validation reads earlier invoices (duplicates) and storing adds one: in one process, do
# both under one lock so two invoices of a batch cannot miss each other.
_validate_and_store = threading.Lock()


def open_transaction(doc: DocumentContext) -> WriteTransaction:
    """Open the document's write transaction: its values fitted to their columns, the
    process's lock, the store's write lock and every seller's lock taken."""
    # Values their columns cannot hold are set aside, each a FIELD-LIMIT exception.
    for state in doc.invoices:
        state.extraction, state.limit_results = fit_to_columns(state.extraction)
    config = load_rule_config(doc.settings.rules_config)
    resources = ExitStack()
    resources.enter_context(_validate_and_store)
    session = resources.enter_context(Session(doc.pipeline.engine))
    doc.transaction = WriteTransaction(session=session, config=config, resources=resources)
    doc.resources.callback(doc.transaction.close)
    # The write lock before the duplicate checks: another process's batch waits (SQLite).
    begin_write(session)
    # Every seller of the file, in one order for every run: two runs never wait on each
    # other's locks (PostgreSQL).
    keys = {key for state in doc.invoices if (key := seller_key(state.extraction.fields))}
    for key in sorted(keys):
        lock_seller(session, seller_key=key)
    return doc.transaction
