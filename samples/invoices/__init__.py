"""Sample invoices (PDF, scans, images, Factur-X) beside their expected extraction JSON."""
