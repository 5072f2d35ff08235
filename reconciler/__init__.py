"""reconcile: keeps Personio and MOCO in sync, declared in a reviewable YAML spec."""

__version__ = "0.3.0"
