"""Seller metrics over trailing windows, against the marketplaces' thresholds."""
