"""Order intake: the marketplace posts new orders, signed with a per-vendor API key."""
