"""Every code block of README.md and docs/*.md runs as written, and says what it prints.

- Python blocks run in order, one namespace per file, in a folder holding the files the
  docs talk about (`runs/mnist`, `seven.png`, `three.jpg`, `digit.npy`). A statement whose
  comment starts with a value (`cr.grad(f)(x)   # [1/3, 1/12]`, `# 1.17118...`,
  `# (10, 10, 512)`, `# True`) must produce it, to the digits shown ("..." elides entries, or the
  rest of a number's digits); `# SomeError: ...` must raise it; `# ..., shape (3, 2)`
  checks the shape.
- A plain block preceded by `<!-- docs-test: output of COMMAND -->` is that command's
  output: each of its lines must appear there, numbers to the digits shown.
- bash blocks: the cheap commands (`chainrule explain --tutorial`, `chainrule predict`)
  run and must succeed; the others (training, installing) are left to their own tests.
- A block preceded by `<!-- docs-test: skip REASON -->` is not run.
"""

import ast
import contextlib
import io
import os
import re
import shlex
import subprocess
import sys
import tokenize
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pytest

ROOT = Path(__file__).resolve().parents[1]
DOCS = [ROOT / "README.md", *sorted((ROOT / "docs").glob("*.md"))]
FENCE = re.compile(r"^( *)```(\w*)\s*$")
MARKER = re.compile(r"^<!--\s*docs-test:\s*(.*?)\s*-->$")
CHEAP_COMMANDS = ("chainrule explain --tutorial", "chainrule predict")
TINY = 1e-9
"""Printed values below this are rounding noise (1.1e-16): only their smallness is checked."""
NUMBER = re.compile(r"-?\d+/\d+|-?(?:\d+\.?\d*|\.\d+)(?:e[-+]?\d+)?(?:\.\.\.)?|\.\.\.")
EXCEPTION = re.compile(r"^([A-Z]\w*(?:Error|Exception))\b")


@dataclass
class Block:
    path: Path
    line: int
    language: str
    code: str
    marker: str

    def __str__(self):
        return f"{self.path.name}:{self.line}"


def code_blocks(path):
    """The fenced blocks of a Markdown file, with the docs-test marker just before each."""
    blocks, lines, start, marker = [], path.read_text().splitlines(), None, ""
    for number, line in enumerate(lines, start=1):
        fence = FENCE.match(line)
        if start is None and fence:  # a block indented under a list item is dedented
            start, indent, language, body = number, len(fence.group(1)), fence.group(2), []
            previous = next((text for text in reversed(lines[: number - 1]) if text.strip()),
                            "")
            found = MARKER.match(previous.strip())
            marker = found.group(1) if found else ""
        elif start is not None and line.strip() == "```":
            blocks.append(Block(path, start, language, "\n".join(body) + "\n", marker))
            start = None
        elif start is not None:
            body.append(line[indent:] if line[:indent].strip() == "" else line)
    return blocks


def blocks_of(language):
    return [block for path in DOCS for block in code_blocks(path)
            if block.language == language and not block.marker.startswith("skip")]


@pytest.fixture(scope="module")
def sandbox(tmp_path_factory):
    """A folder with what the docs refer to: a 784-input run in runs/mnist, and pictures."""
    from PIL import Image, ImageDraw

    from chainrule import nn
    from chainrule.training import save_checkpoint

    folder = tmp_path_factory.mktemp("docs")
    model = nn.MLP((784, 32, 10), rng=np.random.default_rng(0))
    config = {"sizes": [784, 32, 10], "activation": "relu", "dropout": 0.0, "loss": "fused",
              "dtype": "float32", "dataset": "mnist", "classes": list("0123456789")}
    (folder / "runs" / "mnist").mkdir(parents=True)
    save_checkpoint(folder / "runs" / "mnist" / "checkpoint.npz",
                    {"config": config, "model": model.state_dict()})
    for name, stroke in (("seven.png", [(40, 40), (160, 40), (90, 220)]),
                         ("three.jpg", [(50, 40), (150, 60), (80, 120), (150, 180), (50, 220)])):
        picture = Image.new("L", (200, 260), 250)
        ImageDraw.Draw(picture).line(stroke, fill=10, width=18)
        picture.save(folder / name)
    digit = np.zeros((28, 28), dtype=np.float32)
    digit[4:24, 13:15] = 1.0
    np.save(folder / "digit.npy", digit)
    return folder


@pytest.mark.parametrize("path", [path for path in DOCS if any(
    block.language == "python" for block in code_blocks(path))], ids=lambda path: path.name)
def test_python_blocks_run_and_print_what_the_text_says(path, sandbox):
    """Each file in a fresh interpreter, as a reader would run it (the docs may register
    ops or set options that must not leak into the other tests)."""
    result = subprocess.run([sys.executable, __file__, str(path)], cwd=sandbox,
                            capture_output=True, text=True, timeout=600)
    assert result.returncode == 0, result.stderr[-4000:]


