"""The ops translated for PyTorch and JAX: every built-in, trig and activations op, and the
op ``micrograd new-plugin`` writes."""

from __future__ import annotations

import importlib.util
import random
import warnings
from pathlib import Path
from types import ModuleType

import micrograd_activations
import micrograd_trig
import pytest

import micrograd_ops
from micrograd_cli.new_plugin import scaffold
from micrograd_core import Op


def new_plugin_op(folder: Path) -> Op:
    """The op of a package ``micrograd new-plugin`` writes, imported from its file."""
    root = scaffold("cube", folder)
    path = root / "micrograd_cube" / "__init__.py"
    spec = importlib.util.spec_from_file_location("micrograd_cube_for_interop", path)
    assert spec is not None
    assert spec.loader is not None
    module: ModuleType = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    op = module.CUBE
    assert isinstance(op, Op)
    return op


OPS: list[Op] = [*micrograd_ops.OPS, *micrograd_trig.OPS, *micrograd_activations.OPS]


def inputs_for(op: Op, n: int, size: int, seed: int) -> list[list[float]]:
    """``n`` lists of ``size`` floats inside ``op``'s domain, away from 0 (relu's kink)."""
    rng = random.Random(seed)
    columns = []
    for i in range(n):
        domain = op.input_domain(i)
        low, high = max(domain.low, -2.0), min(domain.high, 2.0)
        column: list[float] = []
        while len(column) < size:
            x = rng.uniform(low, high)
            if x in domain and abs(x) > 0.05:
                column.append(x)
        columns.append(column)
    return columns


def arity(op: Op) -> int:
    """How many inputs the tests give ``op`` (a variadic one: two groups more)."""
    return op.arity + 2 * op.variadic


@pytest.fixture(scope="session")
def cube(tmp_path_factory: pytest.TempPathFactory) -> Op:
    return new_plugin_op(tmp_path_factory.mktemp("new_plugin"))


def import_torch() -> ModuleType:
    with warnings.catch_warnings():  # torch warns at import when numpy is missing
        warnings.simplefilter("ignore")
        torch: ModuleType = pytest.importorskip("torch")
    return torch
