"""``python -m invoicebot``: the same command as ``invoicebot``."""

from invoicebot.cli import app

app()