def run_file(path):
    """Run the python blocks of one Markdown file in order, in one namespace."""
    namespace = {"__name__": f"docs_{Path(path).stem}"}
    for block in blocks_of("python"):
        if block.path == Path(path):
            run_block(block, namespace)


def run_block(block, namespace):
    """Run a block statement by statement, checking each value its comment states."""
    comments = _comments(block.code)
    for statement in ast.parse(block.code).body:
        where = f"{block.path.name}:{block.line + statement.lineno}"
        stated = _stated(comments, statement.end_lineno)
        raised = EXCEPTION.match(stated)
        if raised:
            with pytest.raises(Exception) as caught:  # noqa: B017 - the comment names it
                _execute(statement, namespace, where)
            assert type(caught.value).__name__ == raised.group(1) or any(
                cls.__name__ == raised.group(1) for cls in type(caught.value).__mro__), where
            continue
        value = _execute(statement, namespace, where)
        if isinstance(statement, ast.Expr) and stated:
            check_stated(value, stated, where)


def _execute(statement, namespace, where):
    if isinstance(statement, ast.Expr):
        return eval(compile(ast.Expression(statement.value), where, "eval"), namespace)
    exec(compile(ast.Module([statement], []), where, "exec"), namespace)
    return None


def _comments(code):
    """{line number: comment text} of a block, and comment-only lines marked by a '#' key."""
    comments = {}
    for token in tokenize.generate_tokens(io.StringIO(code).readline):
        if token.type == tokenize.COMMENT:
            only = not token.line[: token.start[1]].strip()
            comments[token.start[0]] = ("#" if only else "") + token.string[1:].strip()
    return comments


def _stated(comments, line):
    """The value a statement's comment states: on its last line, or on the comment-only line
    right after it."""
    text = comments.get(line, "")
    following = comments.get(line + 1, "")
    if not text and following.startswith("#"):
        text = following[1:].strip()
    return text


def check_stated(value, stated, where):
    """Compare a statement's value with the value its comment starts with (if any)."""
    shape = re.search(r"shape \(([\d, ]*)\)", stated)
    if shape and not re.match(r"^[\[\(\d.-]", stated):
        expected = tuple(int(n) for n in shape.group(1).replace(",", " ").split())
        assert np.shape(value) == expected, f"{where}: shape {np.shape(value)}, doc {expected}"
        return
    if re.match(r"^(True|False)\b", stated):
        assert bool(value) == (stated.split()[0].rstrip(":,.") == "True"), f"{where}: {value}"
        return
    leading = _leading_value(stated)
    if leading is None:
        return
    try:
        literal = ast.literal_eval(leading)
    except (ValueError, SyntaxError):
        literal = None
    if isinstance(literal, (str, list, tuple)) and _has_text(literal):
        assert value == literal, f"{where}: {value!r}, doc says {literal!r}"
        return
    if isinstance(literal, tuple) and isinstance(value, tuple):
        assert value == literal, f"{where}: {value}, doc says {literal}"
        return
    if literal is not None and np.iscomplexobj(literal):
        decimals = max((len(d) for d in re.findall(r"\.(\d+)", leading)), default=0)
        np.testing.assert_allclose(value, literal, atol=0.5 * 10**-decimals, err_msg=where)
        return
    _check_numbers(np.asarray(value, dtype=np.float64).ravel(), NUMBER.findall(leading), where)


def _leading_value(text):
    """The value a comment starts with: a bracketed literal or a number, else None."""
    if text[:1] in "[(":
        depth = 0
        for position, char in enumerate(text):
            depth += char in "[(" and 1 or char in "])" and -1 or 0
            if depth == 0:
                return text[: position + 1]
        return None
    found = NUMBER.match(text)
    return found.group(0) if found and found.group(0) != "..." else None


def _has_text(literal):
    if isinstance(literal, str):
        return True
    return isinstance(literal, (list, tuple)) and any(map(_has_text, literal))


def _check_numbers(values, tokens, where):
    """Values against printed tokens; "..." alone elides entries (the rest matches the end)."""
    if "..." in tokens:
        cut = tokens.index("...")
        head, tail = tokens[:cut], [t for t in tokens[cut + 1 :] if t != "..."]
        assert values.size >= len(head) + len(tail), f"{where}: {values.size} values"
        pairs = list(zip(values[: len(head)], head, strict=True))
        pairs += list(zip(values[values.size - len(tail) :], tail, strict=True))
    else:
        assert values.size == len(tokens), f"{where}: {values.size} values, doc shows {tokens}"
        pairs = list(zip(values, tokens, strict=True))
    for got, token in pairs:
        assert number_matches(got, token), f"{where}: {got!r} where the doc says {token}"


