"""Inline expressions: what an op may offer compiled graphs, checked when it is registered."""

from __future__ import annotations

import functools
import gc
import math
import operator
import re
import sys
import threading
from collections.abc import Callable

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import micrograd_ops
from micrograd_core import (
    Inline,
    InvalidOpError,
    MicrogradError,
    Op,
    Value,
    apply,
    compile_graph,
    grammar,
    temporary_ops,
)
from micrograd_core.dialect import in_loop
from micrograd_core.op import replace, validate
from tests.helpers import run_switching_often


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
        (
            Inline("(lambda: x0)()", partials=("2 * x0",)),
            r"calls an expression \(Lambda\); it may call math's public functions",
        ),
        (Inline("x0.real", partials=("2 * x0",)), "may only read attributes of math"),
        (
            Inline("__import__('os')", partials=("2 * x0",)),
            "calls '__import__'; it may call math's public functions",
        ),
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


def test_the_builtins_offer_inline_expressions_except_pow_and_logsumexp() -> None:
    # logsumexp's shift by the largest of its inputs has no expression (no max)
    offered = {op.name for op in micrograd_ops.OPS if op.inline is not None}
    assert offered == {op.name for op in micrograd_ops.OPS} - {"pow", "logsumexp"}
    assert micrograd_ops.AFFINE.inlined(5) == Inline(
        "x0 + x1 * x2 + x3 * x4", partials=("1.0", "x2", "x1", "x4", "x3")
    )


# -- the gate: what it accepts compiles and runs, in bounded time and memory --------

MATH_NAMES = re.escape("it may call math's public functions (math.exp(x0)): acos, ")


def refusal(text: str, *, partial: bool = False) -> str:
    """Why ``text`` is refused as the forward (or the partial) of ``square``."""
    inline = Inline("x0 * x0", (text,)) if partial else Inline(text, ("2 * x0",))
    with pytest.raises(InvalidOpError) as e:
        validate(square(inline))
    return str(e.value)


@pytest.mark.parametrize(
    ("text", "problem"),
    [
        ("math", f"uses math itself; {MATH_NAMES}"),
        ("1" + "0" * 400, "may not use the constant 100000.*0, beyond the floats; numbers are"),
        ("1e400", "may not use the constant inf; numbers are ints and floats that are finite"),
        ("-1e400 * x0", "may not use the constant inf"),
    ],
)
def test_partials_that_broke_compiled_graphs_are_refused(text: str, problem: str) -> None:
    assert re.search(problem, refusal(text, partial=True))


def with_sum(terms: int, salt: int = 0) -> Op:
    """``x * terms`` with its partial as a sum of ``terms`` terms (``salt`` changes the
    partial's text, not its value: compiled loops are cached by their text)."""

    def d_many(x: float, out: float) -> float:
        return functools.reduce(operator.add, [math.exp(x - x)] * terms) + salt * 0.0

    partial = " + ".join(["math.exp(x0 - x0)"] * terms) + f" + {salt} * 0.0"
    return Op(
        "many",
        1,
        forward=lambda x: x * terms,
        partials=(d_many,),
        inline=Inline(f"x0 * {terms}", (partial,)),
    )


def test_a_long_sum_that_passes_compiles_and_replays() -> None:
    op = validate(with_sum(480))
    x = Value(0.25)
    compiled = compile_graph(apply(op, x) * x)
    for data in (0.5, -3.0, 1e-3):
        x.data, x.grad = data, 0.0
        fresh_x = Value(data)
        expected = apply(op, fresh_x) * fresh_x
        expected.backward()
        assert compiled.forward() == expected.data
        compiled.backward()
        assert x.grad == fresh_x.grad != 0.0


