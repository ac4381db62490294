"""Variadic ops: any number of inputs, the whole gradient from one call."""

from __future__ import annotations

import math

import pytest
from hypothesis import given
from hypothesis import strategies as st

import micrograd_ops
from micrograd_core import (
    Interval,
    InvalidOpError,
    Op,
    OpByName,
    OpRegistry,
    Value,
    apply,
    node_of,
    temporary_ops,
)
from micrograd_core.graph import topological_order
from micrograd_core.op import replace, validate
from micrograd_core.testing import contract_report

finite = st.floats(-1e3, 1e3, allow_nan=False)


def _sum(*xs: float) -> float:
    return math.fsum(xs)


def _ones(*xs_out: float) -> list[float]:
    return [1.0] * (len(xs_out) - 1)


def _one(*xs_out: float) -> float:
    return 1.0


total = Op("total", 1, variadic=1, forward=_sum, gradient=_ones, doc="x1 + x2 + ...")


def test_accepts_the_fixed_inputs_plus_any_number_of_groups() -> None:
    affine = micrograd_ops.AFFINE
    assert [n for n in range(8) if affine.accepts(n)] == [1, 3, 5, 7]
    assert affine.arity_text == "1, 3, 5, ..."
    assert micrograd_ops.ADD.arity_text == "2"
    assert [n for n in range(4) if micrograd_ops.ADD.accepts(n)] == [2]


def test_a_wrong_number_of_inputs_says_what_the_op_takes(builtin_registry: OpRegistry) -> None:
    with pytest.raises(TypeError, match=r"op 'affine' takes 1, 3, 5, \.\.\. input\(s\), got 2"):
        apply("affine", Value(1.0), Value(2.0))


def test_affine_value_and_gradient(builtin_registry: OpRegistry) -> None:
    b, w0, x0, w1 = Value(0.5), Value(2.0), Value(3.0), Value(-1.0)
    out = apply("affine", b, w0, x0, w1, 4.0)  # 0.5 + 2*3 + (-1)*4
    out.backward()
    assert out.data == 2.5
    assert (b.grad, w0.grad, x0.grad, w1.grad) == (1.0, 3.0, 2.0, 4.0)
    assert len(topological_order(out)) == 6  # one node over its five inputs


@given(st.lists(finite, min_size=1, max_size=9).filter(lambda xs: len(xs) % 2 == 1))
def test_affine_matches_micrograds_chain_to_the_last_bit(xs: list[float]) -> None:
    fused = [Value(x) for x in xs]
    out = apply(micrograd_ops.AFFINE, *fused)
    chained = [Value(x) for x in xs]
    expected = chained[0]
    for w, x in zip(chained[1::2], chained[2::2], strict=True):
        expected = expected + w * x
    out.backward()
    expected.backward()
    assert out.data == expected.data
    assert [v.grad for v in fused] == [v.grad for v in chained]


def test_one_value_in_many_inputs_accumulates(builtin_registry: OpRegistry) -> None:
    x = Value(3.0)
    out = apply("affine", x, x, x)  # x + x * x
    out.backward()
    assert (out.data, x.grad) == (12.0, 7.0)


def test_constant_inputs_get_no_gradient_and_are_left_alone(
    builtin_registry: OpRegistry,
) -> None:
    w = Value(2.0)
    out = apply("affine", 1.0, w, 5)
    out.backward()
    assert (out.data, w.grad) == (11.0, 5.0)
    assert all(v.grad == 0.0 for v in node_of(out).inputs if v is not w)


def test_a_runtime_variadic_op() -> None:
    with temporary_ops(total):
        xs = [Value(float(i)) for i in range(5)]
        out = apply("total", *xs)
        out.backward()
    assert out.data == 10.0
    assert [x.grad for x in xs] == [1.0] * 5
    assert node_of(out).inputs == tuple(xs)


def test_a_gradient_of_the_wrong_length_is_a_clear_error() -> None:
    short = Op("total", 1, variadic=1, forward=_sum, gradient=lambda *xs_out: [1.0])
    with temporary_ops(short):
        out = apply("total", Value(1.0), Value(2.0))
        with pytest.raises(
            InvalidOpError, match=r"op 'total' of plugin .*: gradient gave 1 partials for 2"
        ):
            out.backward()


@pytest.mark.parametrize(
    ("spec", "problem"),
    [
        (
            Op("bad", 1, variadic=1, forward=_sum, partials=(_one,)),
            "a variadic op gives gradient (all partials at once), not partials",
        ),
        (
            Op("bad", 1, forward=_sum, partials=(_one,), gradient=_ones),
            "give partials (one per input) or gradient (all at once), not both",
        ),
        (
            Op("bad", 1, variadic=-1, forward=_sum, gradient=_ones),
            "variadic must be an int >= 0 (0: a fixed arity), got -1",
        ),
        (
            Op("bad", 1, variadic=2, forward=_sum, gradient=_ones, domain=(Interval(),)),
            "domain must hold 3 Interval(s), one per input and per variadic input",
        ),
        (
            Op("bad", 1, variadic=1, forward=_sum, gradient=_ones, compose=lambda *xs: xs[0]),
            "a composite op defines compose only, not forward, partials or gradient",
        ),
    ],
)
def test_invalid_variadic_specs_are_refused(spec: Op, problem: str) -> None:
    with pytest.raises(InvalidOpError) as caught:
        validate(spec)
    assert str(caught.value) == f"op 'bad': {problem}"


def test_a_variadic_op_as_fixed_arity_repeats_its_group_domain() -> None:
    positive = Interval(0.0, math.inf, include_low=False)
    op = Op(
        "mix",
        1,
        variadic=2,
        forward=_sum,
        gradient=_ones,
        domain=(Interval(), positive, Interval()),
    )
    fixed = op.fixed(5)
    assert (fixed.arity, fixed.variadic) == (5, 0)
    assert fixed.domain == (Interval(), positive, Interval(), positive, Interval())
    with pytest.raises(ValueError, match=r"op 'mix' takes 1, 3, 5, \.\.\. inputs, not 4"):
        op.fixed(4)


def test_the_kit_checks_a_variadic_op_at_several_input_counts() -> None:
    report = contract_report(micrograd_ops.AFFINE, sampler="builtin")
    assert report.ok, str(report)
    # accumulation needs two inputs: skipped with one, run with three and seven
    assert report.result("accumulation").status == "passed"
    assert report.result("kinks").message == "the op declares no kinks"


def test_a_variadic_method_and_typed_function_take_one_input_or_more() -> None:
    method_total = replace(total, method="total")
    with temporary_ops(method_total):
        x = Value(2.0)
        alone = x.total()  # type: ignore[attr-defined]  # a plugin method
        typed = OpByName("total")(x)
        more = x.total(Value(3.0), 4)  # type: ignore[attr-defined]
        (alone + typed + more).backward()
    assert (alone.data, typed.data, more.data, x.grad) == (2.0, 2.0, 9.0, 3.0)
