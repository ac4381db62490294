"""The code a reader follows for ``a * b`` and ``backward()``: first use and after.

Run it in a fresh process: ``python reading_path.py`` prints, for the first
multiplication (which builds the default registry) and a later one, every
function of ``micrograd_core`` and the built-in ops that ran, file by file in
the order they were first called, each with its length in lines. A function
counts whole, from its ``def`` to its last line, as a reader reads it; each line
counts once. ``--json`` prints the totals only.
"""

from __future__ import annotations

import argparse
import importlib.metadata
import importlib.util
import inspect
import json
import os
import sys
from collections.abc import Callable
from types import CodeType, FrameType
from typing import Any

# Whatever else is installed, discovery finds the built-in plugin alone: other
# plugins, loaded or left out, would add their own lines to the first use.
_installed = importlib.metadata.entry_points


def _builtin_only(**selection: Any) -> Any:
    found: Any = _installed(**selection)  # EntryPoints, or groups of them
    if selection.get("group") != "micrograd":
        return found
    return importlib.metadata.EntryPoints(ep for ep in found if ep.value == "micrograd_ops")


importlib.metadata.entry_points = _builtin_only
os.environ["MICROGRAD_LOAD_PLUGINS"] = "builtin"
os.environ.pop("MICROGRAD_DISABLE_PLUGINS", None)

from micrograd_core import Value  # noqa: E402  (after discovery is narrowed)

# The built-in ops are found, not imported: loading them is part of the first use.
assert "micrograd_ops" not in sys.modules
PACKAGES = ("micrograd_core", "micrograd_ops")
ROOTS = tuple(
    os.path.dirname(importlib.util.find_spec(name).origin or "") + os.sep  # type: ignore[union-attr]
    for name in PACKAGES
)

# file -> the lines its functions span, and each function with its own length
Path = dict[str, tuple[set[int], list[tuple[str, int]]]]


def reading_path(run: Callable[[], object]) -> Path:
    """The functions ``run()`` calls, by file in the order of their first call."""
    codes: dict[CodeType, None] = {}  # in order of first call

    def tracer(frame: FrameType, event: str, arg: object) -> None:
        code = frame.f_code
        # functions only: a module's or a class's body, run when it is first
        # imported, defines what the path calls and is not counted
        if code.co_filename.startswith(ROOTS) and code.co_flags & inspect.CO_NEWLOCALS:
            codes.setdefault(code)
        # calls are all it needs: no line events

    sys.settrace(tracer)
    try:
        run()
    finally:
        sys.settrace(None)
    path: Path = {}
    for code in codes:
        last = max((n for _, _, n in code.co_lines() if n is not None), default=0)
        span = range(code.co_firstlineno, last + 1)
        lines, functions = path.setdefault(_shown(code.co_filename), (set(), []))
        lines.update(span)
        if "<" not in code.co_qualname:  # comprehensions are read with their function
            functions.append((code.co_qualname, len(span)))
    return path


def total(path: Path) -> int:
    """How many lines the path spans, each counted once."""
    return sum(len(lines) for lines, _ in path.values())


def _shown(filename: str) -> str:
    """``micrograd_core/value.py`` for the file's full path."""
    parts = filename.split(os.sep)
    return "/".join(parts[-2:])


def mul_and_backward() -> None:
    c = Value(2.0) * Value(3.0)
    c.backward()


def report(title: str, path: Path) -> str:
    """The path as text: a line per file, then its functions and their lengths."""
    out = [f"{title}: {total(path)} lines in {len(path)} files"]
    for file, (lines, functions) in path.items():
        out.append(f"  {file} ({len(lines)} lines)")
        line = "   "
        for name, n in functions:  # as many as fit in 88 columns, a function never split
            item = f" {name} {n},"
            if len(line) + len(item) > 88:
                out.append(line)
                line = "   "
            line += item
        out.append(line.rstrip(","))
    return "\n".join(out)


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description="The code a * b and backward() run.")
    parser.add_argument("--json", action="store_true", help="print the totals only, as JSON")
    args = parser.parse_args()
    first = reading_path(mul_and_backward)
    later = reading_path(mul_and_backward)
    if args.json:
        print(
            json.dumps(
                {
                    "first": total(first),
                    "later": total(later),
                    "first_files": len(first),
                    "later_files": len(later),
                }
            )
        )
    else:
        print(report("first use", first))
        print(report("later use", later))
