"""Vendors, their staff users, sign-in tokens and marketplace API keys."""
