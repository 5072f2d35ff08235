"""People Personio → MOCO (issue 24, work in progress): hires become MOCO users, leavers are archived.
Not registered yet: `wanted.py` holds the pure decisions so far."""
