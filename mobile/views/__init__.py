"""Flet controls over the view models: thin, no HTTP or SQL of their own."""
