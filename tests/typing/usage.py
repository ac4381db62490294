"""What users write, type-checked by mypy --strict (never run: see test_typing.py)."""

from __future__ import annotations

from typing import assert_type

from micrograd_core import Op, OpRegistry, Value, apply, default_registry, to_dot
from micrograd_ops import TANH, add, affine, exp, log, logsumexp, mul, power, relu, softplus, tanh

x = Value(2.0)
assert_type((x * 3 + 1).tanh(), Value)
assert_type(Value(2) ** x, Value)
assert_type(2**x, Value)
assert_type(1 - x / 2, Value)
assert_type(-x.relu().exp(), Value)
assert_type(x.data, float)
assert_type(x.grad, float)
assert_type(apply("mul", x, 2), Value)
assert_type(default_registry(), OpRegistry)
assert_type(default_registry()["tanh"], Op)
assert_type(default_registry()["tanh"](x), Value)
w = Value(-3.0, label="w1")
w.label = "w"
assert_type(w.label, str)
assert_type(to_dot(w * x, rankdir="TB", max_nodes=100), str)
assert_type(tanh(x), Value)
assert_type(tanh(0.5) + relu(x) * exp(1), Value)
assert_type(add(x, 1) - mul(2, x) / log(x), Value)
assert_type(power(x, 2) ** power(2, x), Value)
assert_type(affine(0.5, w, x, 2.0, 3), Value)
assert_type(logsumexp(w, x, 2.0) - softplus(x), Value)
assert_type(TANH, Op)
