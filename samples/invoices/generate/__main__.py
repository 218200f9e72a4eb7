"""``python -m samples.invoices.generate``: write the sample set (``--help`` for the options)."""

from samples.invoices.generate.writing import main

main()
