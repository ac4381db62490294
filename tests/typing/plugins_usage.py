"""What users of the plugin distributions write, type-checked by mypy --strict.

Importing this module runs nothing: the checks sit in a function mypy reads
and nobody calls, because the plugins need not be installed in the test run.
"""

from __future__ import annotations

from typing import assert_type

from micrograd_activations import gelu, leaky_relu, log, sigmoid, silu, softplus
from micrograd_trig import atan, cos, sin, tan

from micrograd_core import Op, Value, register_op, temporary_ops


def plugin_functions_return_values(x: Value) -> None:
    """``reveal_type(sin(x))`` is ``Value``: the typed functions compose with operators."""
    assert_type(sin(x), Value)
    assert_type(cos(2.0) * tan(x) + atan(1), Value)
    assert_type(sigmoid(x).tanh(), Value)
    assert_type(softplus(x) - leaky_relu(-x) / log(x), Value)
    assert_type(silu(gelu(x)).data, float)


def run_time_registration(cube: Op) -> None:
    """``register_op`` returns the op, as a call or as a decorator."""
    assert_type(register_op(cube), Op)

    @register_op
    def softsign(x: Value) -> Value:
        return x / (1 + x.relu() + (-x).relu())

    assert_type(softsign, Op)
    assert_type(softsign(Value(1.0)), Value)
    with temporary_ops(cube) as registry:
        assert_type(registry[cube.name], Op)
