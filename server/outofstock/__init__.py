"""Out-of-stock cases: contact the customer, record their choice, refunds, follow-ups."""
