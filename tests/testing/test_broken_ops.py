"""The kit can fail: deliberately wrong ops, each caught by the check meant for it."""

from __future__ import annotations

import math
import random
import re
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import pytest

import micrograd_ops
from micrograd_core import Inline, Interval, Kink, Op, OpRegistry, Value, float_or_op
from micrograd_core.op import replace
from micrograd_core.testing import (
    CHECKS,
    ContractError,
    Reference,
    Sampler,
    check_op,
    contract_report,
)

POSITIVE = Interval(0.0, math.inf, include_low=False)


def _pow_grads(x: float, y: float, out: float) -> tuple[float, float]:
    # Both partials at once: d/dy needs log(x), so x ** 2 at x < 0 fails.
    return y * x ** (y - 1), out * math.log(x)


def _refuse_large(x: float) -> float:
    if abs(x) > 100:
        msg = "too large"
        raise RuntimeError(msg)
    return 2 * x


def _dot(*xs: float) -> float:
    pairs = iter(xs)
    return sum(a * b for a, b in zip(pairs, pairs, strict=True))


def _dot_swapped_partials(*xs_out: float) -> list[float]:
    # Each input's partial is its own value instead of its partner's.
    return list(xs_out[:-1])


def _dot_one_partial_short(*xs_out: float) -> list[float]:
    xs = xs_out[:-1]
    return [xs[i ^ 1] for i in range(len(xs) - 1)]


def _dot_left_to_right(*xs: float) -> float:
    r = xs[0] * xs[1]
    for i in range(2, len(xs), 2):
        r += xs[i] * xs[i + 1]
    return r


def _dot_gradient(*xs_out: float) -> list[float]:
    xs = xs_out[:-1]
    return [xs[i ^ 1] for i in range(len(xs))]


def _dot_summed_right_to_left(n: int) -> Inline:
    # Reals add in any order; floats do not: with 4 pairs the sum rounds differently.
    forward = " + ".join(f"x{i} * x{i + 1}" for i in reversed(range(0, n, 2)))
    return Inline(forward, partials=tuple(f"x{i ^ 1}" for i in range(n)))


def _cube_wrong_above_20(x: float, out: float) -> float:
    return 3 * x * x * (1.01 if x > 20 else 1.0)


def _cube_wrong_beyond_999(x: float, out: float) -> float:
    return 3 * x * x * (1.01 if abs(x) > 999 else 1.0)


def _cube_wrong_left_of_minus_5(x: float, out: float) -> float:
    return 3 * x * x * (1.01 if x < -5 else 1.0)


def _cube_wrong_between_minus_7_and_minus_5(x: float, out: float) -> float:
    # Typical inputs of the core meet it; hypothesis's own 50 draws may not.
    return 3 * x * x * (1.01 if -7 < x < -5 else 1.0)


def _mul_wrong_left_of_minus_5(x: float, y: float, out: float) -> float:
    # Off by 1e-3 where x < -5: beyond |x| = 10 that is inside the tolerance, so only
    # inputs in [-10, -5) show it to central differences.
    return x + (1e-3 if x < -5 else 0.0)


# An op whose gradient rule calls an op nobody registered: right on floats, and
# gradients of gradients need the missing op 'erf'.
_erf = float_or_op(math.erf, "erf")


def _erf_integral(x: float) -> float:
    return x * math.erf(x) + math.exp(-x * x) / math.sqrt(math.pi)


def _logistic(x: float) -> float:
    # exp(-x) overflows at x = -1000, where the logistic function is 0.
    return 1 / (1 + math.exp(-x))


def _cube_wrong_near_2(x: float, out: float) -> float:
    # Wrong on a sliver no sampler meets; a reference point at 2 does.
    return 3 * x * x + (1.0 if 1.999 < x < 2.001 else 0.0)


def _square_wrong_on_values(x: Any, out: Any) -> Any:
    # Right on floats (backward), wrong as a graph: d/dx of 2 * out is 4x, not 2.
    return 2 * x if type(x) is float else 2 * out


def _garbage(value: object) -> Callable[..., Any]:
    def returns(*args: float) -> Any:
        return value

    return returns


def _needs_a_sequence(x: float, out: float) -> float:
    return len(x)  # type: ignore[arg-type]  # raises TypeError: the bug on purpose


