"""Correct ops pass every check, whatever their shape; inputs come from where they should."""

from __future__ import annotations

import math

import pytest
from hypothesis import given

from micrograd_core import Inline, Interval, Kink, Op, OpRegistry
from micrograd_core.testing import (
    BOUND,
    CHECKS,
    CheckFailure,
    Sampler,
    check_inline,
    contract_report,
    run_check,
    sample_points,
    special_points,
)
from micrograd_core.testing.strategies import contract_settings, inputs

POSITIVE = Interval(0.0, math.inf, include_low=False)
UNIT = Interval(-1.0, 1.0, include_low=False, include_high=False)


# sigmoid and the like are checked in micrograd-activations' own tests.
GOOD = [
    Op("log", 1, forward=math.log, partials=(lambda x, out: 1 / x,), domain=(POSITIVE,)),
    Op(
        "sqrt",
        1,
        forward=math.sqrt,
        partials=(lambda x, out: 0.5 / out,),
        domain=(POSITIVE,),
        inline=Inline("math.sqrt(x0)", partials=("0.5 / out",)),
    ),
    Op("atanh", 1, forward=math.atanh, partials=(lambda x, out: 1 / (1 - x * x),), domain=(UNIT,)),
    Op(
        "abs",
        1,
        forward=abs,
        partials=(lambda x, out: math.copysign(1.0, x) if x else 0.0,),
        kinks=(Kink(at=(0.0,), partials=(0.0,)),),
    ),
    Op(
        "atan2",
        2,
        forward=math.atan2,
        partials=(lambda y, x, out: x / (x * x + y * y), lambda y, x, out: -y / (x * x + y * y)),
        domain=(POSITIVE, POSITIVE),
    ),
    Op(
        "hypot",
        2,
        forward=math.hypot,
        partials=(
            lambda x, y, out: x / out if out else 0.0,
            lambda x, y, out: y / out if out else 0.0,
        ),
        kinks=(Kink(at=(0.0, 0.0), partials=(0.0, 0.0)),),
        inline=Inline(
            "math.hypot(x0, x1)", partials=("x0 / out if out else 0.0", "x1 / out if out else 0.0")
        ),
    ),
    Op(
        "fma",
        3,
        forward=lambda x, y, z: x * y + z,
        partials=(lambda x, y, z, out: y, lambda x, y, z, out: x, lambda x, y, z, out: 1.0),
        inline=Inline("x0 * x1 + x2", partials=("x1", "x0", "1")),  # the int 1 is 1.0
    ),
    Op(
        "ramp",
        1,
        forward=lambda x: 0.0 if x < 0 else x,
        partials=(lambda x, out: 0.0 if out <= 0 else 1.0,),
        kinks=(Kink(at=(0.0,), partials=(0.0,)),),
        inline=Inline("0 if x0 < 0 else x0", partials=("0 if out <= 0 else 1",)),
    ),
    # Composites: the gradient is the engine's, through the built-in ops.
    Op("square", 1, compose=lambda x: x * x),
    Op("smoothstep", 1, compose=lambda x: 0.5 * (1 + (0.5 * x).tanh())),
    Op("sub", 2, compose=lambda x, y: x - y),
    Op("ratio", 2, compose=lambda x, y: x / y, domain=(Interval(), POSITIVE)),
]


BY_NAME = {op.name: op for op in GOOD}


SAMPLERS: list[Sampler] = ["builtin", "hypothesis"]


@pytest.mark.parametrize("sampler", SAMPLERS)
@pytest.mark.parametrize("op", GOOD, ids=[op.name for op in GOOD])
def test_correct_ops_meet_the_contract(
    op: Op, sampler: Sampler, micrograd_registry: OpRegistry
) -> None:
    report = contract_report(op, sampler=sampler, examples=25)
    assert report.ok, str(report)
    assert report.sampler == sampler


def test_checks_that_do_not_apply_are_skipped_with_a_reason() -> None:
    report = contract_report(BY_NAME["log"], sampler="builtin", examples=5)
    assert report.result("accumulation").status == "skipped"
    assert report.result("accumulation").message == "needs arity >= 2"
    assert report.result("kinks").message == "the op declares no kinks"
    assert report.result("inline").message == "the op offers no inline expressions"
    assert [r.check for r in report.results] == list(CHECKS)
    assert str(report).startswith("op 'log' meets the contract (builtin inputs)\npassed: metadata,")


