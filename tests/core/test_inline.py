"""Inline expressions: what an op may offer compiled graphs, checked when it is registered."""

from __future__ import annotations

import pytest

import micrograd_ops
from micrograd_core import Inline, InvalidOpError, Op, temporary_ops
from micrograd_core.op import validate


def square(inline: object) -> Op:
    return Op(
        "square",
        1,
        forward=lambda x: x * x,
        partials=(lambda x, out: 2 * x,),
        inline=inline,  # type: ignore[arg-type]
    )


@pytest.mark.parametrize(
    ("inline", "problem"),
    [
        (Inline("x0 * x0", partials=("2 * x0",)), None),
        (Inline("x0 * x0", partials=("2 * out / x0 if x0 else 0.0",)), None),
        (Inline("math.hypot((x0, x0))", partials=("2.0",)), "may not use Tuple"),
        (
            Inline("x0 * y", partials=("2 * x0",)),
            "inline forward 'x0 \\* y': uses 'y'; it may use x0 and math",
        ),
        (Inline("x0 * out", partials=("2 * x0",)), "uses 'out'; it may use x0 and math"),
        (Inline("x0 *", partials=("2 * x0",)), "is not a Python expression"),
        (Inline("x0 * x0", partials=("2 * x0", "0.0")), "a tuple of 1 expressions, one per input"),
        (Inline("x0 * x0", partials=["2 * x0"]), "a tuple of 1 expressions"),  # type: ignore[arg-type]
        (Inline("(x0 := 2.0)", partials=("2 * x0",)), "may not use NamedExpr"),
        (Inline("(lambda: x0)()", partials=("2 * x0",)), "calls a Lambda; it may call math's public functions"),
        (Inline("x0.real", partials=("2 * x0",)), "may only read attributes of math"),
        (Inline("__import__('os')", partials=("2 * x0",)), "calls '__import__'; it may call math's public functions"),
        (Inline("x0 * 'a'", partials=("2 * x0",)), "may not use the constant 'a'"),
        (Inline(3, partials=("2 * x0",)), "inline forward must be a str"),  # type: ignore[arg-type]
        ("x0 * x0", "inline must be an Inline or a function of n, got 'str'"),
    ],
)
def test_inline_expressions_are_validated(inline: object, problem: str | None) -> None:
    op = square(inline)
    if problem is None:
        assert validate(op) is op
        return
    with pytest.raises(InvalidOpError, match=f"^op 'square': .*{problem}"):
        validate(op)


def total(inline: object) -> Op:
    return Op(
        "total",
        1,
        variadic=1,
        forward=lambda *xs: sum(xs, 0.0),
        gradient=lambda *xs: [1.0] * (len(xs) - 1),
        inline=inline,  # type: ignore[arg-type]
    )


def test_a_variadic_op_gives_its_expressions_per_number_of_inputs() -> None:
    def inline(n: int) -> Inline:
        return Inline(" + ".join(f"x{i}" for i in range(n)), partials=("1.0",) * n)

    op = validate(total(inline))
    assert op.inlined(3) == Inline("x0 + x1 + x2", partials=("1.0", "1.0", "1.0"))
    with pytest.raises(InvalidOpError, match="gives inline as a function of the number of inputs"):
        validate(total(Inline("x0", partials=("1.0",))))


def test_a_variadic_inline_that_fails_is_the_ops_error() -> None:
    def broken(n: int) -> Inline:
        if n > 2:
            msg = "too many"
            raise ValueError(msg)
        return Inline("x0 + x1", partials=("1.0", "1.0"))

    with pytest.raises(InvalidOpError, match=r"inline\(2\) raised ValueError: too many"):
        validate(total(lambda n: broken(n + 1)))
    with pytest.raises(InvalidOpError, match=r"inline\(2\) must return an Inline, got 'str'"):
        validate(total(lambda n: "x0 + x1"))
    op = validate(total(broken))  # fine at 2, the arity validation checks
    with pytest.raises(InvalidOpError, match=r"^op 'total': inline\(5\) raised ValueError"):
        op.inlined(5)


def test_a_composite_has_no_inline_expressions() -> None:
    op = Op("twice", 1, compose=lambda x: x + x, inline=Inline("x0 + x0", partials=("2.0",)))
    with pytest.raises(InvalidOpError, match="a composite op has no inline expressions"):
        validate(op)


def test_register_op_refuses_bad_inline_expressions() -> None:
    with (
        pytest.raises(InvalidOpError, match="uses 'y'"),
        temporary_ops(square(Inline("y", ("x0",)))),
    ):
        pass


def test_the_builtins_offer_inline_expressions_except_pow() -> None:
    offered = {op.name for op in micrograd_ops.OPS if op.inline is not None}
    assert offered == {op.name for op in micrograd_ops.OPS} - {"pow"}
    assert micrograd_ops.AFFINE.inlined(5) == Inline(
        "x0 + x1 * x2 + x3 * x4", partials=("1.0", "x2", "x1", "x4", "x3")
    )
