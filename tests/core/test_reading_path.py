"""How much code a reader follows for ``a * b`` and ``backward()``: first use and after.

The reading path of a call is every function it runs in ``micrograd_core`` and
the built-in ops, each counted whole (from its ``def`` to its last line, as a
reader reads it), each line once. ``docs/examples/reading_path.py`` (which
docs/reading-the-code.md runs) measures it with ``sys.settrace`` in a fresh
process, the first time (which loads the plugins and installs the default
registry) and once more.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

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


SCRIPT = Path(__file__).resolve().parents[2] / "docs" / "examples" / "reading_path.py"


def _measure() -> dict[str, int]:
    done = subprocess.run(
        [sys.executable, str(SCRIPT), "--json"],
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
    assert measured["later"] <= STEADY_LINES, measured
    # a later use stays in the engine and the op: Value, the graph, the built-in ops
    assert measured["later_files"] <= 3, measured
