"""compile_graph(root, batch=...) at its edges: what a column may hold, leaves whose
.data is no float, a root that is a leaf, arithmetic that Python refuses inside an
op's expression, threads sharing one batched graph. The engine, one graph per
example, is the reference every time."""

from __future__ import annotations

import decimal
import fractions
import math
import threading

import numpy as np
import pytest

from micrograd_core import (
    DomainError,
    Inline,
    Op,
    OperandRangeError,
    OperandTypeError,
    OpRegistry,
    Value,
    apply,
    compile_graph,
)
from tests.helpers import run_switching_often


@pytest.fixture(autouse=True)
def builtin(builtin_registry: OpRegistry) -> OpRegistry:
    return builtin_registry


# -- what a column may hold: what Value() takes ---------------------------------------


@pytest.mark.parametrize(
    "number",
    [True, 3, fractions.Fraction(1, 3), decimal.Decimal("1.1"), np.float32(0.1), np.int64(7)],
    ids=repr,
)
def test_a_column_takes_every_number_value_takes(number: object) -> None:
    x, w = Value(0.0), Value(2.0)
    step = compile_graph(x * w, batch={x: [number, 1.0]})
    assert step.forward() == (Value(number).data * 2.0 + 2.0) / 2  # type: ignore[arg-type]


@pytest.mark.parametrize("text", ["1.5", b"1.5"], ids=repr)
def test_a_column_refuses_text_as_value_does(text: object) -> None:
    x, w = Value(0.0), Value(2.0)
    with pytest.raises(OperandTypeError, match="takes a real number") as info:
        Value(text)  # type: ignore[arg-type]
    with pytest.raises(OperandTypeError, match=r"example 1, takes a real number .* got") as info:
        compile_graph(x * w, batch={x: [1.0, text]})
    assert "batch leaf Value(data=0.0" in str(info.value)
    step = compile_graph(x * w, batch={x: [1.0]})
    with pytest.raises(OperandTypeError, match="example 0,"):
        step.set_batch({x: np.array([text, "2"], dtype=object)})
    assert step.forward() == 2.0  # the refused batch left the last one in place


def test_a_column_refuses_an_int_beyond_a_float_as_value_does() -> None:
    x, w = Value(0.0), Value(2.0)
    with pytest.raises(OperandRangeError, match="example 1, takes a real number that fits"):
        compile_graph(x * w, batch={x: [1.0, 10**400]})


@pytest.mark.parametrize("column", [{1.0, 2.0}, {1.0: 3.0, 2.0: 4.0}], ids=["set", "dict"])
def test_a_column_is_a_sequence_not_a_set_or_a_mapping(column: object) -> None:
    x, y, w = Value(0.0), Value(0.0), Value(2.0)
    with pytest.raises(TypeError, match="must be a sequence of real numbers"):
        compile_graph(x * w + y, batch={x: column, y: [1.0, 2.0]})


# -- leaves whose .data is no float: the engine's arithmetic, the engine's errors ----------


def test_a_parameter_holding_a_str_is_the_engines_error() -> None:
    x, w = Value(0.0), Value(2.0)
    step = compile_graph(x * w, batch={x: [1.0, 2.0]})
    w.data = "3.0"  # type: ignore[assignment]
    with pytest.raises(OperandTypeError, match="holds 'str'") as info:
        step.forward()
    assert "in example 0 of the batch (counting from 0)" in info.value.__notes__


def test_parameters_holding_ints_compute_as_the_engine_does() -> None:
    x, a, b = Value(0.0), Value(0.0), Value(0.0)
    step = compile_graph((a + b) * x, batch={x: [1.0, 3.0]})
    a.data, b.data = 2**53 + 1, -(2**53)
    want = (a + b) * Value(2.0)  # an int add is exact: 1, where floats give 0
    assert want.data == 2.0
    assert step.forward() == want.data
    step.backward()
    assert (a.grad, b.grad) == (2.0, 2.0)


# -- a root that is a leaf --------------------------------------------------------------


@pytest.mark.parametrize("reduce", ["mean", "sum"])
@pytest.mark.parametrize("data", [3.0, math.nan, math.inf])
def test_a_parameter_as_the_root(data: float, reduce: str) -> None:
    x, w = Value(0.0), Value(data)
    w.grad = 0.5
    step = compile_graph(w, batch={x: [1.0, 2.0]}, reduce=reduce)  # type: ignore[call-overload]
    total = step.forward()
    step.backward()
    size = 2.0 if reduce == "sum" else 1.0
    assert math.isnan(total) if math.isnan(data) else total == data * size
    assert w.grad == 0.5 + size  # d(mean of w)/dw is 1; of a sum of two, 2


# -- arithmetic Python refuses inside one op's expression ---------------------------------


def test_an_overflow_inside_a_partial_is_the_engines_domain_error() -> None:
    recip = Op("recip", 1, inline=Inline("1 / x0", partials=("-1 / x0 ** 2",)))
    x, w = Value(1.0), Value(1.0)
    with pytest.raises(DomainError, match="recip"):
        apply(recip, Value(1e300) * w).backward()  # 1e300 ** 2 overflows in Python
    step = compile_graph(apply(recip, x * w), batch={x: [1.0, 1e300]})
    assert step.forward() == (1.0 + 1e-300) / 2
    with pytest.raises(DomainError, match="recip") as info:
        step.backward()
    assert "in example 1 of the batch (counting from 0)" in info.value.__notes__


