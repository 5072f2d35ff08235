"""Hypothesis settings for the property tests: quick and repeatable by default, deeper on demand.

    HYPOTHESIS_PROFILE=ci    (default) ~80 examples per property, derandomized: CI sees the same cases
    HYPOTHESIS_PROFILE=soak  2,000 examples per property, random seed each run: looks for new cases
    HYPOTHESIS_PROFILE=dev   300 examples, random seed
    HYPOTHESIS_PROFILE=hunt  like soak, without the pinned examples of found.py: finds the next failure

No example database is written (the repository ignores no `.hypothesis/` folder); a failing example
is printed in full, and with `print_blob` it can be replayed with `@reproduce_failure`.
"""

from __future__ import annotations

import os

from hypothesis import HealthCheck, Phase, settings

_COMMON = dict(deadline=None, database=None, print_blob=True,
               suppress_health_check=(HealthCheck.too_slow, HealthCheck.data_too_large))

# CI does not shrink: a failure there is shown in full at once (the cases found so far are pinned
# as explicit examples, already minimal); the other profiles shrink what they find.
settings.register_profile("ci", max_examples=80, derandomize=True,
                          phases=(Phase.explicit, Phase.reuse, Phase.generate), **_COMMON)
settings.register_profile("dev", max_examples=300, **_COMMON)
settings.register_profile("soak", max_examples=2000, **_COMMON)
# Looking for failures beyond the pinned ones: skips the explicit examples (found.py).
settings.register_profile("hunt", max_examples=2000, phases=(Phase.reuse, Phase.generate, Phase.shrink), **_COMMON)

PROFILE = settings.get_profile(os.environ.get("HYPOTHESIS_PROFILE", "ci"))


def property_settings(**overrides: object) -> settings:
    """The chosen profile, for one test (`@property_settings()`), so no other test's settings change."""
    return settings(PROFILE, **overrides)
