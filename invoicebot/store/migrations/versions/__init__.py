"""The store's schema revisions, oldest first (``0001_baseline`` is the 0.1.0 schema)."""
