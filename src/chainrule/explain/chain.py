"""explain: every Jacobian of a chain of stages, their running product, and two checks.

For f = stage_n o ... o stage_1 at x, with h_0 = x and h_i = stage_i(h_{i-1}; p_i):

    J_i = d h_i / d h_{i-1}   (out x in)   and   d h_i / d p_i for each parameter
    chain_i = d f / d h_{i-1} = chain_{i+1} . J_i      (the running product, from the end)
    d f / d p_i = chain_{i+1} . d h_i / d p_i

The products are compared with one reverse-mode pass through the whole of f, and both
with central finite differences. Everything is evaluated in float64. A scalar output
counts as shape (1,), so dC/dy is 1x10 and dC/dW2 is 1x10x512, as in the tutorial.
"""

from dataclasses import dataclass

import numpy as np

from chainrule.api import jacobian, vjp
from chainrule.explain.numeric import (
    Difference,
    central_differences,
    difference,
    sample_positions,
)
from chainrule.explain.stages import as_stage

MAX_JACOBIAN_ENTRIES = 2**23
"""Jacobians with more entries (64 MiB of float64) are not built; their products with the
chain come from one vector-Jacobian product instead (dz1/dW1 of the MNIST MLP: 2e8)."""


@dataclass(frozen=True)
class StageExplanation:
    """One stage at the point: its Jacobians, the chain up to it, and their checks.

    `jacobians` maps the input's symbol and each parameter's symbol to d output / d it, of
    shape out' + in.shape (None when too large to build); `chain` is d f / d input and
    `gradients` d f / d parameter, both shaped f' + in.shape; `jacobian_checks` compares
    each built Jacobian with finite differences.
    """

    stage: object
    input_symbol: str
    output_symbol: str
    input: np.ndarray
    output: np.ndarray
    jacobians: dict
    chain: np.ndarray
    gradients: dict
    jacobian_checks: dict

    @property
    def equation(self):
        """The stage in the chain's symbols, `z2 = W2 a1 + b2`."""
        return self.stage.equation(self.input_symbol, self.output_symbol)

    def label(self, wrt):
        """`dz2/dW2` for wrt="W2"."""
        return f"d{self.output_symbol}/d{wrt}"


@dataclass(frozen=True)
class GradientCheck:
    """d f / d `wrt` three ways: the chained product, reverse mode, finite differences."""

    wrt: str
    shape: tuple
    product_vs_reverse: Difference
    reverse_vs_numeric: Difference
    product_vs_numeric: Difference

    def as_dict(self):
        """A JSON-ready form."""
        return {"wrt": self.wrt, "shape": list(self.shape),
                "product_vs_reverse": self.product_vs_reverse.as_dict(),
                "reverse_vs_finite_differences": self.reverse_vs_numeric.as_dict(),
                "product_vs_finite_differences": self.product_vs_numeric.as_dict()}


@dataclass(frozen=True)
class Explanation:
    """The chain rule of f at one point, stage by stage, with its checks."""

    stages: list
    value: np.ndarray
    reverse: dict
    checks: dict

    def stage(self, output_symbol):
        """The stage whose output is `output_symbol`."""
        for stage in self.stages:
            if stage.output_symbol == output_symbol:
                return stage
        raise KeyError(f"no stage outputs {output_symbol!r}; outputs: "
                       + ", ".join(s.output_symbol for s in self.stages))

    def jacobian(self, output_symbol, wrt):
        """d output / d wrt for one stage: `jacobian("y", "z2")` is dy/dz2."""
        return self.stage(output_symbol).jacobians[wrt]

    def gradient(self, wrt):
        """d f / d wrt (the input's or a parameter's symbol) from the chained product."""
        return _chained_gradient(self.stages, wrt)

    def summary(self):
        """Per stage its equation and Jacobian shapes and checks; then the gradient checks."""
        return {
            "stages": [
                {
                    "equation": stage.equation,
                    "input_shape": list(stage.input.shape),
                    "output_shape": list(stage.output.shape),
                    "jacobians": {
                        stage.label(wrt): {
                            "shape": _shape_of(stage, wrt),
                            "built": matrix is not None,
                            "finite_differences": (stage.jacobian_checks[wrt].as_dict()
                                                   if wrt in stage.jacobian_checks else None),
                        }
                        for wrt, matrix in stage.jacobians.items()
                    },
                }
                for stage in self.stages
            ],
            "checks": [check.as_dict() for check in self.checks.values()],
        }


def _chained_gradient(stages, wrt):
    for stage in stages:
        if wrt == stage.input_symbol:
            return stage.chain
        if wrt in stage.gradients:
            return stage.gradients[wrt]
    raise KeyError(f"nothing called {wrt!r} in the chain")


def _shape_of(stage, wrt):
    argument = stage.input if wrt == stage.input_symbol else stage.stage.params[wrt]
    return list((stage.output.shape or (1,)) + np.shape(argument))


