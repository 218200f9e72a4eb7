"""The Prefect layer: thin flows and tasks over the pure packages."""