@dataclass(frozen=True)
class Broken:
    op: Op
    check: str  # the check meant to catch it
    message: str  # a regular expression its failure message matches
    also: frozenset[str] = frozenset()  # other checks that may fail too
    references: tuple[Reference, ...] = ()  # the known points the test gives


ANY = frozenset(CHECKS)  # an op returning garbage fails wherever it is evaluated
CUBE = "cube"
NOT_TO_THE_BIT = r"; an inline expression must give the same float as its function, to the last bit"
TARGETS_TOO = frozenset({"targets"})  # where torch or jax computes the wrong expression too


BROKEN = {
    "log-with-1/x**2": Broken(
        Op("log", 1, forward=math.log, partials=(lambda x, out: 1 / x**2,), domain=(POSITIVE,)),
        "finite_differences",
        r"partial 0: analytic \S+ \(the op's partial\) but numeric \S+ \(central difference, "
        r"step \S+\); they differ by \S+, more than the \S+ allowed",
        frozenset({"taylor", "large_inputs"}),
    ),
    "sin-sign-error": Broken(
        Op("sin", 1, forward=math.sin, partials=(lambda x, out: -math.cos(x),)),
        "taylor",
        r"partial 0: the odd Taylor remainder \|\(f\(x\+h\) - f\(x-h\)\)/2 - h\*d\| "
        r"shrinks like h\^1\.0\d",
        frozenset({"finite_differences", "large_inputs"}),
    ),
    "random-forward": Broken(
        Op(
            "jitter",
            1,
            forward=lambda x: x + random.gauss(0.0, 1e-3),
            partials=(lambda x, out: 1.0,),
        ),
        "forward",
        r"forward is not deterministic: \S+, then \S+ for the same input",
        frozenset({"finite_differences", "taylor", "engine", "large_inputs"}),
    ),
    "partial-needs-constant's-derivative": Broken(
        Op(
            "pow",
            2,
            forward=math.pow,
            partials=(
                lambda x, y, out: _pow_grads(x, y, out)[0],
                lambda x, y, out: _pow_grads(x, y, out)[1],
            ),
            domain=(POSITIVE, Interval()),
        ),
        "constants",
        r"with input 1 a constant, backward raised DomainError: .*math domain error.*; the op is "
        r"defined around this input along the inputs that need a gradient \(0\)",
    ),
    "square-wrong-second-order": Broken(
        Op("square", 1, forward=lambda x: x * x, partials=(_square_wrong_on_values,)),
        "second_order",
        r"d\(partial 0\)/d\(input 0\): analytic \S+ \(the partial's rule on Values\) but "
        r"numeric \S+",
    ),
    "wrong-arity": Broken(
        Op("hypot", 2, forward=math.hypot, partials=(lambda x, y, out: x / out,)),
        "metadata",
        r"op 'hypot': has arity 2 but 1 partials \(expected one per input\)",
    ),
    "relu-wrong-kink": Broken(
        Op(
            "relu",
            1,
            forward=lambda x: max(0.0, x),
            partials=(lambda x, out: 1.0 if x >= 0 else 0.0,),
            kinks=(Kink(at=(0.0,), partials=(0.0,)),),
        ),
        "kinks",
        r"at the kink \(0\.0,\), backward gives input 0 the gradient 1\.0, "
        r"but the op declares 0\.0",
    ),
    "exp-overflows-to-inf": Broken(
        # exp(x/2)**2 by a float product: inf at 1000, where exp itself raises DomainError.
        Op(
            "exp",
            1,
            forward=lambda x: math.exp(x / 2) * math.exp(x / 2),
            partials=(lambda x, out: out,),
        ),
        "large_inputs",
        r"returned the value inf; at large inputs inside its domain an op must give finite values",
    ),
    "raises-at-large-inputs": Broken(
        Op("double", 1, forward=_refuse_large, partials=(lambda x, out: 2.0,)),
        "large_inputs",
        r"gave RuntimeError: too large; at large inputs inside its domain an op must give finite "
        r"values and gradients, or raise DomainError when they leave the float range",
        # typical inputs beyond 100 meet it too
        frozenset({"second_order", "forward", "finite_differences", "taylor", "engine"}),
    ),
    "sigmoid-overflows-midway": Broken(
        # 1 / (1 + exp(-x)) overflows in exp at x = -1000 although sigmoid(-1000) is 0.
        Op("sigmoid", 1, compose=lambda x: 1 / (1 + (-x).exp())),
        "large_inputs",
        r"gave DomainError: .*, but it is no genuine overflow: the last input on the way there "
        r"with finite results, \(-709\.\d+,\), has a value and gradient of at most \S+e-3\d\d",
    ),
    "variadic-dot-swapped-partials": Broken(
        Op("dot", 2, variadic=2, forward=_dot, gradient=_dot_swapped_partials),
        "finite_differences",
        r"with 2 inputs: partial 0: analytic \S+ \(the op's partial\) but numeric \S+",
        frozenset({"taylor", "accumulation", "large_inputs"}),
    ),
    "variadic-dot-one-partial-short": Broken(
        Op("dot", 2, variadic=2, forward=_dot, gradient=_dot_one_partial_short),
        "finite_differences",
        r"with 2 inputs: gradient gave 1 partials for 2 inputs, expected one per input",
        # the engine refuses the gradient too, also on Values
        frozenset(
            {"taylor", "second_order", "engine", "constants", "accumulation", "large_inputs"}
        ),
    ),
    "cube-wrong-only-above-20": Broken(
        Op("cube", 1, forward=lambda x: x**3, partials=(_cube_wrong_above_20,)),
        "finite_differences",
        r"partial 0: analytic \S+ \(the op's partial\) but numeric \S+",
        frozenset({"taylor", "large_inputs"}),
    ),
    "cube-wrong-only-beyond-999": Broken(
        Op("cube", 1, forward=lambda x: x**3, partials=(_cube_wrong_beyond_999,)),
        "large_inputs",
        r"partial 0: analytic \S+ \(the op's partial\) but numeric \S+ .*\(at large inputs "
        r"gradients must be right too\)",
        frozenset({"finite_differences", "taylor"}),
    ),
    "cube-wrong-only-left-of-minus-5": Broken(
        Op("cube", 1, forward=lambda x: x**3, partials=(_cube_wrong_left_of_minus_5,)),
        "finite_differences",
        r"partial 0: analytic 109\.08 \(the op's partial\) but numeric 108",
        frozenset({"taylor", "large_inputs"}),
    ),
    "cube-wrong-only-between-minus-7-and-minus-5": Broken(
        Op("cube", 1, forward=lambda x: x**3, partials=(_cube_wrong_between_minus_7_and_minus_5,)),
        "finite_differences",
        r"partial 0: analytic \S+ \(the op's partial\) but numeric \S+",
        frozenset({"taylor"}),
    ),
    "mul-wrong-only-left-of-minus-5": Broken(
        Op(
            "mul",
            2,
            forward=lambda x, y: x * y,
            partials=(lambda x, y, out: y, _mul_wrong_left_of_minus_5),
        ),
        "finite_differences",
        r"partial 1: analytic -5\.\d+ \(the op's partial\) but numeric -5\.\d+",
        frozenset({"taylor"}),
    ),
    "second-order-needs-a-missing-op": Broken(
        Op("erfint", 1, forward=_erf_integral, partials=(lambda x, out: _erf(x),)),
        "second_order",
        r"the gradient rule on Values raised OpNotFoundError: no op named 'erf'",
    ),
    "logistic-overflows-midway": Broken(
        Op("logistic", 1, forward=_logistic, partials=(lambda x, out: out * (1 - out),)),
        "large_inputs",
        r"^gave an overflow computing logistic\(-1000\.0\) \(OverflowError: math range error\), "
        r"but it is no genuine overflow: the last input on the way there with finite results",
    ),
    "relu-kink-not-declared": Broken(
        # 0 is a special point: both samplers try it, and the kink there is not declared.
        Op("relu", 1, forward=lambda x: max(x, 0.0), partials=(lambda x, out: float(x > 0),)),
        "finite_differences",
        r"partial 0: analytic 0\.0 \(the op's partial\) but numeric 0\.5",
        frozenset({"second_order"}),  # the partial jumps there too
    ),
    "hypot-divides-by-zero-at-equal-inputs": Broken(
        # (0, 0) is both a special point and equal inputs; no kink is declared there.
        Op("hypot", 2, forward=math.hypot, partials=(lambda x, y, out: x / out,) * 2),
        "finite_differences",
        r"partial 0 raised ZeroDivisionError: float division by zero",
        frozenset({"second_order", "taylor", "engine", "constants", "accumulation"}),
    ),
    "composite-hypot-at-the-origin": Broken(
        # The composite-ops tutorial's hypot: d/dx (x**2 + y**2) ** 0.5 is 0 / 0 at (0, 0).
        Op("hypot", 2, compose=lambda x, y: (x**2 + y**2) ** 0.5),
        "finite_differences",
        r"the engine raised DomainError: pow: a partial derivative at \(0\.0, 0\.5\) is undefined",
        frozenset({"taylor", "engine", "constants", "accumulation"}),
    ),
    "cube-wrong-near-2-pinned": Broken(
        Op("cube", 1, forward=lambda x: x**3, partials=(_cube_wrong_near_2,)),
        "references",
        r"partial 0 is 13\.0 \(the op's partial\), but the reference says 12\.0",
        frozenset({"finite_differences", "taylor"}),  # the reference's input is tried first
        (Reference((2.0,), value=8.0, partials=(12.0,)),),
    ),
    "reference-with-the-wrong-value": Broken(
        Op("cube", 1, forward=lambda x: x**2, partials=(lambda x, out: 2 * x,)),
        "references",
        r"the value is 4\.0, but the reference says 8\.0 \(rtol 1e-09, atol 1e-12\)",
        references=(Reference((2.0,), value=8.0),),
    ),
    "forward-returns-complex": Broken(
        Op("sqrt", 1, forward=_garbage(1 + 1j), partials=(lambda x, out: 0.5,)),
        "forward",
        r"forward returned 'complex' \(\S+\), expected a float",
        ANY,
    ),
    "forward-returns-str": Broken(
        Op("name", 1, forward=_garbage("x"), partials=(lambda x, out: 1.0,)),
        "forward",
        r"forward returned 'str' \('x'\), expected a float",
        ANY,
    ),
    "forward-returns-none": Broken(
        Op("nothing", 1, forward=_garbage(None), partials=(lambda x, out: 1.0,)),
        "forward",
        r"forward returned 'NoneType' \(None\), expected a float",
        ANY,
    ),
    "forward-returns-list": Broken(
        Op("boxed", 1, forward=_garbage([1.0]), partials=(lambda x, out: 1.0,)),
        "forward",
        r"forward returned 'list' \(\[\S+\]\), expected a float",
        ANY,
    ),
    "partial-returns-complex": Broken(
        Op("ident", 1, forward=lambda x: x, partials=(_garbage(1j),)),
        "finite_differences",
        r"partial 0 returned 'complex' \(1j\), expected a real number",
        ANY,
    ),
    "partial-returns-none": Broken(
        Op("ident", 1, forward=lambda x: x, partials=(_garbage(None),)),
        "finite_differences",
        r"partial 0 returned 'NoneType' \(None\), expected a real number",
        ANY,
    ),
    "partial-returns-str": Broken(
        Op("ident", 1, forward=lambda x: x, partials=(_garbage("1.0"),)),
        "finite_differences",
        r"partial 0 returned 'str' \('1\.0'\), expected a real number",
        ANY,
    ),
    "gradient-returns-none": Broken(
        Op("plus", 2, forward=lambda x, y: x + y, gradient=_garbage(None)),
        "finite_differences",
        r"gradient returned 'NoneType' \(None\), expected a sequence of one partial per input",
        ANY,
    ),
    "partial-raises-type-error": Broken(
        Op("ident", 1, forward=lambda x: x, partials=(_needs_a_sequence,)),
        "finite_differences",
        r"partial 0 raised TypeError: object of type 'float' has no len\(\)",
        ANY,
    ),
    # Inline expressions right in exact arithmetic, or nearly right: compiled graphs
    # would replay them, and give other numbers than the engine.
    "tanh-inline-partial-rounds-differently": Broken(
        replace(
            micrograd_ops.TANH,
            inline=Inline("math.tanh(x0)", partials=("(1 - out) * (1 + out)",)),
        ),
        "inline",
        r"inline partial 0 '\(1 - out\) \* \(1 \+ out\)' gives \S+ \(0x1\.\S+\), but partial 0 "
        r"gives \S+ \(0x1\.\S+\)" + NOT_TO_THE_BIT,
    ),
    "exp-inline-forward-off-by-ulps": Broken(
        # math.e is e rounded, and e ** x carries that error: an ulp or two from exp(x).
        replace(micrograd_ops.EXP, inline=Inline("math.e ** x0", partials=("out",))),
        "inline",
        r"inline forward 'math\.e \*\* x0' gives \S+ \(0x1\.\S+\), but forward gives \S+ "
        r"\(0x1\.\S+\)" + NOT_TO_THE_BIT,
        TARGETS_TOO,
    ),
    "mul-inline-partials-swapped": Broken(
        # Right wherever x == y, such as at (0, 0), the first special point.
        replace(micrograd_ops.MUL, inline=Inline("x0 * x1", partials=("x0", "x1"))),
        "inline",
        r"inline partial 0 'x0' gives 0\.0 \(0x0\.0p\+0\), but partial 0 gives 1\.0 "
        r"\(0x1\.0000000000000p\+0\)" + NOT_TO_THE_BIT,
        TARGETS_TOO,
    ),
    "sub-inline-negates-the-other-difference": Broken(
        # -(y - x) is x - y but at x == y, where it is -0.0 and x - y is 0.0.
        Op(
            "sub",
            2,
            forward=lambda x, y: x - y,
            partials=(lambda x, y, out: 1.0, lambda x, y, out: -1.0),
            inline=Inline("-(x1 - x0)", partials=("1.0", "-1.0")),
        ),
        "inline",
        r"inline forward '-\(x1 - x0\)' gives -0\.0 \(-0x0\.0p\+0\), but forward gives 0\.0 "
        r"\(0x0\.0p\+0\)" + NOT_TO_THE_BIT,
    ),
    "log-inline-finite-where-log-raises": Broken(
        # Checked outside the domain too: at x = -1 log raises, its expression gives 0.0.
        replace(micrograd_ops.LOG, inline=Inline("math.log(math.fabs(x0))", partials=("1 / x0",))),
        "inline",
        r"inline forward 'math\.log\(math\.fabs\(x0\)\)' gives 0\.0 \(0x0\.0p\+0\), but forward "
        r"raises ValueError: math domain error; where a function raises, its expression must "
        r"raise or give a value that is not finite",
    ),
    "relu-inline-partial-wrong-at-the-kink": Broken(
        # Right everywhere but at 0, which the inline check tries because it is a kink.
        replace(
            micrograd_ops.RELU,
            inline=Inline("0.0 if x0 < 0 else x0", partials=("1.0 if x0 >= 0 else 0.0",)),
        ),
        "inline",
        r"inline partial 0 '1\.0 if x0 >= 0 else 0\.0' gives 1\.0 \(0x1\.0000000000000p\+0\), but "
        r"partial 0 gives 0\.0 \(0x0\.0p\+0\)" + NOT_TO_THE_BIT,
    ),
    "hypot-inline-partial-drops-the-guard-at-its-kink": Broken(
        Op(
            "hypot",
            2,
            forward=math.hypot,
            partials=(
                lambda x, y, out: x / out if out else 0.0,
                lambda x, y, out: y / out if out else 0.0,
            ),
            kinks=(Kink(at=(0.0, 0.0), partials=(0.0, 0.0)),),
            inline=Inline("math.hypot(x0, x1)", partials=("x0 / out", "x1 / out")),
        ),
        "inline",
        r"inline partial 0 'x0 / out' raised ZeroDivisionError: float division by zero, but "
        r"partial 0 gives 0\.0 \(0x0\.0p\+0\); an inline expression may raise only where its "
        r"function raises",
    ),
    "variadic-dot-inline-summed-in-another-order": Broken(
        Op(
            "dot",
            2,
            variadic=2,
            forward=_dot_left_to_right,
            gradient=_dot_gradient,
            inline=_dot_summed_right_to_left,
        ),
        "inline",
        r"with 8 inputs: inline forward 'x6 \* x7 \+ x4 \* x5 \+ x2 \* x3 \+ x0 \* x1' gives "
        r"\S+ \(\S+\), but forward gives \S+ \(\S+\)" + NOT_TO_THE_BIT,
        TARGETS_TOO,
    ),
    "composite-returns-a-float": Broken(
        Op("half", 1, compose=lambda x: x.data / 2),
        "forward",
        r"compose returned 'float', expected a Value",
        ANY,
    ),
}

