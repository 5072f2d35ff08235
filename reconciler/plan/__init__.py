"""The plan: typed changes, conflicts and warnings (`model`), the snapshot the directions plan from
(`snapshot`), how a plan is built from it (`build`) and the saved PLANFILE (`planfile`)."""

from reconciler.plan.model import Change, Conflict, Plan, PlannedPart, Removal

__all__ = ["Change", "Conflict", "Plan", "PlannedPart", "Removal"]
