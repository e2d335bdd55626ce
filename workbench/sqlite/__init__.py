"""SQLite with a writer queue the kernel wakes (see base.py)."""