SAMPLERS: list[Sampler] = ["builtin", "hypothesis"]


@pytest.mark.parametrize("sampler", SAMPLERS)
@pytest.mark.parametrize("case", BROKEN.values(), ids=BROKEN.keys())
def test_each_broken_op_is_caught_by_its_check(
    case: Broken, sampler: Sampler, micrograd_registry: OpRegistry
) -> None:
    report = contract_report(case.op, sampler=sampler, references=case.references)
    failed = {r.check for r in report.failures}
    assert case.check in failed, str(report)
    assert failed <= {case.check} | case.also, str(report)
    assert re.search(case.message, report.result(case.check).message), str(report)


def test_check_op_raises_one_error_listing_every_failure() -> None:
    log = BROKEN["log-with-1/x**2"].op
    with pytest.raises(ContractError) as caught:
        check_op(log, sampler="builtin")
    error = caught.value
    assert isinstance(error, AssertionError)
    assert error.op_name == "log"
    assert str(error).startswith("op 'log' failed 3 of 8 contract checks:\n")
    assert "\n- finite_differences at (1.0,): partial 0: analytic 1.0" not in str(error)
    assert "\n- finite_differences at (0.001,): partial 0: analytic 1000000.0" in str(error)
    assert "\n- taylor at (0.001,): partial 0: the odd Taylor remainder" in str(error)
    assert "\n- large_inputs at (1000.0,): partial 0: analytic 1e-06" in str(error)
    assert [r.check for r in error.report.failures] == [
        "finite_differences",
        "taylor",
        "large_inputs",
    ]


