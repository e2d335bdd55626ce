"""PostgreSQL with statements whose parameters the server binds (see base.py)."""
