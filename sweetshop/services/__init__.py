"""Use cases. Each function owns its transaction and raises domain errors from .errors."""
