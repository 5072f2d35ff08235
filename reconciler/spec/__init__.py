"""The spec: YAML file → schema check → semantic checks → one frozen `Spec`.

`load_spec` is the way in; everything after it receives a `Spec` and never looks at the YAML again.
"""

from reconciler.spec.load import (
    CONFIG_ENV,
    DEFAULT_CONFIG,
    AbsenceSettings,
    AttendanceSettings,
    MocoSettings,
    PersonioSettings,
    Problem,
    RateLimit,
    Spec,
    SpecError,
    UserOverride,
    UserSettings,
    format_path,
    load_spec,
    normalise_type_name,
    parse_spec,
)

__all__ = ["CONFIG_ENV", "DEFAULT_CONFIG", "AbsenceSettings", "AttendanceSettings", "MocoSettings",
           "PersonioSettings", "Problem", "RateLimit", "Spec", "SpecError", "UserOverride", "UserSettings",
           "format_path", "load_spec", "normalise_type_name", "parse_spec"]
