"""Sample data for invoicebot: generated invoices with their expected extractions."""
