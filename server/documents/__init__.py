"""Documents: packing slips and 4×6 shipping labels as PDF, one order or many at once."""
