"""The core, the ops, the api, nn and optim never hand a possibly-device array to NumPy.

An AST scan of their source: no module binds an array module at import time (`xp = ...`),
and every call of a NumPy function is either metadata (dtypes, finfo, shapes of Python
data) or one of the host-side uses listed below with its reason. A new NumPy call on
arrays fails here and must take its module from its inputs (`namespace`, `array_module`)
or be listed with the reason it only ever sees host data.
"""

import ast
from pathlib import Path

SOURCE = Path(__file__).resolve().parents[1] / "src" / "chainrule"
SCANNED = [SOURCE / "api.py"] + sorted(
    path for package in ("_core", "ops", "nn", "optim") for path in (SOURCE / package).rglob("*.py")
)

METADATA = {
    "dtype", "float16", "float32", "float64", "complex64", "complex128", "int32", "int64",
    "intp", "bool_", "finfo", "iinfo", "result_type", "promote_types", "can_cast",
    "issubdtype", "shape", "ndim", "isscalar", "iscomplexobj", "isrealobj", "broadcast_shapes",
}
"""NumPy functions of dtypes and shapes: CuPy uses NumPy's dtypes, and these never copy
array values (numpy.shape reads `.shape`)."""

HOST_SIDE = {
    ("_core/tensor.py", "array2string"): "repr formats a host copy (to_host)",
    ("api.py", "zeros"): "hvp's zero total when there are no gradients at all",
    ("nn/functional.py", "asarray"): "dropout's scale is a Python number made a 0-d array",
    ("nn/layers.py", "random.default_rng"): "weights are drawn on the host, then uploaded",
    ("nn/layers.py", "zeros"): "a new bias on the host, uploaded with the weights",
    ("nn/mlp.py", "random.default_rng"): "weights are drawn on the host, then uploaded",
    ("nn/module.py", "asarray"): "load_state_dict's non-array values (lists) before upload",
    ("ops/accumulating.py", "atleast_1d"): "roll's shifts and axes are Python integers",
    ("ops/accumulating.py", "broadcast_arrays"): "roll's shifts and axes are Python integers",
    ("ops/building.py", "zeros"): "a zero-size-per-element stand-in for NumPy's layout rules",
    ("ops/building.py", "array"): "numpy.array's shape and dtype rules on that stand-in",
    ("ops/scipy_special.py", "asarray"): "SciPy-only special functions run on a host copy",
    ("ops/shape.py", "broadcast_to"): "pad widths (Python data), and a memoryless shape probe",
    ("ops/shape.py", "empty"): "a 0-d probe for expand_dims/squeeze's axis rules",
    ("ops/shape.py", "expand_dims"): "the axis rules, on the memoryless probe",
    ("ops/shape.py", "squeeze"): "the axis rules, on the memoryless probe",
    ("ops/shape.py", "arange"): "repeat's positions from host counts, then uploaded",
    ("ops/shape.py", "repeat"): "repeat's positions from host counts, then uploaded",
    ("nn/_compiled.py", "zeros"): "the numba kernels' warm-up arrays",
    ("optim/_compiled.py", "sqrt"): "inside the numba kernel, NumPy arrays only",
    ("optim/_compiled.py", "zeros"): "the numba kernel's warm-up arrays",
    ("optim/kernels.py", "empty"): "the NumPy fallback kernel's scratch (NumPy arrays only)",
}


def _numpy_calls(tree):
    aliases = {
        alias.asname or alias.name
        for node in ast.walk(tree) if isinstance(node, ast.Import)
        for alias in node.names if alias.name == "numpy"
    }
    for node in ast.walk(tree):
        if isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute):
            chain, value = [node.func.attr], node.func.value
            while isinstance(value, ast.Attribute):
                chain.insert(0, value.attr)
                value = value.value
            if isinstance(value, ast.Name) and value.id in aliases:
                yield ".".join(chain), node.lineno


def test_no_module_binds_an_array_module_at_import_time():
    bound = []
    for path in SCANNED:
        for node in ast.parse(path.read_text()).body:
            targets = node.targets if isinstance(node, ast.Assign) else []
            names = [t.id for t in targets if isinstance(t, ast.Name)]
            if "xp" in names:
                bound.append(f"{path.relative_to(SOURCE)}:{node.lineno}")
            if isinstance(node, ast.ImportFrom) and any(a.name == "xp" for a in node.names):
                bound.append(f"{path.relative_to(SOURCE)}:{node.lineno}")
    assert not bound, f"module-level array modules (take it from the inputs): {bound}"


def test_numpy_is_called_only_for_metadata_and_listed_host_side_data():
    unlisted = []
    for path in SCANNED:
        where = path.relative_to(SOURCE).as_posix()
        for name, line in _numpy_calls(ast.parse(path.read_text())):
            if name.split(".")[0] in METADATA or (where, name) in HOST_SIDE:
                continue
            unlisted.append(f"{where}:{line}: numpy.{name}")
    assert not unlisted, (
        "NumPy called where the array may live on a device; take the module from the "
        f"inputs (chainrule.ops.namespace) or list the host-side use with its reason: {unlisted}"
    )


def test_every_listed_host_side_use_still_exists():
    found = set()
    for path in SCANNED:
        where = path.relative_to(SOURCE).as_posix()
        found.update((where, name) for name, _ in _numpy_calls(ast.parse(path.read_text())))
    assert set(HOST_SIDE) <= found, sorted(set(HOST_SIDE) - found)
