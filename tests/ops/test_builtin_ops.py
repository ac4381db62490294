"""Every built-in op's partials against central finite differences, on its domain."""

from __future__ import annotations

import math

import pytest
from hypothesis import given
from hypothesis import strategies as st

import micrograd_ops
from micrograd_core import DomainError, Op


def numeric_partial(op: Op, xs: list[float], i: int) -> float:
    """d forward / d xs[i] by central differences in float64, the step scaled to |x|."""
    assert op.forward is not None
    h = 1e-6 * max(1.0, abs(xs[i]))
    up, down = list(xs), list(xs)
    up[i] += h
    down[i] -= h
    return (op.forward(*up) - op.forward(*down)) / (2 * h)


def analytic_partial(op: Op, xs: list[float], i: int) -> float:
    assert op.forward is not None
    out = op.forward(*xs)
    if op.gradient is not None:
        return op.gradient(*xs, out)[i]
    return op.partials[i](*xs, out)


def moderate(low: float = -5.0, high: float = 5.0) -> st.SearchStrategy[float]:
    return st.floats(low, high, allow_nan=False, allow_infinity=False)


# Inputs per op: inside its domain, away from its kinks, small enough that
# finite differences are meaningful.
INPUTS: dict[str, st.SearchStrategy[list[float]]] = {
    "add": st.lists(moderate(), min_size=2, max_size=2),
    "mul": st.lists(moderate(), min_size=2, max_size=2),
    "pow": st.tuples(st.floats(0.1, 5.0), moderate(-3.0, 3.0)).map(list),
    "relu": st.lists(moderate().filter(lambda x: abs(x) > 1e-3), min_size=1, max_size=1),
    "tanh": st.lists(moderate(), min_size=1, max_size=1),
    "exp": st.lists(moderate(), min_size=1, max_size=1),
    "log": st.lists(st.floats(0.1, 50.0), min_size=1, max_size=1),
    "affine": st.integers(0, 4).flatmap(
        lambda k: st.lists(moderate(), min_size=1 + 2 * k, max_size=1 + 2 * k)
    ),
    "softplus": st.lists(moderate(-30.0, 30.0), min_size=1, max_size=1),
    "logsumexp": st.lists(moderate(-30.0, 30.0), min_size=1, max_size=6),
}


def test_every_builtin_op_has_inputs_drawn() -> None:
    assert sorted(INPUTS) == sorted(op.name for op in micrograd_ops.OPS)


def close(analytic: float, numeric: float) -> bool:
    return math.isclose(analytic, numeric, rel_tol=1e-5, abs_tol=1e-6)


@pytest.mark.parametrize("op", micrograd_ops.OPS, ids=lambda op: op.name)
@given(data=st.data())
def test_partials_match_finite_differences(op: Op, data: st.DataObject) -> None:
    xs = data.draw(INPUTS[op.name], label="inputs")
    for i in range(len(xs)):
        analytic = analytic_partial(op, xs, i)
        numeric = numeric_partial(op, xs, i)
        assert close(analytic, numeric), f"partial {i}: analytic {analytic}, numeric {numeric}"


def test_a_wrong_partial_is_caught() -> None:
    wrong_tanh = Op("tanh", 1, forward=math.tanh, partials=(lambda x, out: 1 - out,))
    xs = [0.7]
    assert not close(analytic_partial(wrong_tanh, xs, 0), numeric_partial(wrong_tanh, xs, 0))


def test_relu_kink_convention() -> None:
    assert micrograd_ops.RELU.partials[0](0.0, 0.0) == 0.0
    assert [k.partials for k in micrograd_ops.RELU.kinks] == [(0.0,)]


def test_log_outside_its_domain_names_it() -> None:
    with pytest.raises(DomainError, match=r"log\(-1.0\) is outside .*input 0 in \(0, inf\)"):
        micrograd_ops.log(-1.0)
    assert 0.0 not in micrograd_ops.LOG.input_domain(0)
