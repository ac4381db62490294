"""One verdict whichever sampler runs: hypothesis or the built-in one pass and fail the same ops.

The broken-ops catalogue (test_broken_ops.py) is caught by the same check under
both samplers; here the ops that ship and the tutorials' ops get the same
verdict from both, and the ones that fail say so at the same special point.
"""

from __future__ import annotations

import micrograd_activations
import micrograd_softsign
import micrograd_trig
import pytest

import micrograd_ops
from micrograd_core import Op, OpRegistry, Provenance, Value, load_registry
from micrograd_core.testing import Reference, Sampler, contract_report

SAMPLERS: list[Sampler] = ["builtin", "hypothesis"]


def _logistic(x: Value) -> Value:
    return 1 / (1 + (-x).exp())


def _mean(x: Value, *rest: Value) -> Value:
    return sum(rest, x) / (1 + len(rest))


# The tutorials' ops, as the docs write them, and whether they meet the contract.
TUTORIALS = {
    # composite-ops.md: exp(-x) overflows at x = -1000, where logistic is 0 (the page says so)
    "logistic": (Op("logistic", 1, compose=_logistic), False),
    # composite-ops.md: no gradient at the origin, where both samplers look
    "hypot": (Op("hypot", 2, compose=lambda x, y: (x**2 + y**2) ** 0.5), False),
    "mean": (Op("mean", 1, variadic=1, compose=_mean), True),
    # first-op.md
    "cube": (Op("cube", 1, forward=lambda x: x**3, partials=(lambda x, out: 3 * x**2,)), True),
    # testing-ops.md's known points
    "cube-with-references": (
        Op("cube", 1, forward=lambda x: x**3, partials=(lambda x, out: 3 * x**2,)),
        True,
    ),
}
REFERENCES = {"cube-with-references": (Reference((2.0,), value=8.0, partials=(12.0,)),)}

SHIPPED = [
    *micrograd_ops.OPS,
    *micrograd_trig.OPS,
    *micrograd_activations.OPS,
    micrograd_softsign.SOFTSIGN,
]


@pytest.fixture(scope="module")
def everything() -> OpRegistry:
    """The built-in ops with both plugins' and the tutorials' plugin: what composites use."""
    registry = load_registry({"builtin": micrograd_ops}, environ={})
    return registry.with_ops(
        [*micrograd_trig.OPS, *micrograd_activations.OPS, micrograd_softsign.SOFTSIGN],
        Provenance("shipped"),
    )


@pytest.mark.parametrize("op", SHIPPED, ids=[op.name for op in SHIPPED])
def test_every_shipped_op_passes_under_both_samplers(op: Op, everything: OpRegistry) -> None:
    for sampler in SAMPLERS:
        report = contract_report(op, sampler=sampler, registry=everything)
        assert report.ok, str(report)


def _mul_wrong_left_of_minus_5(x: float, y: float, out: float) -> float:
    return x + (1e-3 if x < -5 else 0.0)


def _cube_wrong_between_minus_7_and_minus_5(x: float, out: float) -> float:
    return 3 * x * x * (1.01 if -7 < x < -5 else 1.0)


# Bugs in a region the built-in sampler's typical inputs meet: hypothesis tries them too.
REGIONAL = {
    "mul": Op(
        "mul",
        2,
        forward=lambda x, y: x * y,
        partials=(lambda x, y, out: y, _mul_wrong_left_of_minus_5),
    ),
    "cube": Op(
        "cube", 1, forward=lambda x: x**3, partials=(_cube_wrong_between_minus_7_and_minus_5,)
    ),
}


@pytest.mark.parametrize("name", REGIONAL)
def test_a_bug_the_builtin_sampler_meets_fails_under_both(name: str) -> None:
    reports = [contract_report(REGIONAL[name], sampler=s) for s in SAMPLERS]
    assert not reports[0].ok, str(reports[0])
    # the same checks fail at the same input, made as small as it goes
    assert reports[0].failures == reports[1].failures, "\n".join(map(str, reports))


@pytest.mark.parametrize("name", TUTORIALS)
def test_tutorial_ops_get_one_verdict(name: str, builtin_registry: OpRegistry) -> None:
    op, ok = TUTORIALS[name]
    reports = [
        contract_report(op, sampler=s, references=REFERENCES.get(name, ())) for s in SAMPLERS
    ]
    assert [r.ok for r in reports] == [ok, ok], "\n".join(map(str, reports))
    # a failure is met at the same input, a special point both samplers try first
    assert reports[0].failures == reports[1].failures
