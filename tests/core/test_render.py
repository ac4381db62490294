"""Rendering an accepted expression for each target: Python floats, compiled loops, arrays."""

from __future__ import annotations

import ast
import math
from collections.abc import Callable

import numpy as np
import pytest
from hypothesis import assume, given, settings
from hypothesis import strategies as st

from micrograd_core.dialect import (
    FLOAT,
    JAX,
    LOOP,
    NUMPY,
    TORCH,
    Dialect,
    NotRenderableError,
    array_dialect,
    in_loop,
    render,
)
from micrograd_core.grammar import problem


@pytest.mark.parametrize(
    ("text", "floats", "loop", "numpy"),
    [
        ("math.tanh(x0)", "math.tanh(x0)", "math.tanh(b[a0])", "np.tanh(x0)"),
        ("1 - out**2", "1 - out ** 2", "1 - b[i] ** 2", "1 - out ** 2"),
        ("0.0 if x0 < 0 else x0", None, "0.0 if b[a0] < 0 else b[a0]", "np.where(x0 < 0, 0.0, x0)"),
        ("x0 if x1 else 2", None, "b[a0] if b[a1] else 2", "np.where(x1 != 0, x0, 2)"),
        ("x0 ** -x1", "x0 ** (-x1)", "b[a0] ** (-b[a1])", "x0 ** (-x1)"),
        ("(-x0) ** 2 - -x0 ** 2", None, "(-b[a0]) ** 2 - -b[a0] ** 2", "(-x0) ** 2 - -x0 ** 2"),
        ("(2 ** x0) ** x1 + 2 ** x0 ** x1", None, None, "(2 ** x0) ** x1 + 2 ** x0 ** x1"),
        ("x0 - (x1 - x0) / (x0 * x1)", None, None, "x0 - (x1 - x0) / (x0 * x1)"),
        ("math.atan2(x0, x1) * math.pi", None, None, "np.arctan2(x0, x1) * 3.141592653589793"),
        ("math.fabs(x0) + math.inf", None, None, "np.abs(x0) + np.inf"),
        ("math.pow(x0, 2)", None, None, "np.power(x0, 2)"),
        ("0 < x0 < 1", None, None, "np.logical_and(0 < x0, x0 < 1)"),
        ("not x0 > 0 or x1 > 0", None, None, "np.logical_or(np.logical_not(x0 > 0), x1 > 0)"),
        ("(not x0) * 2", None, None, "np.where(np.logical_not(x0), 1.0, 0.0) * 2 + 0.0"),
        ("(x0 if x1 else x0) + 1", None, None, "np.where(x1 != 0, x0, x0) + 1"),
    ],
)
def test_an_expression_renders_for_each_target(
    text: str, floats: str | None, loop: str | None, numpy: str
) -> None:
    assert render(text, FLOAT) == (floats or text)
    if loop is not None:
        assert render(text, LOOP) == loop
    assert render(text, NUMPY) == numpy


def test_array_dialects_name_their_modules_functions() -> None:
    text = "math.erf(x0) + math.atan(x0) + math.log1p(x0) + math.expm1(x0) + math.fabs(x0)"
    assert render(text, TORCH) == (
        "torch.special.erf(x0) + torch.atan(x0) + torch.log1p(x0) + torch.expm1(x0) + torch.abs(x0)"
    )
    assert render(text, JAX) == (
        "jax.scipy.special.erf(x0) + jnp.arctan(x0) + jnp.log1p(x0) + jnp.expm1(x0) + jnp.abs(x0)"
    )
    xp = array_dialect("xp", {"tanh": "xp.fast_tanh", "exp": None})
    assert render("math.tanh(x0) * math.copysign(x0, x1)", xp) == (
        "xp.fast_tanh(x0) * xp.copysign(x0, x1)"
    )
    with pytest.raises(NotRenderableError, match=r"^math\.exp has no xp counterpart"):
        render("math.exp(x0)", xp)


@pytest.mark.parametrize(
    ("text", "dialect", "problem"),
    [
        ("math.erf(x0)", NUMPY, r"math\.erf has no numpy counterpart; the numpy dialect refuses"),
        ("math.cbrt(x0)", TORCH, r"math\.cbrt has no torch counterpart"),
        ("math.log(x0, 2)", JAX, r"math\.log with 2 arguments has no jax counterpart"),
        ("math.isclose(x0, 1)", NUMPY, r"math\.isclose has no numpy counterpart"),
        ("x0 and x1", NUMPY, r"and of numbers gives one of them in Python"),
        ("1 if x0 or 1 else 0", TORCH, r"or of numbers gives one of them in Python"),
        ("0 < x0 + 1 < 2", NUMPY, r"middle operands: they must be names or numbers"),
        ("y + 1", FLOAT, r"^'y \+ 1' uses 'y'; it may use out"),
        ("math.system(x0)", LOOP, r"calls math\.system"),
        ("x0 ** 9 ** 9 ** 9", FLOAT, r"an integer that may have more than 4096 bits"),
    ],
)
def test_what_a_dialect_cannot_write_is_refused_by_name(
    text: str, dialect: Dialect, problem: str
) -> None:
    with pytest.raises(NotRenderableError, match=problem):
        render(text, dialect)


