"""Public extension API: add a differentiable function without private imports.

    from chainrule.extend import primitive, register_numpy

    @primitive
    def cube(x):
        return x ** 3

    cube.defvjp(lambda g, ans, x: g * 3 * x ** 2)
    register_numpy(my_numpy_like_function, cube)   # optional: np-style dispatch
"""

from chainrule.ops._primitive import Primitive, primitive, unbroadcast
from chainrule.ops.numpy_dispatch import register as register_numpy

__all__ = ["Primitive", "primitive", "register_numpy", "unbroadcast"]