@pytest.mark.parametrize("sampler", SAMPLERS)
def test_the_failing_input_reported_is_the_smallest_one_tried(sampler: Sampler) -> None:
    # Right below 3.3, wrong above: the failing input reported is the smallest above it.
    cube = Op("cube", 1, forward=lambda x: x**3, partials=(lambda x, out: 3 * x * x + (x > 3.3),))
    result = contract_report(cube, checks=["finite_differences"], sampler=sampler)
    (failure,) = result.failures
    assert failure.inputs == (4.0,)


@pytest.mark.parametrize("sampler", SAMPLERS)
def test_a_bug_far_from_zero_is_reported_where_it_starts(sampler: Sampler) -> None:
    # Wrong only for x < -5, met first at a large input: reported at -6, not at -1e6.
    cube = BROKEN["cube-wrong-only-left-of-minus-5"].op
    report = contract_report(cube, checks=["finite_differences", "taylor"], sampler=sampler)
    assert [r.inputs for r in report.failures] == [(-6.0,), (-6.0,)], str(report)


def test_hypothesis_runs_are_derandomised() -> None:
    def run() -> object:
        bent = Op("bent", 1, forward=math.sin, partials=(lambda x, out: math.cos(x) + x * 1e-3,))
        return contract_report(bent, sampler="hypothesis").failures

    assert run() == run()


