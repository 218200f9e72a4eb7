"""invoicebot package."""