def test_a_division_by_zero_inside_a_forward_is_the_engines_domain_error() -> None:
    damp = Op("damp", 1, inline=Inline("1 / (1 + 1 / x0)", partials=("1 / (1 + x0) ** 2",)))
    x, w = Value(1.0), Value(1.0)
    with pytest.raises(DomainError, match="damp"):
        apply(damp, Value(0.0) * w)
    step = compile_graph(apply(damp, x * w), batch={x: [1.0, 0.0]})
    with pytest.raises(DomainError, match="damp") as info:
        step.forward()
    assert "in example 1 of the batch (counting from 0)" in info.value.__notes__


# -- the sign of a product's zero --------------------------------------------------------


def test_a_products_zero_keeps_its_sign() -> None:
    sign = Op("sign", 1, inline=Inline("math.copysign(1.0, x0)", partials=("0.0",)))
    x, w = Value(1.0), Value(-1.0)
    step = compile_graph(apply(sign, x * w), batch={x: [0.0, 2.0]})
    assert apply(sign, Value(0.0) * w).data == -1.0  # 0.0 * -1.0 is -0.0
    assert step.forward() == -1.0


# -- the gradient at the values of the last forward() ------------------------------------


TWICE = Op("twice", 1, inline=Inline("2.0 * x0", partials=("2.0",)))
# its partial gives an int: the engine converts it, the arrays leave the backward pass
# to the loop over examples
TWICE_INT = Op("twice", 1, forward=lambda x: 2.0 * x, partials=(lambda x, out: 2,))


@pytest.mark.parametrize(
    ("op", "w0"),
    [(TWICE, 2.0), (TWICE_INT, 2.0), (TWICE, 2)],  # an int leaf: both passes loop
    ids=["arrays", "loop backward", "loop forward and backward"],
)
def test_the_gradient_is_at_the_last_forward_whichever_way_a_pass_runs(op: Op, w0: float) -> None:
    x, w = Value(0.0), Value(2.0)
    step = compile_graph(apply(op, x * w * w), batch={x: [1.0, 3.0]})
    w.data = w0
    step.forward()
    w.data = 5.0
    step.backward()
    assert w.grad == 2.0 * 2.0 * 2.0 * 2.0  # d/dw of 2 x w**2 at w = 2, mean x = 2
    assert w.data == 5.0


# -- values near the largest float ---------------------------------------------------------


def test_the_mean_of_values_whose_sum_overflows_is_finite() -> None:
    x, w = Value(0.0), Value(1.0)
    step = compile_graph(x * w, batch={x: [1.7e308, 1.7e308]})
    assert step.forward() == 1.7e308  # the mean; their sum is beyond a float
    step.backward()
    assert w.grad == 1.7e308


def test_a_sum_over_the_batch_beyond_a_float_is_the_engines_domain_error() -> None:
    x, w = Value(0.0), Value(1.0)
    with pytest.raises(DomainError, match="add"):
        Value(1.7e308) * w + Value(1.7e308) * w
    step = compile_graph(x * w, batch={x: [1.7e308, 1.7e308]}, reduce="sum")
    with pytest.raises(DomainError, match=r"reduce='sum'.*more than the largest float"):
        step.forward()
    step.set_batch({x: [1.7e308, 1.7e308, math.nan]})  # added in order: the overflow first
    with pytest.raises(DomainError, match=r"add\(1.7e\+308, 1.7e\+308\) overflows"):
        step.forward()
    step.set_batch({x: [math.inf, 1.7e308, 1.7e308]})  # an inf propagates
    assert step.forward() == math.inf


def test_a_large_gradient_of_the_mean_overflows_no_sooner_on_the_loop() -> None:
    x, w, v = Value(0.0), Value(1e-10), Value(1.0)
    root = x * w + x * w + v * 0.0
    step = compile_graph(root, batch={x: [1.7e308, -1.0]})
    v.data = 1  # an int: the pass runs per example
    assert math.isclose(step.forward(), 1.7e298, rel_tol=1e-12)
    step.backward()  # d/dw is x + x: 3.4e308 for an example, but half of it for the mean
    assert w.grad == 1.7e308 - 1.0


# -- threads sharing one batched graph ------------------------------------------------------


def test_threads_sharing_one_batched_graph_run_its_passes_one_at_a_time(
    builtin: OpRegistry,
) -> None:
    xs = [math.sin(i) for i in range(300)]
    x = Value(0.0)
    ws = [Value(0.1 * k - 0.3) for k in range(8)]
    root = sum(((x * w).tanh() * w for w in ws), Value(0.0))
    step = compile_graph(root, batch={x: xs})
    want = step.forward()
    step.backward()
    grads = [w.grad for w in ws]
    for w in ws:
        w.grad = 0.0
    passes, results = 20, []

    def worker() -> None:
        with builtin.activated():
            for _ in range(passes):
                results.append(step.forward())
                step.backward()

    run_switching_often([threading.Thread(target=worker) for _ in range(3)])
    assert results == [want] * (3 * passes)
    for w, g in zip(ws, grads, strict=True):
        assert math.isclose(w.grad, 3 * passes * g, rel_tol=1e-12)
