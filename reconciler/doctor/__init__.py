"""`reconcile doctor`: every assumption reconcile makes about the user's MOCO and Personio accounts, checked
read-only against them, each a named check (`CHECKS`) with status pass, warn, fail or skip and one line saying
what was seen and what reconcile does about it; never a person, never a write.

Modules: `model` (a check, the report, the names), `runner` (credentials, the clients, every check at once
where independent), the checks by system and subject (`moco_access`, `moco_time`, `personio_access`,
`personio_people`, `personio_filters`, `personio_time`, `personio_webhooks`, `clock`, `unseen` for what a
read cannot show), `reads` (how they read, and how an error becomes one line), `render` (text and JSON).
Each assumption the code marks as unverified names the check that tells a user whether it holds (a
`doctor: <name>` tag beside the marker; tests/doctor/test_assumptions_covered.py keeps them so).
"""

from reconciler.doctor.model import CHECKS, NAMES, Check, Report
from reconciler.doctor.render import FORMATS, render_report
from reconciler.doctor.runner import diagnose

__all__ = ["CHECKS", "FORMATS", "NAMES", "Check", "Report", "diagnose", "render_report"]
