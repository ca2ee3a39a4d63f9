"""The Shipfloor order server (Litestar)."""
