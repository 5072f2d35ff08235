"""Local stand-ins for MOCO API v1 and Personio API v2, seeded with a realistic company.

A product feature: `reconcile sandbox serve` and `reconcile demo` run on it, and the end-to-end
tests and the benchmark use it. See server.py for the side door and knobs.py for the knobs.
"""

from .knobs import Fault, MocoKnobs, PersonioKnobs
from .seed import SeedParams, generate_world, sandbox_env
from .server import Sandbox, SandboxThread

__all__ = ["Fault", "MocoKnobs", "PersonioKnobs", "Sandbox", "SandboxThread", "SeedParams", "generate_world",
           "sandbox_env"]
