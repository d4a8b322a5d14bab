"""One BLAS thread per request thread, as the server wants it."""


def one_blas_thread():
    """Limit BLAS to one thread; returns whether it could (threadpoolctl is installed).

    Requests run in parallel worker threads, and the matrices of one drawing are too small
    to share: BLAS threads fighting over 2 cores made an update three times slower.
    """
    try:
        from threadpoolctl import threadpool_limits
    except ImportError:  # scikit-learn (the `web` extra) brings it
        return False
    threadpool_limits(1)
    return True
