"""Tracking: carrier events on a signed webhook, delivery, and the customer's confirmation."""
