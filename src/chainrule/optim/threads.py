"""One thread count for the whole training step: the BLAS that runs the GEMMs, and the
optimiser's fused pass.

The fused pass is serial by design: it is bound by memory traffic (one read and write of
each array), a parallel numba loop measured no faster on 2 cores and up to 30x slower when
the cores are shared, and running serially between the GEMMs it never competes with the
BLAS threads, so `threads` BLAS threads never oversubscribe the machine.
"""

import os

BLAS_VARIABLES = ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS")

_limits = None


def set_threads(count):
    """Use `count` BLAS threads from now on; returns how: "threadpoolctl" or "environment".

    With threadpoolctl installed the BLAS already loaded is limited at once; without it the
    environment variables are set, which a BLAS reads only when NumPy first loads it.
    """
    global _limits
    if count < 1:
        raise ValueError(f"threads must be at least 1, got {count}")
    for variable in BLAS_VARIABLES:
        os.environ[variable] = str(count)
    try:
        from threadpoolctl import threadpool_limits
    except ImportError:
        return "environment"
    _limits = threadpool_limits(limits=count, user_api="blas")
    return "threadpoolctl"
