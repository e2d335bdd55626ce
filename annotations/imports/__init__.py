"""Article imports: one parser per format (registry.py), fetching URLs (url.py), the pipeline that
validates a whole file before writing any of it (pipeline.py)."""
