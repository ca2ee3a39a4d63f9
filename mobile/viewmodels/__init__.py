"""Screen logic as plain Python: what each screen shows and does, testable without Flutter."""
