"""Thread limits for reproducible numerics (see :func:`single_threaded_math`)."""

from __future__ import annotations

import threading
from contextlib import contextmanager

from threadpoolctl import threadpool_limits

_THREAD_LIMIT_LOCK = threading.Lock()
_THREAD_LIMIT = {"users": 0, "limiter": None}


@contextmanager
def single_threaded_math():
    """Run BLAS and OpenMP on one thread, so the result is the same for any thread count.

    Summation order changes with the number of threads (KMeans' OpenMP reductions, BLAS
    blocking), and on a few hundred short texts a last-bit difference can move a text or a
    whole KMeans restart. BLAS limits are process-wide, so concurrent groupings share one
    limiter (the last to leave restores the original limits); OpenMP limits are per thread.
    """
    with _THREAD_LIMIT_LOCK:
        if _THREAD_LIMIT["users"] == 0:
            _THREAD_LIMIT["limiter"] = threadpool_limits(limits=1, user_api="blas")
        _THREAD_LIMIT["users"] += 1
    try:
        with threadpool_limits(limits=1, user_api="openmp"):
            yield
    finally:
        with _THREAD_LIMIT_LOCK:
            _THREAD_LIMIT["users"] -= 1
            if _THREAD_LIMIT["users"] == 0:
                _THREAD_LIMIT["limiter"].restore_original_limits()
                _THREAD_LIMIT["limiter"] = None
