"""The spec: YAML file → schema check → defaults → semantic checks → one frozen `Spec`.

`load_spec` is the way in; everything after it receives a `Spec` and never looks at the YAML again.

Modules: `load` (the pipeline, `SpecError`, `Problem`), `yaml_source` (YAML with positions),
`schema` (the JSON Schema and its errors in plain words), `defaults` (the schema's defaults filled
in), `checks` (what the schema cannot say), `build` (checked data → `Spec`), `model` (the frozen
dataclasses).
"""

from reconciler.spec.load import (
    CONFIG_ENV,
    DEFAULT_CONFIG,
    Problem,
    SpecError,
    format_path,
    load_spec,
    parse_spec,
)
from reconciler.spec.model import (
    AbsenceSettings,
    AttendanceSettings,
    MocoSettings,
    PersonioSettings,
    RateLimit,
    SafetySettings,
    Spec,
    UserOverride,
    UserSettings,
    normalise_type_name,
)

__all__ = ["CONFIG_ENV", "DEFAULT_CONFIG", "AbsenceSettings", "AttendanceSettings", "MocoSettings",
           "PersonioSettings", "Problem", "RateLimit", "SafetySettings", "Spec", "SpecError", "UserOverride",
           "UserSettings",
           "format_path", "load_spec", "normalise_type_name", "parse_spec"]