@pytest.mark.parametrize(
    ("text", "problem"),
    [
        ("-" * 100_000 + "x0", "is 100,002 characters long; an inline expression may have at most"),
        (" + ".join(["x0"] * 100_000), "characters long; an inline expression may have at most"),
        ("-" * 20_000 + "x0", r"cannot be parsed \(.*\); an inline expression is one line"),
        (" + ".join(["x0"] * 600), "is nested more than 500 deep; an inline expression may nest"),
        ("-" * 501 + "x0", "is nested more than 500 deep"),
        (" or ".join(["x0"] * 10_001), "has more than 10,000 parts .*; an inline expression may"),
        ("x0\0", "is not a Python expression"),
        ("x\u2080", "may use only ASCII characters"),
    ],
)
def test_huge_expressions_are_refused_before_they_exhaust_the_stack_or_memory(
    text: str, problem: str
) -> None:
    op = Op(
        "huge",
        1,
        forward=lambda x: x,
        partials=(lambda x, out: 1.0,),
        inline=Inline(text, ("1.0",)),
    )
    with (
        pytest.raises(InvalidOpError, match=f"^op 'huge': inline forward .*{problem}"),
        temporary_ops(op),
    ):
        pass


@pytest.mark.parametrize(
    ("text", "problem"),
    [
        ("math.__setattr__(math.__name__, x0)", f"calls math.__setattr__; {MATH_NAMES}"),
        (
            "math.__getattribute__(math.__name__)(x0)",
            rf"calls an expression \(Call\); {MATH_NAMES}",
        ),
        ("math.__name__", f"uses math.__name__; {MATH_NAMES}"),
        ("math.exp", f"uses math.exp without calling it; {MATH_NAMES}"),
        ("math.exp(x0)(x0)", rf"calls an expression \(Call\); {MATH_NAMES}"),
        ("math.factorial(x0)", f"calls math.factorial; {MATH_NAMES}"),
        ("math.frexp(x0)[0]", "may not use Subscript; an inline expression is made of numbers"),
        ("math.frexp(x0) * 2", f"calls math.frexp; {MATH_NAMES}"),
        ("math.log(x0, base=2)", "passes math.log keywords; it may pass arguments by position"),
        ("x0 << 2", "may not use the operator '<<'; it may use [+] - [*] / // % [*][*]"),
        ("~x0", "may not use the operator '~'; it may use -, [+] and not"),
        ("x0 is x0", "may not compare with 'is'; it may use < <= > >= == !="),
        ("abs(x0)", f"calls 'abs'; {MATH_NAMES}"),
    ],
)
def test_only_maths_public_functions_and_constants_may_be_named(text: str, problem: str) -> None:
    assert re.search(problem, refusal(text))
    assert math.__name__ == "math"


@pytest.mark.parametrize(
    "text",
    [
        "x0 ** 9 ** 9 ** 9",
        "x0 * 9 ** 9 ** 9",
        "x0 * (2 ** 10) ** 10 ** 3",
        "x0 + math.floor(x0) ** 5",
        "x0 ** ((x0 > 0) + (x0 > 1)) ** 10 ** 300",
    ],
)
def test_integer_arithmetic_that_could_grow_without_bound_is_refused(text: str) -> None:
    message = refusal(text)
    assert "an integer that may have more than 4096 bits; integer arithmetic" in message
    assert "write a float (9.0 ** 9) or a smaller power" in message


@pytest.mark.parametrize(
    "text",
    [
        "x0 ** 10 ** 300",  # a float to an int power: float arithmetic, bounded
        "x0 * 2 ** 1023",
        "(x0 > 0) ** 10 ** 300 * x0",  # a bool to any power is 0 or 1
        "x0 - math.floor(x0) ** 4",
        "x0 if math.isfinite(x0) else math.nan",
        "2 ** -1074 * x0",
    ],
)
def test_bounded_integer_arithmetic_passes(text: str) -> None:
    assert validate(square(Inline(text, ("2 * x0",)))) is not None


def at_depth(frames: int, call: Callable[[], object]) -> object:
    return at_depth(frames - 1, call) if frames > 0 else call()


