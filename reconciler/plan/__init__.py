"""The plan: typed changes, conflicts and warnings (model), how one is built from a snapshot (build),
the snapshot itself, and the saved PLANFILE (planfile)."""

from reconciler.plan.model import Change, Conflict, Plan, PlannedPart, compare_with_saved, load_saved_changes, save_plan, sort_changes

__all__ = ["Change", "Conflict", "Plan", "PlannedPart", "compare_with_saved", "load_saved_changes", "save_plan",
           "sort_changes"]
