"""Claims: "I'm picking this" — who is working an order right now, until it expires."""
