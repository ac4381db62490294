"""torch and jax stay optional: nothing imports them until a translation is asked for."""

from __future__ import annotations

import json
import subprocess
import sys

import pytest

from micrograd_core import Op, interop

LOADED = """
import json, sys
import micrograd_core, micrograd_core.interop, micrograd_nn
from micrograd_core import Value
from micrograd_nn import MLP
MLP(2, [3, 1])([Value(1.0), 2.0]).backward()
print(json.dumps(sorted(m for m in sys.modules if m.split(".")[0] in {"torch", "jax", "numpy"})))
"""


def test_importing_micrograd_loads_neither_torch_nor_jax() -> None:
    done = subprocess.run(
        [sys.executable, "-c", LOADED], capture_output=True, text=True, check=True, timeout=120
    )
    assert json.loads(done.stdout) == []


def test_a_missing_target_is_named(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(sys.modules, "torch", None)  # as if torch were not installed
    square = Op("square", 1, forward=lambda x: x * x, partials=(lambda x, out: 2 * x,))
    with pytest.raises(interop.NotTranslatableError, match="'torch' is not installed") as e:
        interop.to_torch(square)
    assert e.value.op_name == "square"
    assert e.value.target == "torch"
    assert interop.translation_problems(square, targets=("torch",)) == []
