"""The core of `reconcile serve` (issue 13): webhook checks, hints, debouncing, metrics; no server yet."""
