"""HTML views, one module per page family; lookups.py scopes every lookup to the user's projects."""
