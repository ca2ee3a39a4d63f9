"""The Shipfloor Flet app: local store, sync client, view models and views."""