def test_a_deep_expression_renders_without_recursion() -> None:
    text = " + ".join(["x0"] * 480)
    assert render(text, LOOP) == " + ".join(["b[a0]"] * 480)
    nested = "-" * 490 + "x0"
    assert render(nested, FLOAT) == nested


def test_in_loop_gives_where_a_partial_already_is() -> None:
    assert (in_loop("out"), in_loop("(x1)"), in_loop("1"), in_loop("True")) == (-1, 1, 1.0, 1.0)
    assert in_loop("x1 * out") == "b[a1] * b[i]"


# -- random expressions of the accepted grammar -------------------------------------

LEAVES = st.sampled_from(
    ["x0", "x1", "out", "0", "1", "2", "0.5", "1e-3", "True", "math.pi", "math.e", "-0.0"]
)
# correctly rounded, as + - * /; ** and the others may differ in the last bit
EXACT = {1: ["sqrt", "fabs", "floor", "trunc"], 2: ["copysign", "fmod"]}
ROUNDED = {1: ["exp", "tanh", "sin", "cos", "log1p", "expm1", "atan"], 2: ["pow", "atan2"]}
BINARY = ["+", "-", "*", "/", "+", "-", "*", "**"]
COMPARE = ["<", "<=", ">", ">=", "==", "!="]


def _grammar(
    calls: dict[int, list[str]], *, logic: bool, power: bool
) -> Callable[[st.SearchStrategy[str]], st.SearchStrategy[str]]:
    def grown(parts: st.SearchStrategy[str]) -> st.SearchStrategy[str]:
        def call(arity: int) -> st.SearchStrategy[str]:
            names = st.sampled_from(calls[arity])
            args = st.lists(parts, min_size=arity, max_size=arity)
            return st.builds(lambda f, a: f"math.{f}({', '.join(a)})", names, args)

        arithmetic = [
            st.builds(lambda u, a: f"{u}{a}", st.sampled_from(["-", "+"]), parts),
            st.builds(lambda u, a: f"{u}({a})", st.sampled_from(["-", "+"]), parts),
            st.builds(
                lambda a, o, b: f"{a} {o} {b}",
                parts,
                st.sampled_from(BINARY if power else BINARY[:-1]),
                parts,
            ),
            st.builds(
                lambda a, o, b: f"({a} {o} {b})",
                parts,
                st.sampled_from(BINARY if power else BINARY[:-1]),
                parts,
            ),
            call(1),
            call(2),
        ]
        if not logic:
            return st.one_of(*arithmetic)
        compare = st.sampled_from(COMPARE)
        condition = st.builds(lambda a, o, b: f"({a} {o} {b})", parts, compare, parts)
        return st.one_of(
            *arithmetic,
            st.builds(lambda c, a, b: f"({a} if {c} else {b})", condition | parts, parts, parts),
            st.builds(lambda c, d: f"({c} and {d})", condition, condition),
            st.builds(lambda c, d: f"(not {c} or {d})", condition, condition),
            condition,
        )

    return grown


def _accepted(text: str) -> bool:
    """Whether the gate accepts ``text`` (the grammar above can grow an integer power
    the gate refuses, such as ``2 ** math.floor(x0)``)."""
    return problem(text, {"x0", "x1", "out"}) is None


ACCEPTED = st.recursive(
    LEAVES,
    _grammar({1: EXACT[1] + ROUNDED[1], 2: EXACT[2] + ROUNDED[2]}, logic=True, power=True),
    max_leaves=12,
).filter(_accepted)
EXACTLY_ROUNDED = st.recursive(
    LEAVES, _grammar(EXACT, logic=True, power=False), max_leaves=12
).filter(_accepted)
ARITHMETIC = st.recursive(LEAVES, _grammar(ROUNDED, logic=False, power=True), max_leaves=8).filter(
    _accepted
)


