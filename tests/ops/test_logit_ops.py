"""softplus and logsumexp: the built-in ops the losses on logits build on, stable at any magnitude.

logsumexp is log(e**x1 + e**x2 + ...) as one node, for any number of inputs;
softplus is log(1 + e**x). Whether each gradient is right is the contract kit's
job (test_builtin_contract.py, with the reference points here); these tests
pin what the kit does not: exact floats, IEEE edges, order, compiled replays,
and PyTorch's values where it is installed.
"""

from __future__ import annotations

import math
from random import Random

import pytest
from hypothesis import given
from hypothesis import strategies as st

import micrograd_nn
import micrograd_ops
from micrograd_core import DomainError, Op, OpRegistry, Value, apply, compile_graph, grad
from micrograd_core.testing import check_inline, contract_report
from micrograd_ops import LOGSUMEXP, SOFTPLUS
from tests.helpers import BUILTIN_REFERENCES as REFERENCES

finite = st.floats(-1e6, 1e6, allow_nan=False)


def logsumexp(*xs: float) -> float:
    """The op's forward function on floats."""
    forward = LOGSUMEXP.forward
    assert forward is not None
    return forward(*xs)


# -- the contract, and the kit failing on purpose ----------------------------------


@pytest.mark.parametrize("op", [LOGSUMEXP, SOFTPLUS], ids=lambda op: op.name)
def test_meets_the_contract_with_its_reference_points(op: Op) -> None:
    report = contract_report(op, sampler="builtin", references=REFERENCES[op.name])
    assert report.ok, str(report)
    assert report.result("references").status == "passed"
    assert report.result("second_order").status == "passed"
    assert report.result("large_inputs").status == "passed"


def _naive_logsumexp(*xs: float) -> float:
    return math.log(math.fsum(math.exp(x) for x in xs))


NAIVE_LOGSUMEXP = Op(
    "logsumexp",
    1,
    variadic=1,
    forward=_naive_logsumexp,
    gradient=LOGSUMEXP.gradient,
    doc="log(e**x1 + ...) without the shift",
)


def test_the_kit_refuses_a_logsumexp_without_the_shift() -> None:
    report = contract_report(
        NAIVE_LOGSUMEXP,
        sampler="builtin",
        checks=["references", "large_inputs"],
        references=REFERENCES["logsumexp"],
    )
    references, large = report.result("references"), report.result("large_inputs")
    assert references.status == "failed"
    assert references.message == "with 3 inputs: forward raised OverflowError: math range error"
    assert large.status == "failed"
    assert "no genuine overflow" in large.message


def test_the_kit_refuses_a_logsumexp_whose_gradient_forgets_to_normalise() -> None:
    def unnormalised(*xs_out: float) -> list[float]:  # e**(x_i - max): no sum below
        m = max(xs_out[:-1])
        return [math.exp(x - m) for x in xs_out[:-1]]

    wrong = Op("logsumexp", 1, variadic=1, forward=LOGSUMEXP.forward, gradient=unnormalised)
    report = contract_report(wrong, sampler="builtin", checks=["finite_differences"])
    result = report.result("finite_differences")
    assert result.status == "failed"
    assert result.message.startswith("with 2 inputs:")


# -- logsumexp -------------------------------------------------------------------------


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
    out = micrograd_ops.logsumexp(*xs)
    out.backward()
    assert out.data == 1000.0
    assert [x.grad for x in xs] == [1.0, math.exp(-1000.0), 0.0]


def test_the_gradient_is_the_softmax(builtin_registry: OpRegistry) -> None:
    xs = [Value(1.0), Value(2.0), Value(3.0)]
    out = micrograd_ops.logsumexp(*xs)
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
    (dx,) = grad(micrograd_ops.logsumexp(x, y), [x], create_graph=True)
    (dxx,) = grad(dx, [x])
    p = 1 / (1 + math.exp(y.data - x.data))
    assert dxx.data == pytest.approx(p * (1 - p), rel=1e-14)


def test_a_compiled_graph_shifts_by_the_largest_input_of_each_replay(
    builtin_registry: OpRegistry,
) -> None:
    # A shift read from .data when the graph is built would be replayed stale:
    # after the logits move by 2000, e**(x - old max) overflows.
    a, b = Value(0.0), Value(1.0)
    out = micrograd_ops.logsumexp(a, b)
    compiled = compile_graph(out)
    a.data, b.data = 2000.0, 1000.0
    assert compiled.forward() == 2000.0
    compiled.backward()
    assert (a.grad, b.grad) == (1.0, 0.0)


