"""The REST API under /api/v1/: thin DRF views over the models and the owner modules."""