def test_an_unknown_check_or_sampler_says_what_exists() -> None:
    with pytest.raises(KeyError, match=r"no contract check named 'tailor'; checks: metadata, "):
        run_check(BY_NAME["log"], "tailor")
    with pytest.raises(ValueError, match=r"unknown sampler 'random'; expected 'auto', "):
        contract_report(BY_NAME["log"], sampler="random")  # type: ignore[arg-type]
    with pytest.raises(TypeError, match=r"the contract checks take an Op, got 'builtin_function"):
        contract_report(math.sin)  # type: ignore[arg-type]


@pytest.mark.parametrize("op", GOOD, ids=[op.name for op in GOOD])
def test_the_builtin_sampler_is_deterministic_and_stays_in_the_domain(op: Op) -> None:
    points = sample_points(op, 40)
    assert points == sample_points(op, 40)
    specials = special_points(op)
    assert points[: len(specials)] == specials
    assert len(points) == len(specials) + 40
    for xs in points:
        assert all(x in op.input_domain(i) for i, x in enumerate(xs))
        assert all(
            max(abs(x - k) for x, k in zip(xs, kink.at, strict=True)) >= 1e-3 for kink in op.kinks
        )


def test_constants_are_also_tried_outside_the_domain() -> None:
    # x ** 2 must differentiate at x < 0: the constants check looks there too.
    points = sample_points(BY_NAME["log"], 40, within_domain=False)
    assert any(x < 0 for (x,) in points)
    assert all(abs(x) >= 1e-3 for (x,) in points)  # clear of the domain's end at 0


@contract_settings(examples=100)
@given(inputs(BY_NAME["atanh"]))
def test_strategies_draw_from_the_domain_clear_of_its_ends(xs: tuple[float, ...]) -> None:
    (x,) = xs
    assert -0.999 <= x <= 0.999


@contract_settings(examples=100)
@given(inputs(BY_NAME["hypot"]))
def test_strategies_keep_clear_of_kinks(xs: tuple[float, ...]) -> None:
    assert max(abs(x) for x in xs) >= 1e-3


@pytest.mark.parametrize("op", GOOD, ids=[op.name for op in GOOD])
def test_typical_inputs_reach_large_magnitudes_inside_the_domain(op: Op) -> None:
    points = sample_points(op, 50)
    largest = max(max(map(abs, xs)) for xs in points)
    assert largest >= (1e3 if op.name != "atanh" else 0.99)  # atanh's domain ends at 1
    assert largest <= BOUND
    assert max(max(map(abs, xs)) for xs in sample_points(op, 50, bound=100.0)) <= 100.0


def test_special_points_hold_zero_ones_domain_ends_kink_neighbours_and_equal_inputs() -> None:
    assert special_points(BY_NAME["log"]) == [(1.0,), (0.001,)]
    assert special_points(BY_NAME["atanh"]) == [(0.0,), (-0.999,), (0.999,)]
    assert special_points(BY_NAME["abs"]) == [(1.0,), (-1.0,), (0.002,), (-0.002,)]
    hypot = special_points(BY_NAME["hypot"])
    assert (0.0, 0.0) not in hypot  # the declared kink itself: the kinks check's business
    assert {(0.002, 0.0), (0.0, -0.002), (0.002, 0.002), (-0.002, -0.002)} <= set(hypot)
    assert {(1.0, 1.0), (-1.0, -1.0)} <= set(hypot)  # equal inputs
    square = Op("sub", 2, forward=lambda x, y: x - y, partials=(lambda *_: 1.0, lambda *_: -1.0))
    assert (0.0, 0.0) in special_points(square)


@pytest.mark.parametrize("sampler", ["builtin", "hypothesis"])
def test_the_bound_limits_where_a_large_input_bug_is_seen(sampler: Sampler) -> None:
    wrong_above_500 = Op(
        "cube", 1, forward=lambda x: x**3, partials=(lambda x, out: 3 * x * x * (1 + (x > 500)),)
    )
    checks = ["finite_differences", "large_inputs"]
    wide = contract_report(wrong_above_500, checks=checks, sampler=sampler)
    assert [r.status for r in wide.results] == ["failed", "failed"], str(wide)
    narrow = contract_report(wrong_above_500, checks=checks, sampler=sampler, bound=100.0)
    # typical inputs stay below 100; large_inputs still tries 1000
    assert [r.status for r in narrow.results] == ["passed", "failed"], str(narrow)
    with pytest.raises(ValueError, match=r"bound must be a positive finite number, got -1\.0"):
        contract_report(wrong_above_500, bound=-1.0)


