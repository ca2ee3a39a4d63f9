"""Payouts: money due to the seller once a delivery is confirmed."""
