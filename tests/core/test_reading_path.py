"""How much code a reader follows for ``a * b`` and ``backward()``: first use and after.

The reading path of a call is every function it runs in ``micrograd_core`` and
the built-in ops, each counted whole (from its ``def`` to its last line, as a
reader reads it), each line once. It is measured with ``sys.settrace`` in a
fresh process, the first time (which loads the plugins and installs the
default registry) and once more.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import textwrap

MEASURE = """
import importlib.metadata, importlib.util, inspect, json, os, sys

# whatever else is installed, discovery finds the built-in plugin alone: other
# plugins, loaded or not, would lengthen the path by their own lines
_installed = importlib.metadata.entry_points
def _builtin_only(**selection):
    found = _installed(**selection)
    if selection.get("group") != "micrograd":
        return found
    return importlib.metadata.EntryPoints(ep for ep in found if ep.value == "micrograd_ops")
importlib.metadata.entry_points = _builtin_only

from micrograd_core import Value

# the built-in ops are found, not imported: loading them is part of the first use
roots = tuple(
    os.path.dirname(importlib.util.find_spec(name).origin) + os.sep
    for name in ("micrograd_core", "micrograd_ops")
)
assert "micrograd_ops" not in sys.modules

def reading_path(run):
    codes = set()

    def tracer(frame, event, arg):
        code = frame.f_code
        # functions only: a module's or a class's body, run when it is first
        # imported, defines what the path calls and is not counted
        if code.co_filename.startswith(roots) and code.co_flags & inspect.CO_NEWLOCALS:
            codes.add(code)
        return None  # calls are all it needs: no line events

    sys.settrace(tracer)
    try:
        run()
    finally:
        sys.settrace(None)
    lines = set()
    for code in codes:
        last = max((line for _, _, line in code.co_lines() if line is not None), default=0)
        lines.update((code.co_filename, n) for n in range(code.co_firstlineno, last + 1))
    return lines

def mul_and_backward():
    c = Value(2.0) * Value(3.0)
    c.backward()

first = reading_path(mul_and_backward)
steady = reading_path(mul_and_backward)
print(json.dumps({
    "first": len(first), "steady": len(steady),
    "first_files": len({f for f, _ in first}), "steady_files": len({f for f, _ in steady}),
}))
"""

# The first use was 596 lines in 8 files (a stand-in op detoured the first ``*``,
# every op was validated twice), 977 once the built-in ops stated their math as
# expressions, compiled through the renderer every target shares. It is 870 since
# the float functions are the expressions' own text, with no renderer. Of those,
# about 170 are the grammar check (micrograd_core.grammar), 125 the op spec's
# validation, 80 deriving the functions, 55 the op records' constructors; 115
# loading plugins, 105 building the registry, 100 Value and 85 the graph. It is
# 880 since the first use, not ``import micrograd_core``, imports plugin discovery
# and the plugin API (pluggy); 895 since the grammar parses under a lock (threads
# parsing at once broke CPython 3.11's parser). A later use was 126, then 125; no_grad's check (two
# lines of the binary operators' path) adds two. It is 123, the ops' compiled
# functions being no lines of the package. softplus' partial (the sigmoid) calls
# math.exp: rendering its rule on Values through micrograd_core.dialect made the
# first use 1096; the rule is now the same text reading another name (896).
FIRST_USE_LINES = 896
STEADY_LINES = 123


def _measure() -> dict[str, int]:
    done = subprocess.run(
        [sys.executable, "-c", textwrap.dedent(MEASURE)],
        capture_output=True,
        text=True,
        check=True,
        env={"MICROGRAD_LOAD_PLUGINS": "builtin", "PATH": os.environ.get("PATH", "")},
        timeout=60,
    )
    result: dict[str, int] = json.loads(done.stdout)
    return result


def test_the_reading_path_of_a_first_and_a_later_multiplication() -> None:
    measured = _measure()
    assert measured["first"] <= FIRST_USE_LINES, measured
    assert measured["steady"] <= STEADY_LINES, measured
    # a later use stays in the engine and the op: Value, the graph, the built-in ops
    assert measured["steady_files"] <= 3, measured
