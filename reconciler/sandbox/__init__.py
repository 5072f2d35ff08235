"""Local stand-ins for MOCO API v1 and Personio API v2, seeded with a realistic company.

A product feature: `reconcile sandbox serve` and `reconcile demo` run on it, and the end-to-end
tests and the benchmark use it. The layout:

- moco/, personio/: the two stand-ins (routes, auth, handlers, stored records), one package each;
- seed/: the deterministic company both are filled with, the ready spec and its environment;
- world.py: both systems' data together; common.py: the request pipeline and helpers both share;
- knobs.py: latency, rate limits, faults and the request log; side_door.py: `/_sandbox/`;
- server.py: `Sandbox` and `SandboxThread`, which serve both; serve.py: `reconcile sandbox serve`.
"""

from reconciler.sandbox.knobs import Fault, MocoKnobs, PersonioKnobs
from reconciler.sandbox.seed import SeedParams, generate_world, sandbox_env
from reconciler.sandbox.server import Sandbox, SandboxThread

__all__ = ["Fault", "MocoKnobs", "PersonioKnobs", "Sandbox", "SandboxThread", "SeedParams", "generate_world",
           "sandbox_env"]