def explain(stages, x, input_symbol="x", fd_entries=64, eps=1e-6, seed=0,
            max_jacobian_entries=MAX_JACOBIAN_ENTRIES):
    """The chain rule of `stages` (Stages or one-argument callables) at input `x`.

    Finite differences are taken at up to `fd_entries` entries of each argument (all of
    them when it is that small): half where the derivative is largest, half at random.
    """
    steps = [as_stage(step, position) for position, step in enumerate(stages)]
    symbols = [input_symbol] + [step.output or f"h{i + 1}" for i, step in enumerate(steps)]
    params = [{name: np.asarray(p, np.float64) for name, p in s.params.items()} for s in steps]
    _check_names(symbols, params)
    values = [np.asarray(x, dtype=np.float64)]
    for step, step_params in zip(steps, params, strict=True):
        values.append(np.asarray(step(values[-1], *step_params.values()), dtype=np.float64))
    rng = np.random.default_rng(seed)
    final_shape = values[-1].shape or (1,)
    upstream = np.eye(int(np.prod(final_shape))).reshape(final_shape + final_shape)
    explained = []
    for i in reversed(range(len(steps))):
        explained.append(_explain_stage(
            steps[i], symbols[i], symbols[i + 1], values[i], values[i + 1], params[i],
            upstream, rng, fd_entries, eps, max_jacobian_entries))
        upstream = explained[-1].chain
    explained.reverse()
    reverse, checks = _check_whole(steps, params, values, explained, rng, fd_entries, eps)
    return Explanation(explained, values[-1], reverse, checks)


def _check_names(symbols, params):
    names = list(symbols) + [name for step_params in params for name in step_params]
    repeated = sorted({name for name in names if names.count(name) > 1})
    if repeated:
        raise ValueError(f"explain: the symbols {', '.join(repeated)} name more than one "
                         "value in the chain; give each stage's output and parameters "
                         "their own names (dense(W2, b2, names=('W2', 'b2'), output='z2'))")


def _explain_stage(step, input_symbol, output_symbol, value_in, value_out, step_params,
                   upstream, rng, fd_entries, eps, max_entries):
    """Jacobians of one stage, the chain pulled back through it, and their FD checks."""
    args = (value_in, *step_params.values())
    names = (input_symbol, *step_params)
    out_shape = value_out.shape or (1,)
    out_size = int(np.prod(out_shape))
    built = tuple(k for k, a in enumerate(args) if out_size * a.size <= max_entries)
    matrices = jacobian(step, argnums=built)(*args) if built else ()
    jacobians = dict.fromkeys(names)
    for k, matrix in zip(built, matrices, strict=True):
        jacobians[names[k]] = np.asarray(matrix, np.float64).reshape(out_shape + args[k].shape)
    pulled = _pull_back(step, args, jacobians, names, upstream, value_out, out_shape)
    checks = {}
    for k, name in enumerate(names):
        if jacobians[name] is None:
            continue
        numeric, mask = _sampled_differences(step, args, k, jacobians[name], fd_entries, rng,
                                             eps)
        checks[name] = difference(jacobians[name], numeric, mask)
    gradients = dict(zip(names[1:], pulled[1:], strict=True))
    return StageExplanation(step, input_symbol, output_symbol, value_in, value_out,
                            jacobians, pulled[0], gradients, checks)


def _sampled_differences(f, args, k, derivative, fd_entries, rng, eps):
    """(numeric, mask): central differences of f at up to `fd_entries` entries of args[k],
    half where `derivative` (out' + arg shape) is largest; with none asked for, nothing is
    evaluated and the mask is empty."""
    if not fd_entries:
        return derivative, np.zeros(derivative.shape, dtype=bool)
    priority = np.abs(derivative).reshape(-1, args[k].size).sum(axis=0)
    positions = sample_positions(args[k].size, fd_entries, priority, rng)
    return central_differences(f, args, k, positions, eps)


def _pull_back(step, args, jacobians, names, upstream, value_out, out_shape):
    """chain . J for each argument: a tensordot where J was built, else one VJP."""
    axes = len(out_shape)
    pulled = [None if jacobians[name] is None
              else np.tensordot(upstream, jacobians[name], axes=axes) for name in names]
    if any(p is None for p in pulled):
        batch = upstream.shape[: upstream.ndim - axes]
        _, vjp_fn = vjp(step, *args)
        by_vjp = vjp_fn(upstream.reshape(batch + value_out.shape))
        pulled = [np.asarray(v) if p is None else p for p, v in zip(pulled, by_vjp, strict=True)]
    return pulled


def _compose(steps, params):
    sizes = [len(step_params) for step_params in params]

    def composed(x, *flat_params):
        value, start = x, 0
        for step, size in zip(steps, sizes, strict=True):
            value = step(value, *flat_params[start : start + size])
            start += size
        return value

    return composed


def _check_whole(steps, params, values, explained, rng, fd_entries, eps):
    """One reverse-mode pass through all of f, and finite differences, for every argument."""
    composed = _compose(steps, params)
    names = [explained[0].input_symbol] + [name for p in params for name in p]
    args = [values[0]] + [array for p in params for array in p.values()]
    final_shape = values[-1].shape or (1,)
    reverse_all = jacobian(composed, argnums=tuple(range(len(args))))(*args)
    reverse, checks = {}, {}
    for k, (name, arg, rows) in enumerate(zip(names, args, reverse_all, strict=True)):
        reverse[name] = np.asarray(rows, np.float64).reshape(final_shape + arg.shape)
        product = _chained_gradient(explained, name)
        numeric, mask = _sampled_differences(composed, args, k, reverse[name], fd_entries, rng,
                                             eps)
        checks[name] = GradientCheck(
            name, reverse[name].shape, difference(product, reverse[name]),
            difference(reverse[name], numeric, mask), difference(product, numeric, mask))
    return reverse, checks
