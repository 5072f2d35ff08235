"""The connection cap stays below the process's open-file limit (issue 20, finding 3: 20,000 connections hit it)."""

from __future__ import annotations

import resource

from reconciler.serve.connections import FILE_MARGIN, MAX_CONNECTIONS, connection_cap


def test_the_cap_leaves_descriptors_free_below_the_open_file_limit():
    assert connection_cap(10_000, limit=1024) == 1024 - FILE_MARGIN
    assert connection_cap(100, limit=1024) == 100
    assert connection_cap(10_000, limit=64) == 32  # a tiny limit: half of it
    assert connection_cap(10_000, limit=resource.RLIM_INFINITY) == 10_000


def test_the_default_cap_fits_the_limit_of_this_process():
    soft = resource.getrlimit(resource.RLIMIT_NOFILE)[0]
    cap = connection_cap()
    assert 1 <= cap <= MAX_CONNECTIONS
    assert soft == resource.RLIM_INFINITY or cap <= soft - min(FILE_MARGIN, soft // 2)
