"""policycheck: change-aware policy checks for Gateway API routes kept in Git."""

__version__ = "0.1.0"
