"""Differentiable versions of SciPy's Python-level functions, as `jax.scipy` has them.

    from chainrule.scipy import special, stats
    stats.norm.logpdf(x, loc, scale)        # differentiable in x, loc and scale

SciPy's own functions call `np.asarray` on their arguments, which cannot keep a graph;
these are written with chainrule's ops instead. Submodules load on first use, so
`import chainrule.scipy` alone does not import SciPy.
"""

import importlib

_SUBMODULES = ("integrate", "linalg", "signal", "special", "stats")


def __getattr__(name):
    """`chainrule.scipy.stats`, ... imported when first touched."""
    if name in _SUBMODULES:
        try:
            return importlib.import_module(f"{__name__}.{name}")
        except ModuleNotFoundError as error:
            if error.name != "scipy" and not str(error.name).startswith("scipy."):
                raise
            raise ImportError(
                f"{__name__}.{name} needs SciPy: pip install scipy (or chainrule[scipy])"
            ) from error
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
