"""Lifecycle statuses of the French e-invoicing reform: what the buyer tells the supplier.

``statuses`` maps what happens to an invoice (stored by the batch, each operator decision,
payment) to the status codes and reason codes of the French lifecycle (XP Z12-012);
``cdar`` writes one status as a UN/CEFACT CDAR D22B message. Both are pure: no store, no
Prefect. ``outbox`` (the service) records the statuses in the store and writes the messages.
"""
