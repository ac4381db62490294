"""translation_problems: each target's translation of an op gives the op's floats."""

from __future__ import annotations

import math

import pytest

from micrograd_core import Inline, Op, interop
from tests.interop.conftest import OPS

pytest.importorskip("torch")


@pytest.mark.parametrize("op", OPS, ids=lambda op: op.name)
def test_every_op_translates_to_its_own_floats(op: Op) -> None:
    assert interop.translation_problems(op) == []


def test_the_new_plugin_op_has_nothing_to_compare(cube: Op) -> None:
    assert interop.translation_problems(cube) == []


def test_an_expression_that_is_not_the_function_is_found() -> None:
    # the function says sin, the expression cos: every target computes the expression
    two_faced = Op(
        "two_faced",
        1,
        forward=math.sin,
        partials=(lambda x, out: math.cos(x),),
        inline=Inline("math.cos(x0)", partials=("math.cos(x0)",)),
    )
    problems = interop.translation_problems(two_faced, [(0.5,)], targets=("torch",))
    assert problems == [
        f"torch: two_faced's forward 'math.cos(x0)' at (0.5,) is {math.cos(0.5)!r}, the op's "
        f"float is "
        f"{math.sin(0.5)!r} (1.79e+15 ulps apart; at most 4 expected)"
    ]


def test_an_expression_a_target_lacks_is_a_problem() -> None:
    gamma = Op(
        "my_gamma",
        1,
        forward=math.gamma,
        partials=(lambda x, out: out,),
        inline=Inline("math.gamma(x0)", partials=("out",)),
    )
    (problem,) = interop.translation_problems(gamma, targets=("torch",))
    assert problem.startswith("torch: op 'my_gamma': its forward 'math.gamma(x0)' cannot be")
