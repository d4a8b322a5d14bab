"""`import chainrule` pulls in nothing but NumPy and the standard library."""

import subprocess
import sys

CHECK = """
import sys
before = set(sys.modules)
import numpy
after_numpy = set(sys.modules)
import chainrule
added = set(sys.modules) - after_numpy
roots = {name.split(".")[0] for name in added}
stdlib = set(sys.stdlib_module_names)
print(sorted(r for r in roots if r not in stdlib and r not in {"chainrule", "numpy"}))
"""


def test_import_chainrule_loads_only_numpy_and_the_standard_library():
    result = subprocess.run(
        [sys.executable, "-c", CHECK], capture_output=True, text=True, check=True
    )
    assert result.stdout.strip() == "[]"
