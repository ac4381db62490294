"""logsumexp: log(e**x1 + e**x2 + ...) as one node, stable at any magnitude."""

from __future__ import annotations

import math
from random import Random

import pytest
from hypothesis import given
from hypothesis import strategies as st

from micrograd_core import OpRegistry, Value, apply, compile_graph, grad
from micrograd_core.testing import contract_report
from micrograd_nn import LOGSUMEXP

finite = st.floats(-1e6, 1e6, allow_nan=False)


def logsumexp(*xs: float) -> float:
    """The op's forward function on floats."""
    forward = LOGSUMEXP.forward
    assert forward is not None
    return forward(*xs)


def test_meets_the_contract_at_several_input_counts() -> None:
    report = contract_report(LOGSUMEXP, sampler="builtin")
    assert report.ok, str(report)
    assert report.result("second_order").status == "passed"


@given(st.lists(finite, min_size=1, max_size=8), st.randoms(use_true_random=False))
def test_the_same_float_for_the_inputs_in_any_order(xs: list[float], rnd: Random) -> None:
    shuffled = list(xs)
    rnd.shuffle(shuffled)
    assert logsumexp(*shuffled) == logsumexp(*xs)


@given(st.lists(st.floats(-30, 30), min_size=1, max_size=8))
def test_equals_the_textbook_formula_where_that_does_not_overflow(xs: list[float]) -> None:
    expected = math.log(math.fsum(math.exp(x) for x in xs))
    assert logsumexp(*xs) == pytest.approx(expected, rel=1e-15, abs=1e-15)


def test_huge_logits_give_finite_values_and_softmax_gradients(
    builtin_registry: OpRegistry,
) -> None:
    xs = [Value(1000.0), Value(0.0), Value(-1000.0)]
    out = apply(LOGSUMEXP, *xs)
    out.backward()
    assert out.data == 1000.0
    assert [x.grad for x in xs] == [1.0, math.exp(-1000.0), 0.0]


def test_the_gradient_is_the_softmax(builtin_registry: OpRegistry) -> None:
    xs = [Value(1.0), Value(2.0), Value(3.0)]
    out = apply(LOGSUMEXP, *xs)
    out.backward()
    total = sum(math.exp(x.data) for x in xs)
    assert [x.grad for x in xs] == pytest.approx([math.exp(x.data) / total for x in xs])
    assert sum(x.grad for x in xs) == pytest.approx(1.0, abs=1e-15)


@pytest.mark.parametrize(
    ("xs", "expected"),
    [
        ((-math.inf, -math.inf), -math.inf),
        ((-math.inf, 0.0), 0.0),
        ((math.inf, 1.0), math.inf),
        ((1.0, math.nan), math.nan),
        ((math.nan, 1.0), math.nan),
        ((math.inf, math.nan), math.nan),
        ((math.nan, -math.inf), math.nan),
    ],
)
def test_infinities_and_nan_as_ieee_arithmetic(xs: tuple[float, ...], expected: float) -> None:
    got = logsumexp(*xs)
    assert got == expected or (math.isnan(got) and math.isnan(expected))


def test_second_derivative_is_the_softmax_variance(builtin_registry: OpRegistry) -> None:
    x, y = Value(0.5), Value(-1.5)
    (dx,) = grad(apply(LOGSUMEXP, x, y), [x], create_graph=True)
    (dxx,) = grad(dx, [x])
    p = 1 / (1 + math.exp(y.data - x.data))
    assert dxx.data == pytest.approx(p * (1 - p), rel=1e-14)


def test_a_compiled_graph_shifts_by_the_largest_input_of_each_replay(
    builtin_registry: OpRegistry,
) -> None:
    # A shift read from .data when the graph is built would be replayed stale:
    # after the logits move by 2000, e**(x - old max) overflows.
    a, b = Value(0.0), Value(1.0)
    out = apply(LOGSUMEXP, a, b)
    compiled = compile_graph(out)
    a.data, b.data = 2000.0, 1000.0
    assert compiled.forward() == 2000.0
    compiled.backward()
    assert (a.grad, b.grad) == (1.0, 0.0)
