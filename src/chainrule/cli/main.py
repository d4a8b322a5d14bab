"""`chainrule COMMAND ...`: one parser per command; errors print one line, never a traceback.

Commands living in optional modules (explain, plot) are imported only when asked for or
when listing help, so a missing plotting library never affects `chainrule train`.
"""

import argparse
import importlib
import sys

from chainrule import __version__
from chainrule.cli import evaluate_cmd, predict_cmd, train_cmd
from chainrule.errors import ChainruleError

BUILTIN = {"train": train_cmd, "evaluate": evaluate_cmd, "predict": predict_cmd}
OPTIONAL = {"explain": "chainrule.cli.explain_cmd", "plot": "chainrule.cli.plot_cmd",
            "serve": "chainrule.cli.serve_cmd"}


def build_parser(requested=None):
    """The top-level parser; optional commands are loaded unless a built-in one is requested."""
    parser = argparse.ArgumentParser(
        prog="chainrule",
        description="Differentiable programming on NumPy arrays, and the MNIST perceptron.")
    parser.add_argument("--version", action="version", version=f"chainrule {__version__}")
    subparsers = parser.add_subparsers(dest="command", metavar="COMMAND", required=True)
    for module in BUILTIN.values():
        module.add_parser(subparsers).set_defaults(run=module.run)
    if requested not in BUILTIN:
        for name, module_name in OPTIONAL.items():
            _add_optional(subparsers, name, module_name)
    return parser


def _add_optional(subparsers, name, module_name):
    """Register the command from `module_name`; if a dependency is missing, a stub saying so."""
    try:
        module = importlib.import_module(module_name)
    except ModuleNotFoundError as exc:
        if exc.name == module_name:
            return
        reason = f"needs the {exc.name} package, which is not installed"
    except ImportError as exc:
        reason = f"cannot be loaded: {exc}"
    else:
        before = set(subparsers.choices)
        module.add_parser(subparsers)
        for added in set(subparsers.choices) - before:
            subparsers.choices[added].set_defaults(run=module.run)
        return
    # No option prefix, so whatever the user typed lands in `arguments` and the stub explains.
    stub = subparsers.add_parser(name, help=f"(unavailable: {reason})", prefix_chars="\0",
                                 add_help=False)
    stub.add_argument("arguments", nargs="*")
    stub.set_defaults(run=lambda args: _unavailable(name, reason))


def _unavailable(name, reason):
    print(f"chainrule {name}: error: this command {reason}", file=sys.stderr)
    return 1


def _requested_command(argv):
    return next((arg for arg in argv if not arg.startswith("-")), None)


def main(argv=None):
    """Run the command line; returns the exit status (0 on success)."""
    argv = sys.argv[1:] if argv is None else list(argv)
    args = build_parser(_requested_command(argv)).parse_args(argv)
    try:
        return args.run(args)
    except ChainruleError as exc:
        print(f"chainrule {args.command}: error: {exc}", file=sys.stderr)
    except OSError as exc:
        print(f"chainrule {args.command}: error: {exc}", file=sys.stderr)
    except MemoryError:
        print(f"chainrule {args.command}: error: out of memory (the input is too large for "
              "the memory this process may use)", file=sys.stderr)
    except KeyboardInterrupt:
        print(f"chainrule {args.command}: interrupted", file=sys.stderr)
        return 130
    return 1


if __name__ == "__main__":
    sys.exit(main())