def test_large_inputs_checks_gradients_with_a_relative_tolerance(
    micrograd_registry: OpRegistry,
) -> None:
    # x**3 at 1e6 is 1e18: an absolute tolerance would drown in rounding, a relative one does not.
    cube = Op("cube", 1, forward=lambda x: x**3, partials=(lambda x, out: 3 * x * x,))
    assert contract_report(cube, checks=["large_inputs"], sampler="builtin").ok
    off = Op("cube", 1, forward=lambda x: x**3, partials=(lambda x, out: 3.001 * x * x,))
    report = contract_report(off, checks=["large_inputs"], sampler="builtin")
    assert report.failures[0].inputs == (-1000.0,), str(report)


def test_inline_expressions_are_compared_bit_for_bit() -> None:
    # x + 0.0 is x for every float but -0.0, which it turns into 0.0; NaN is NaN.
    ident = Op(
        "ident",
        1,
        forward=lambda x: x,
        partials=(lambda x, out: 1.0,),
        inline=Inline("x0 + 0.0", partials=("1.0",)),
    )
    check_inline(ident, (1.5,))
    check_inline(ident, (math.nan,))
    with pytest.raises(
        CheckFailure,
        match=r"^inline forward 'x0 \+ 0\.0' gives 0\.0 \(0x0\.0p\+0\), but forward gives -0\.0 "
        r"\(-0x0\.0p\+0\); an inline expression must give the same float as its function",
    ):
        check_inline(ident, (-0.0,))


@pytest.mark.parametrize(
    ("below_zero", "ok"),
    [
        ("math.sqrt(x0)", True),  # raises where math.sqrt raises
        ("math.nan if x0 < 0 else math.sqrt(x0)", True),  # not finite
        ("x0 ** 0.5 if x0 < 0 else math.sqrt(x0)", True),  # a complex: no float at all
        ("0.0 if x0 < 0 else math.sqrt(x0)", False),  # a finite float where sqrt has none
    ],
)
def test_where_a_function_raises_its_expression_raises_or_gives_no_finite_float(
    below_zero: str, ok: bool
) -> None:
    sqrt = Op(
        "sqrt",
        1,
        forward=math.sqrt,
        partials=(lambda x, out: 0.5 / out,),
        domain=(POSITIVE,),
        inline=Inline(below_zero, partials=("0.5 / out",)),
    )
    # The inline check samples outside the domain too.
    for sampler in SAMPLERS:
        result = run_check(sqrt, "inline", sampler=sampler)
        assert result.status == ("passed" if ok else "failed"), result
    if not ok:
        assert result.inputs == (-1.0,)
        assert result.message.endswith(
            "but forward raises ValueError: math domain error; where a function raises, its "
            "expression must raise or give a value that is not finite"
        )


def test_a_variadic_op_is_checked_with_its_expressions_for_each_number_of_inputs() -> None:
    def inline(n: int) -> Inline:
        forward = " + ".join(f"x{i}" for i in range(n)) if n < 4 else "0.0"
        return Inline(forward, partials=("1.0",) * n)

    total = Op(
        "total",
        1,
        variadic=1,
        forward=lambda *xs: sum(xs[1:], xs[0]),
        gradient=lambda *xs: [1.0] * (len(xs) - 1),
        inline=inline,
    )
    result = run_check(total, "inline", sampler="builtin")
    assert result.message.startswith("with 4 inputs: inline forward '0.0' gives 0.0"), result


def _log_refusing_large(x: float) -> float:
    # Inside its declared domain, it refuses large inputs with a math domain error.
    return math.log(x) if x < 500 else math.sqrt(-x)


def test_an_overflow_is_worded_as_one_and_a_domain_error_as_the_domain() -> None:
    logistic = Op(
        "logistic",
        1,
        forward=lambda x: 1 / (1 + math.exp(-x)),
        partials=(lambda x, out: out * (1 - out),),
    )
    overflow = run_check(logistic, "large_inputs")
    assert overflow.message.startswith(
        "gave an overflow computing logistic(-1000.0) (OverflowError: math range error), but "
    ), overflow
    assert "domain (" not in overflow.message
    declared = Op(
        "log", 1, forward=_log_refusing_large, partials=(lambda x, out: 1 / x,), domain=(POSITIVE,)
    )
    refused = run_check(declared, "large_inputs")
    assert refused.message.startswith(
        "gave DomainError: log(1000.0) is outside the op's domain (math domain error); declared "
        "domain: input 0 in "
    ), refused


@pytest.mark.parametrize("raised", [SystemExit(3), GeneratorExit()])
def test_an_op_raising_a_base_exception_fails_the_check_and_nothing_escapes(
    raised: BaseException,
) -> None:
    def forward(x: float) -> float:
        raise raised

    stop = Op("stop", 1, forward=forward, partials=(lambda x, out: 1.0,))
    result = run_check(stop, "forward")
    assert result.status == "failed"
    assert type(raised).__name__ in result.message