def number_matches(got, token):
    """Whether `got` prints as `token`: rounded to the digits shown, or truncated when the
    token ends in "...", or merely tiny when the token is rounding noise."""
    truncated = token.endswith("...")
    token = token.removesuffix("...")
    if "/" in token:
        numerator, denominator = token.split("/")
        return abs(got - int(numerator) / int(denominator)) <= 1e-12 * max(1, abs(got))
    expected = float(token)
    if expected != 0 and abs(expected) < TINY:
        return abs(got) < TINY
    mantissa = token.split("e")[0]
    decimals = len(mantissa.split(".")[1]) if "." in mantissa else 0
    if "e" in token:
        step = 10.0 ** (int(token.split("e")[1]) - decimals)
    elif "." in mantissa:
        step = 10.0**-decimals
    else:
        return abs(got - expected) <= 1e-6 * max(1, abs(expected))
    if truncated:
        beyond = abs(got) - abs(expected)
        return got * expected >= 0 and -1e-9 * step <= beyond < step * (1 + 1e-9)
    return abs(got - expected) <= 0.5 * step * (1 + 1e-9)


@pytest.fixture(scope="module")
def command_output(sandbox):
    """`command_output(COMMAND)`: the stdout of a chainrule command run in the sandbox."""
    from chainrule.cli.main import main

    outputs = {}

    def run(command):
        if command not in outputs:
            buffer = io.StringIO()
            home = os.getcwd()
            os.chdir(sandbox)
            try:
                with contextlib.redirect_stdout(buffer):
                    code = main(shlex.split(command)[1:])
            finally:
                os.chdir(home)
            assert code == 0, f"{command} exited with {code}"
            outputs[command] = buffer.getvalue()
        return outputs[command]

    return run


OUTPUT_BLOCKS = [block for block in blocks_of("") if block.marker.startswith("output of ")]


@pytest.mark.parametrize("block", OUTPUT_BLOCKS, ids=str)
def test_printed_output_shown_in_the_docs_is_what_the_command_prints(block, command_output):
    output = command_output(block.marker.removeprefix("output of ")).splitlines()
    for line in block.code.splitlines():
        if line.strip():
            assert any(lines_match(line, printed) for printed in output), (
                f"{block}: no line of the output matches {line.strip()!r}")


def lines_match(documented, printed):
    """The same words, and the same numbers to the digits the documented line shows."""
    doc_parts, out_parts = (NUMBER.split(" ".join(text.split())) for text in (documented,
                                                                              printed))
    doc_numbers, out_numbers = NUMBER.findall(documented), NUMBER.findall(printed)
    if [" ".join(p.split()) for p in doc_parts] != [" ".join(p.split()) for p in out_parts]:
        return False
    return len(doc_numbers) == len(out_numbers) and all(
        token == printed_token or number_matches(float(printed_token.removesuffix("...")), token)
        for token, printed_token in zip(doc_numbers, out_numbers, strict=True)
        if "/" not in token)


CHEAP_LINES = [(block, line.split("  #")[0].strip()) for block in blocks_of("bash")
               for line in block.code.splitlines()
               if line.strip().startswith(CHEAP_COMMANDS)]


@pytest.mark.parametrize(("block", "command"), CHEAP_LINES,
                         ids=[f"{block}:{command}" for block, command in CHEAP_LINES])
def test_cheap_shell_commands_in_the_docs_succeed(block, command, command_output):
    assert command_output(command) is not None


def test_the_checker_reads_numbers_as_printed():
    assert number_matches(1.1711829815029449, "1.1711829815...")
    assert not number_matches(1.1711829815029449, "1.1711829816...")
    assert number_matches(-3.225806, "-3.22581") and not number_matches(-3.2259, "-3.22581")
    assert number_matches(3e-17, "1.1e-16") and not number_matches(1e-3, "1.1e-16")
    assert number_matches(1 / 3, "1/3") and number_matches(2.0, "2")
    assert not number_matches(2.0, "1")
    with pytest.raises(AssertionError):
        check_stated(2.0, "1", "here")
    check_stated(np.array([0, 0, -3.22580645, 0, 0, 0]), "[0, 0, -3.2258064..., 0, ..., 0]",
                 "here")
    check_stated((10, 10, 512), "(10, 10, 512): 51,200 entries", "here")
    check_stated(np.zeros((3, 2)), "dloss/dW, shape (3, 2)", "here")
    assert lines_match("C = -ln y_2 = -ln 0.31 = 1.17118", "  C = -ln y_2 = -ln 0.31 = 1.17118")
    assert not lines_match("C = 1.17118", "C = 1.17119")


if __name__ == "__main__":
    run_file(sys.argv[1])