@pytest.mark.parametrize("sampler", SAMPLERS)
def test_the_taylor_verdict_sees_errors_below_the_difference_tolerance(sampler: Sampler) -> None:
    # Off by 1e-7 relative, far inside rtol = 1e-4: the remainder still shrinks like h.
    slightly = Op("sin", 1, forward=math.sin, partials=(lambda x, out: math.cos(x) * (1 + 1e-7),))
    report = contract_report(slightly, checks=["finite_differences", "taylor"], sampler=sampler)
    assert [r.status for r in report.results] == ["passed", "failed"], str(report)
    assert re.search(
        r"shrinks like h\^1\.0\d .* is off by about \S+e-0[78]\)", report.failures[0].message
    )


def test_a_right_partial_passes_the_taylor_verdict_however_steep() -> None:
    steep = Op("steep", 1, forward=lambda x: x**10, partials=(lambda x, out: 10 * x**9,))
    assert contract_report(steep, checks=["taylor"], sampler="builtin", bound=100.0).ok


def test_a_composite_that_cuts_the_graph_is_caught(micrograd_registry: OpRegistry) -> None:
    detached = Op("tanh2", 1, compose=lambda x: Value(math.tanh(x.data)))
    report = contract_report(detached, sampler="builtin")
    assert [r.check for r in report.failures] == ["finite_differences", "taylor"]
    assert "(the engine's gradient through the composed ops)" in report.failures[0].message
