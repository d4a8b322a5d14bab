"""Writing files so that a crash or a kill never leaves a half-written one behind."""

import json

from chainrule._files import write_atomically

__all__ = ["write_atomically", "write_json", "write_jsonl"]


def write_json(path, value):
    """`value` as indented JSON, written atomically."""
    text = json.dumps(value, indent=2) + "\n"
    write_atomically(path, lambda stream: stream.write(text), mode="w")


def write_jsonl(path, rows):
    """One JSON object per line, written atomically."""
    text = "".join(json.dumps(row) + "\n" for row in rows)
    write_atomically(path, lambda stream: stream.write(text), mode="w")

