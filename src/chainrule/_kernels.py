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
    """Import `name` and run its `warm_up()` (loads or compiles every kernel), then serve."""
    try:
        module = importlib.import_module(name)
        module.warm_up()
    except Exception:  # no numba, or one that cannot build here: NumPy keeps serving
        return
    _modules[name] = module
