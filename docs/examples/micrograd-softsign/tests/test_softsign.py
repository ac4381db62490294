"""softsign: its gradient against finite differences, and the plugin that registers it."""

from __future__ import annotations

import math

import micrograd_softsign
import pytest
from micrograd_softsign import SOFTSIGN, softsign

from micrograd_core import Value, load_registry


@pytest.mark.parametrize("x", [-5.0, -1.0, -0.1, 0.0, 0.1, 1.0, 5.0])
def test_gradient_matches_finite_differences(x: float) -> None:
    v = Value(x)
    softsign(v).backward()
    h = 1e-6
    numeric = (softsign(x + h).data - softsign(x - h).data) / (2 * h)
    assert math.isclose(v.grad, numeric, rel_tol=1e-5, abs_tol=1e-8)


def test_the_hook_registers_softsign() -> None:
    registry = load_registry({"softsign": micrograd_softsign}, environ={})
    assert registry["softsign"].doc == SOFTSIGN.doc
    assert registry.methods["softsign"].name == "softsign"
