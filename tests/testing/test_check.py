"""Correct ops pass every check, whatever their shape; inputs come from where they should."""

from __future__ import annotations

import math

import pytest
from hypothesis import given

from micrograd_core import Interval, Kink, Op, OpRegistry
from micrograd_core.testing import (
    BOUND,
    CHECKS,
    Sampler,
    contract_report,
    run_check,
    sample_points,
    special_points,
)
from micrograd_core.testing.strategies import contract_settings, inputs

POSITIVE = Interval(0.0, math.inf, include_low=False)
UNIT = Interval(-1.0, 1.0, include_low=False, include_high=False)


# sigmoid, softplus and the like are checked in micrograd-activations' own tests.
GOOD = [
    Op("log", 1, forward=math.log, partials=(lambda x, out: 1 / x,), domain=(POSITIVE,)),
    Op("sqrt", 1, forward=math.sqrt, partials=(lambda x, out: 0.5 / out,), domain=(POSITIVE,)),
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
    ),
    Op(
        "fma",
        3,
        forward=lambda x, y, z: x * y + z,
        partials=(lambda x, y, z, out: y, lambda x, y, z, out: x, lambda x, y, z, out: 1.0),
    ),
    # Composites: the gradient is the engine's, through the built-in ops.
    Op("square", 1, compose=lambda x: x * x),
    Op("smoothstep", 1, compose=lambda x: 0.5 * (1 + (0.5 * x).tanh())),
    Op("sub", 2, compose=lambda x, y: x - y),
    Op("ratio", 2, compose=lambda x, y: x / y, domain=(Interval(), POSITIVE)),
]


BY_NAME = {op.name: op for op in GOOD}


@pytest.mark.parametrize("sampler", ["builtin", "hypothesis"])
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
