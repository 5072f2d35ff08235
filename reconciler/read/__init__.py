"""The reading stage, the imperative part before planning: from a run's scope to the records a plan is
made from and who is who (`read`, stage.py), through what changed (changed.py, personio.py), who some
people are (who.py) and the lists themselves (fetch.py). Nothing here plans; nothing here writes."""

from reconciler.read.stage import Reading, read

__all__ = ["Reading", "read"]
