"""The ``targets`` check: torch's and JAX's translations of an op's expressions give its floats."""

from __future__ import annotations

import math
import re
import sys

import pytest

from micrograd_core import Inline, Op
from micrograd_core.testing import contract_report, run_check
from micrograd_core.testing.targets import installed_targets

SQUARE = Op(
    "square",
    1,
    forward=lambda x: x * x,
    partials=(lambda x, out: 2 * x,),
    inline=Inline("x0 * x0", partials=("2 * x0",)),
)


def test_an_op_without_expressions_is_skipped() -> None:
    plain = Op("plain", 1, forward=lambda x: x * x, partials=(lambda x, out: 2 * x,))
    result = run_check(plain, "targets", sampler="builtin")
    assert (result.status, result.message) == (
        "skipped",
        "the op offers no expressions to translate",
    )


def test_without_torch_and_jax_the_check_says_what_to_install(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    for name in ("torch", "jax"):
        monkeypatch.setitem(sys.modules, name, None)  # not importable, installed or not
    assert installed_targets() == ()
    result = run_check(SQUARE, "targets", sampler="builtin")
    assert (result.status, result.message) == (
        "skipped",
        "neither torch nor jax is installed: pip install torch or jax to check them",
    )


@pytest.mark.skipif(not installed_targets(), reason="needs torch or jax")
def test_an_op_whose_targets_agree_passes() -> None:
    assert run_check(SQUARE, "targets", sampler="builtin").status == "passed"


@pytest.mark.parametrize("sampler", ["builtin", "hypothesis"])
def test_jax_s_float64_cosh_is_more_than_the_bound_from_libm_s(sampler: str) -> None:
    # A right op, and a real disagreement: XLA's float64 cosh and sinh are 8 ulps from
    # the C library's near x = 19.5, more than the 4 the check allows.
    jax = pytest.importorskip("jax")
    cosh = Op(
        "cosh",
        1,
        forward=math.cosh,
        partials=(lambda x, out: math.sinh(x),),
        inline=Inline("math.cosh(x0)", partials=("math.sinh(x0)",)),
    )
    before = jax.config.jax_enable_x64
    report = contract_report(cosh, sampler=sampler)  # type: ignore[arg-type]
    assert [r.check for r in report.failures] == ["targets"], str(report)
    message = report.result("targets").message
    assert re.match(
        r"jax: cosh's forward 'math\.cosh\(x0\)' at \(-?[\d.]+,\) is [\d.e+]+, the op's float "
        r"is [\d.e+]+ \(\d+ ulps apart; at most 4 expected\)",
        message,
    ), message
    assert message.endswith(
        "each target's translation of an expression must give the op's float, within 4 ulps"
    )
    assert jax.config.jax_enable_x64 == before  # float64 only while the check ran
