"""Alembic migrations of the store (package data: they run from an installed package)."""