def test_at_any_stack_depth_an_accepted_expression_replays_or_is_the_ops_error() -> None:
    """Python parses and compiles fewer levels the fuller the caller's stack: an
    accepted expression then either runs or is the op's InvalidOpError naming it."""
    depth = 0
    frame = sys._getframe()
    while frame.f_back is not None:
        frame, depth = frame.f_back, depth + 1
    room = sys.getrecursionlimit() - depth - 100  # what compile_graph itself needs
    outcomes: set[object] = set()
    for k, frames in enumerate(range(0, room, 10)):
        terms = 480
        op = with_sum(terms, salt=k)  # a new expression each time: compiled loops are cached
        x = Value(2.0)
        root = apply(op, x) * x

        def replay(root: Value = root, x: Value = x) -> float:
            compiled = compile_graph(root)
            x.data = 3.0
            return compiled.forward()

        try:
            outcomes.add(at_depth(frames, replay) == 3.0 * terms * 3.0)
        except InvalidOpError as e:
            outcomes.add(str(e).split(": ", 1)[0])
            # Python's parser or compiler ran out of stack: said so, naming the expression
            compiled_text = "passed the checks but cannot be compiled (RecursionError"
            parsed_text = "cannot be parsed (RecursionError"
            outcomes.add("" if compiled_text in str(e) or parsed_text in str(e) else str(e))
    assert True in outcomes
    assert outcomes <= {True, "op 'many'", ""}, outcomes


def test_the_builtin_and_plugin_ops_pass_the_gate() -> None:
    trig = pytest.importorskip("micrograd_trig")
    activations = pytest.importorskip("micrograd_activations")
    ops = [*micrograd_ops.OPS, *trig.OPS, *activations.OPS]
    offering = [op for op in ops if op.inline is not None]
    # pow, logsumexp and the composites silu, gelu offer none
    assert len(offering) >= len(ops) - 4
    for op in offering:
        assert validate(op) is op
        for n in range(op.arity, op.arity + 3 * op.variadic + 1, op.variadic or 1):
            inline = op.inlined(n)
            assert inline is not None
            for text in (inline.forward, *inline.partials):
                assert in_loop(text) is not None


# -- random expressions, valid and hostile -------------------------------------------

# Mostly what the gate accepts, with hostile parts mixed in (one in ten or so).
LEAVES = st.sampled_from(
    [
        *("x0", "x1", "x0", "x1", "x0", "x1", "out", "out", "math.pi", "math.inf", "math.nan"),
        *("0", "1", "2", "9", "10", "0.5", "-0.0", "1e308", "True", "2 ** 1023", "math.e"),
        *("math", "math.__name__", "math.exp", "'a'", "1e400", "9" * 400),
    ]
)
FUNCTIONS = st.sampled_from(
    [
        *("math.exp", "math.sqrt", "math.floor", "math.pow", "math.hypot", "math.tanh"),
        *("math.log", "math.isfinite", "math.trunc", "math.atan2", "math.ldexp", "math.sin"),
        *("math.factorial", "math.frexp", "math.__setattr__"),
    ]
)
BINARY = st.sampled_from(
    [
        *("+", "-", "*", "/", "//", "%", "**", "+", "-", "*", "/", "**"),
        *("<", "<=", "==", "!=", "and", "or", "<<", "is"),
    ]
)


def _expressions(parts: st.SearchStrategy[str]) -> st.SearchStrategy[str]:
    def wrap(text: str, bare: bool) -> str:
        return text if bare else f"({text})"

    unary = st.sampled_from(["-", "+", "not ", "-", "~"])
    return st.one_of(
        st.builds(lambda u, a, b: wrap(f"{u}{a}", b), unary, parts, st.booleans()),
        st.builds(lambda a, o, c, b: wrap(f"{a} {o} {c}", b), parts, BINARY, parts, st.booleans()),
        st.builds(lambda a, o, c, b: wrap(f"{a} {o} {c}", b), parts, BINARY, parts, st.booleans()),
        st.builds(lambda t, a, c: f"({a} if {t} else {c})", parts, parts, parts),
        st.builds(lambda f, a: f"{f}({', '.join(a)})", FUNCTIONS, st.lists(parts, max_size=3)),
        st.builds(lambda f, a: f"{f}({', '.join(a)})", FUNCTIONS, st.lists(parts, max_size=3)),
        st.builds(lambda a, b: f"{a}({b})", parts, parts),  # a call of anything
    )