def test_the_function_applies_the_registered_op(builtin_registry: OpRegistry) -> None:
    out = micrograd_nn.logsumexp(Value(1.0), 2.0)
    assert out.data == logsumexp(1.0, 2.0)
    assert micrograd_nn.logsumexp is micrograd_ops.logsumexp
    assert micrograd_nn.LOGSUMEXP is LOGSUMEXP
    op = builtin_registry["logsumexp"]
    assert op.provenance is not None
    assert op.provenance.plugin == "builtin"
    assert apply(op, 1.0, 2.0).data == out.data


# -- softplus ----------------------------------------------------------------------------


@pytest.mark.parametrize("x", [-1000.0, -50.0, 0.0, 50.0, 1000.0, 1e308, -1e308])
def test_softplus_is_finite_for_large_inputs(x: float) -> None:
    v = Value(x)
    SOFTPLUS(v).backward()
    assert SOFTPLUS(x).data == pytest.approx(max(x, 0.0) + math.log1p(math.exp(-abs(x))))
    assert 0.0 <= v.grad <= 1.0


def test_the_naive_softplus_formula_overflows() -> None:
    naive = Op("softplus", 1, forward=lambda x: math.log(1 + math.exp(x)), partials=(abs,))
    with pytest.raises(DomainError, match=r"softplus\(1000.0\) is outside the op's domain"):
        naive(1000.0)
    assert SOFTPLUS(1000.0).data == 1000.0


# Beyond what the contract kit samples: signed zeros, tiny and huge floats, exp's
# overflow threshold, infinities and NaN (which the comparison and fabs pass on).
EDGES = [0.0, -0.0, 5e-324, 1e-300, 36.0, -745.2, 709.8, 710.0, 1e308, -math.inf, math.inf]


@pytest.mark.parametrize("x", [*EDGES, math.nan])
def test_softplus_expressions_are_its_functions_at_the_edges(x: float) -> None:
    check_inline(SOFTPLUS, (x,))


def test_softplus_is_a_method_and_a_function(builtin_registry: OpRegistry) -> None:
    x = Value(0.8)
    method = getattr(x, "softplus")  # noqa: B009  (a registered method: mypy does not see it)
    assert method().data == micrograd_ops.softplus(x).data == micrograd_nn.softplus(0.8).data
    assert micrograd_nn.softplus is micrograd_ops.softplus


# -- against PyTorch (optional) -----------------------------------------------------------


@pytest.mark.parametrize("scale", [1.0, 30.0, 1000.0])
@pytest.mark.parametrize("seed", range(4))
def test_logsumexp_equals_torchs_value_and_gradient(
    seed: int, scale: float, builtin_registry: OpRegistry
) -> None:
    torch = pytest.importorskip("torch")
    rng = Random(seed)
    xs = [Value(rng.uniform(-scale, scale)) for _ in range(rng.randint(1, 7))]
    out = micrograd_ops.logsumexp(*xs)
    out.backward()
    t = torch.tensor([x.data for x in xs], dtype=torch.float64, requires_grad=True)
    expected = torch.logsumexp(t, 0)
    expected.backward()
    assert out.data == pytest.approx(expected.item(), rel=1e-15, abs=1e-15)
    assert [x.grad for x in xs] == pytest.approx(t.grad.tolist(), rel=1e-14, abs=1e-300)


def test_logsumexp_at_huge_logits_equals_torchs(builtin_registry: OpRegistry) -> None:
    torch = pytest.importorskip("torch")
    xs = [Value(1000.0), Value(0.0), Value(-1000.0)]
    out = micrograd_ops.logsumexp(*xs)
    out.backward()
    t = torch.tensor([1000.0, 0.0, -1000.0], dtype=torch.float64, requires_grad=True)
    expected = torch.logsumexp(t, 0)
    expected.backward()
    assert out.data == expected.item() == 1000.0
    assert [x.grad for x in xs] == t.grad.tolist()


@pytest.mark.parametrize("x", [-1000.0, -40.0, -3.5, -1e-8, 0.0, 1e-8, 2.25, 19.0, 40.0, 1000.0])
def test_softplus_equals_torchs_value_and_gradient(x: float, builtin_registry: OpRegistry) -> None:
    torch = pytest.importorskip("torch")
    v = Value(x)
    out = micrograd_ops.softplus(v)
    out.backward()
    # above x = 20 torch gives x itself and gradient 1: the same floats from 37 up
    t = torch.tensor(x, dtype=torch.float64, requires_grad=True)
    expected = torch.nn.functional.softplus(t)
    expected.backward()
    assert out.data == pytest.approx(expected.item(), rel=1e-15, abs=0.0)
    assert v.grad == pytest.approx(t.grad.item(), rel=1e-15, abs=0.0)