def _evaluate(source: str, **names: object) -> object:
    """What ``source`` gives with ``names`` (and math) in scope, or the type of its error."""
    try:
        return eval(source, {"math": math, "np": np, "__builtins__": {}}, names)
    except Exception as e:  # noqa: BLE001  (the outcome compared is the error's type)
        return type(e)


def _bits(x: object) -> object:
    return x.hex() if isinstance(x, float) else x


@settings(max_examples=300)
@given(text=ACCEPTED)
def test_every_dialect_writes_the_operations_python_parses(text: str) -> None:
    assume(len(text) < 2000)
    floats = render(text, FLOAT)
    # the same tree: the same operations in the same order, so the same floats
    assert ast.dump(ast.parse(floats, mode="eval")) == ast.dump(ast.parse(text, mode="eval"))
    loop = render(text, LOOP)
    renamed = loop.replace("b[a0]", "x0").replace("b[a1]", "x1").replace("b[i]", "out")
    assert ast.dump(ast.parse(renamed, mode="eval")) == ast.dump(ast.parse(floats, mode="eval"))
    for dialect in (NUMPY, TORCH, JAX):
        compile(render(text, dialect), "<rendered>", "eval")


POINTS = st.lists(st.floats(-5, 5) | st.sampled_from([0.0, -0.0, 1.0, 2.0]), min_size=3, max_size=3)


def _on_arrays(text: str, x0: list[float], x1: list[float]) -> list[tuple[float, float]]:
    """(numpy's, math's) number for each element where math gives a real number."""
    outs = [1.5, -0.25, 0.0]
    with np.errstate(all="ignore"):
        arrays = _evaluate(
            render(text, NUMPY), x0=np.array(x0), x1=np.array(x1), out=np.array(outs)
        )
    assume(not isinstance(arrays, type))  # a float's error is an array's inf or nan
    assume(np.asarray(arrays).dtype.kind != "c")  # (-1) ** 0.5 of numbers, not of arrays
    got = np.broadcast_to(np.asarray(arrays, dtype=float), (3,))
    source = render(text, FLOAT)
    pairs = []
    for k in range(3):
        want = _evaluate(source, x0=x0[k], x1=x1[k], out=outs[k])
        if isinstance(want, int | float) and not isinstance(want, type):
            pairs.append((float(got[k]), float(want)))  # else math raised, or gave a complex
    return pairs


@settings(max_examples=300)
@given(text=EXACTLY_ROUNDED, x0=POINTS, x1=POINTS)
def test_numpy_rendering_computes_maths_numbers_on_arrays(
    text: str, x0: list[float], x1: list[float]
) -> None:
    # arithmetic, comparisons, if-else, and/or/not and correctly rounded functions: the
    # same numbers, zeros of the same sign
    for got, want in _on_arrays(text, x0, x1):
        assert _same(got, want), text


def _same(got: float, want: float) -> bool:
    """The same float, a zero's sign included (NaN is NaN)."""
    if math.isnan(want):
        return math.isnan(got)
    return got == want and math.copysign(1.0, got) == math.copysign(1.0, want)


@pytest.mark.parametrize(
    "text",
    [
        "math.copysign(x0, math.floor(-x1))",  # numpy's floor(-0.0) is -0.0, math's the int 0
        "math.atan2(math.trunc(x1), -1.0)",
        "math.copysign(1.0, -(x0 > 1))",  # -False is the int 0
        "math.copysign(1.0, math.ceil(x1) * -3)",
        "-math.floor(x1)",
    ],
)
def test_an_int_zero_on_arrays_has_the_sign_of_pythons(text: str) -> None:
    x0, x1 = [-1.5, 2.0, -0.0], [0.0, 0.5, -0.25]
    got = _evaluate(render(text, NUMPY), x0=np.array(x0), x1=np.array(x1), out=None)
    source = render(text, FLOAT)
    want = [_evaluate(source, x0=a, x1=b, out=None) for a, b in zip(x0, x1, strict=True)]
    assert isinstance(got, np.ndarray), got
    assert all(_same(g, float(w)) for g, w in zip(got, want, strict=True)), (got, want)  # type: ignore[arg-type]


@settings(max_examples=200)
@given(text=ARITHMETIC, x0=POINTS, x1=POINTS)
def test_numpy_rendering_of_maths_functions_is_within_rounding(
    text: str, x0: list[float], x1: list[float]
) -> None:
    # numpy's own atan2, tanh, ... may round the last bit otherwise than the C library
    for got, want in _on_arrays(text, x0, x1):
        if math.isnan(want) or math.isinf(want):
            assert got == want or (math.isnan(got) and math.isnan(want)), text
        else:
            assert math.isclose(got, want, rel_tol=1e-9, abs_tol=1e-12), text