EXPRESSIONS = st.recursive(LEAVES, _expressions, max_leaves=10)
NUMBERS = st.one_of(
    st.sampled_from([0.0, -0.0, 1.0, -1.0, 2.5, 1e308, -1e-320, math.inf, -math.inf, math.nan]),
    st.floats(-1e3, 1e3),
)


def _function(text: str, names: str) -> Callable[..., float]:
    """The accepted expression ``text`` as a plain Python function of ``names``."""
    scope: dict[str, object] = {"math": math, "__builtins__": {}}
    function: Callable[..., float] = eval(f"lambda {names}: (\n{text.strip()}\n)", scope)
    return function


def _outcome(run: Callable[[], object]) -> object:
    """What ``run`` gives: its float's bits, or the type of the error it raises."""
    try:
        got = run()
    except MicrogradError as e:
        return type(e)
    return [x.hex() if isinstance(x, float) else x for x in got] if isinstance(got, list) else got


@settings(max_examples=400)
@given(forward=EXPRESSIONS, partial=EXPRESSIONS, start=st.tuples(NUMBERS, NUMBERS),
       replay=st.tuples(NUMBERS, NUMBERS))  # fmt: skip
def test_random_expressions_are_refused_or_replay_as_the_ops_functions(
    forward: str, partial: str, start: tuple[float, float], replay: tuple[float, float]
) -> None:
    inline = Inline(forward, partials=(partial, "x0"))
    op = Op("expr", 2, forward=max, partials=(max, max), inline=inline)
    try:
        validate(op)
    except InvalidOpError:
        return
    op = replace(
        op,
        forward=_function(forward, "x0, x1"),
        partials=(_function(partial, "x0, x1, out"), _function("x0", "x0, x1, out")),
    )
    x, y = Value(start[0]), Value(start[1])
    try:
        root = apply(op, x, y)
    except MicrogradError:  # the op's forward fails here: no graph to compile
        return
    compiled = compile_graph(root)
    x.data, y.data = replay

    def engine() -> list[float]:
        a, b = Value(replay[0]), Value(replay[1])
        out = apply(op, a, b)
        out.backward()
        return [out.data, a.grad, b.grad]

    def replayed() -> list[float]:
        out = compiled.forward()
        x.grad = y.grad = 0.0
        compiled.backward()
        return [out, x.grad, y.grad]

    assert _outcome(replayed) == _outcome(engine)


@given(st.text(max_size=40) | st.text("x0ut+-*/%() .,<=>!ifelsnotadmh1e9\n#\\", max_size=40))
def test_any_text_is_refused_or_compiles(text: str) -> None:
    problem = grammar.problem(text, {"x0", "out"})
    if problem is not None:
        assert isinstance(problem, str)
        return
    loop = in_loop(text)
    if isinstance(loop, str):
        source = f"def kernel(b, rows):\n    for i, a0 in rows:\n        b[i] = {loop}\n"
        compile(source, "<test>", "exec")


class _Cycle:
    """Garbage that runs Python code when the collector frees it."""

    def __init__(self) -> None:
        self.me = self

    def __del__(self) -> None:
        sum(range(50))


def test_threads_parse_expressions_at_once() -> None:
    """CPython 3.11 keeps the depth of the tree it is building in one place per
    interpreter; a thread switch inside ``ast.parse`` (the collector running a
    ``__del__``) between threads at different stack depths made the gate raise
    ``SystemError: AST constructor recursion depth mismatch``."""
    text = " + ".join(f"math.tanh(x0 * {k} + ({k} - x0) ** 2)" for k in range(40))
    failures: list[str] = []

    def run(depth: int) -> None:
        if depth:
            return run(depth - 1)
        for _ in range(40):
            _Cycle()
            try:
                if grammar.problem(text, {"x0"}) is not None:
                    failures.append("refused")
            except SystemError as e:
                failures.append(repr(e))
                return
        return None

    thresholds = gc.get_threshold()
    gc.set_threshold(50, 1, 1)  # the collector runs often, and with it the __del__ above
    try:
        run_switching_often([threading.Thread(target=run, args=(7 * k,)) for k in range(4)])
    finally:
        gc.set_threshold(*thresholds)
    assert failures == []
