"""Orders: the list, one order with its timeline, lifecycle actions, notes and export."""
