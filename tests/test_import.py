"""`import chainrule` is cheap (NumPy, the standard library and the core), yet gives the
whole library: `cr.nn`, `cr.optim`, `cr.data`, ... load on first use (PEP 562)."""

import json
import subprocess
import sys

import pytest

import chainrule

LAZY = {"cli", "data", "explain", "nn", "numpy", "optim", "scipy", "training"}

CHECK = """
import json
import sys
import numpy
after_numpy = set(sys.modules)
import chainrule
added = set(sys.modules) - after_numpy
stdlib = set(sys.stdlib_module_names)
print(json.dumps(sorted({m.split(".")[0] for m in added} - stdlib - {"chainrule", "numpy"})))
print(json.dumps(sorted({m.split(".")[1] for m in added if m.startswith("chainrule.")})))
"""


def run_python(code):
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert result.returncode == 0, result.stderr
    return result.stdout.splitlines()


def test_import_chainrule_loads_only_numpy_the_standard_library_and_the_core():
    foreign, submodules = run_python(CHECK)
    assert json.loads(foreign) == []
    loaded = set(json.loads(submodules))
    assert "api" in loaded and "_core" in loaded
    assert not loaded & LAZY, f"imported eagerly: {sorted(loaded & LAZY)}"


def test_submodules_work_after_a_bare_import_as_torch_nn_does():
    (names,) = run_python(
        "import chainrule as cr\n"
        "print(cr.nn.MLP.__name__, cr.optim.Adam.__name__,"
        " cr.nn.functional.cross_entropy.__name__, cr.data.__name__,"
        " cr.explain.explain.__name__, cr.training.__name__, cr.numpy.__name__,"
        " cr.scipy.__name__)"
    )
    assert names.split() == [
        "MLP", "Adam", "cross_entropy", "chainrule.data", "explain", "chainrule.training",
        "chainrule.numpy", "chainrule.scipy",
    ]


def test_unknown_attribute_raises_attribute_error_naming_it():
    with pytest.raises(AttributeError, match="has no attribute 'nonsense'"):
        chainrule.nonsense  # noqa: B018


def test_lazy_submodules_are_listed_by_dir():
    assert {"nn", "optim", "data", "explain", "training"} <= set(dir(chainrule))


LAZY_OPS = """
import sys
import numpy as np
import chainrule as cr
print(sorted(m for m in sys.modules if m.startswith("chainrule.ops.")
             and m.split(".")[-1] in cr.ops._LAZY_MODULES))
print(cr.grad(lambda x: np.linalg.det(x))(2 * np.eye(2))[0, 0], cr.median(np.arange(3.0)))
"""


def test_linalg_fft_and_statistics_ops_load_on_first_use():
    loaded, values = run_python(LAZY_OPS)
    assert loaded == "[]"
    assert values.split() == ["2.0", "1.0"]


def test_import_chainrule_leaves_numpys_lazy_submodules_unloaded():
    # numpy.fft loads on first use in NumPy 2; naming it in chainrule must not load it.
    (loaded,) = run_python("import sys, numpy, chainrule; print('numpy.fft' in sys.modules)")
    assert loaded == "False"
