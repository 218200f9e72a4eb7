"""The store: SQLModel tables, the engine factory and repository functions."""

from invoicebot.store.engine import init_store, make_engine
from invoicebot.store.repository import StoreHistory

__all__ = ["StoreHistory", "init_store", "make_engine"]
