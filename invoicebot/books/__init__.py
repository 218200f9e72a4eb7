"""The books: purchase-journal entries of approved invoices, the FEC file and its tables."""
