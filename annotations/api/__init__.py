"""The JSON API (DRF), under /api/v1/."""
