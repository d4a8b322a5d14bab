"""Compiled kernels (numba, `pip install chainrule[fast]`), loaded in a background thread.

numba is never imported by `import chainrule`. `compiled(name)` starts loading the module
`name` (numba's import, then the kernels' compiled code from numba's cache: about 0.8 s)
in a background thread and returns None until it has loaded, so the caller's NumPy code
serves meanwhile and no step waits; `loaded(name)` only looks. The kernels compute what
that NumPy code computes, operation for operation, so which one ran never shows in the
results. A module that cannot load (no numba) stays None. `CHAINRULE_KERNELS=numpy` keeps
NumPy everywhere.
"""

import importlib
import os
import threading
import warnings

_modules = {}
"""name -> the loaded module; None while it loads, or when it cannot load."""
_loaders = {}
"""name -> the thread loading it."""
_lock = threading.Lock()


def loaded(name):
    """The compiled module `name` if it has loaded, else None (nothing is started)."""
    return _modules.get(name)


def compiled(name):
    """The compiled module `name` if it has loaded, else None, after starting its load."""
    module = _modules.get(name)
    if module is None and name not in _modules:
        _start(name)
    return module


def wait(timeout=None):
    """Wait for the loads started so far (each at most `timeout` seconds)."""
    for loader in list(_loaders.values()):
        loader.join(timeout)


def _start(name):
    with _lock:
        if name in _modules:
            return
        _modules[name] = None
        if os.environ.get("CHAINRULE_KERNELS", "").lower() == "numpy":
            return
        loader = threading.Thread(target=_load, args=(name,), name=f"chainrule-kernels:{name}")
        _loaders[name] = loader
        loader.start()


def _load(name):
    """Import `name` and run its `warm_up()` (loads or compiles every kernel), then serve.

    Without numba NumPy keeps serving, silently: numba is optional. When numba's cache
    cannot be read (a truncated or foreign cache file), the kernels are compiled afresh
    for this process with the cache off, and a warning names the cache to delete. Any
    other failure leaves NumPy serving, with a warning, as training is then slower.
    """
    try:
        module = importlib.import_module(name)
    except ImportError as error:
        if error.name != "numba":
            _warn(f"{name} did not load", error, _SLOWER)
        return
    except Exception as error:  # noqa: BLE001 - any failure leaves NumPy serving
        _warn(f"{name} did not load", error, _SLOWER)
        return
    try:
        module.warm_up()
    except Exception as error:  # noqa: BLE001 - an unreadable cache, most often
        try:
            _without_cache(module)
            module.warm_up()
        except Exception as second:  # noqa: BLE001
            _warn(f"{name} did not build", second, _SLOWER)
            return
        _warn(f"numba's cache of {name} could not be read", error,
              "they were compiled afresh for this process without it; delete that cache "
              "(its *.nbi and *.nbc files, in __pycache__ beside the module or under "
              "NUMBA_CACHE_DIR) to stop this")
    _modules[name] = module


def _without_cache(module):
    """Turn numba's on-disk cache off for the kernels of `module` (they compile afresh)."""
    from numba.core.caching import NullCache

    for value in vars(module).values():
        if hasattr(value, "py_func") and hasattr(value, "_cache"):  # a numba dispatcher
            value._cache = NullCache()


_SLOWER = "training runs on NumPy's passes, which are slower"


def _warn(what, error, consequence):
    """Say, once per module, why the compiled kernels are not what serves."""
    warnings.warn(f"chainrule: the compiled kernels: {what} ({type(error).__name__}: "
                  f"{error}); {consequence}", RuntimeWarning, stacklevel=2)
