"""An op that states its math once, as expressions: the functions derived from them."""

from __future__ import annotations

import math

import pytest

from micrograd_core import (
    DomainError,
    Inline,
    InvalidOpError,
    NotDifferentiableError,
    Op,
    Value,
    apply,
    compile_graph,
    float_or_op,
    grammar,
    hessian,
    temporary_ops,
)
from micrograd_core.derivation import derived_source, is_derived
from micrograd_core.functional import supports_higher_order
from micrograd_core.op import validate

POINTS = [0.0, -0.0, 0.3, -1.7, 2.5, 40.0, -1e-300, 1e300, math.inf, -math.inf, math.nan]

SIN = Op("sin", 1, inline=Inline("math.sin(x0)", partials=("math.cos(x0)",)), method="sin")
COS = Op("cos", 1, inline=Inline("math.cos(x0)", partials=("-math.sin(x0)",)), method="cos")

# the same ops written by hand, as plugins wrote them before
_cos_rule = float_or_op(math.cos, "cos")
_sin_rule = float_or_op(math.sin, "sin")
SIN_BY_HAND = Op("sin", 1, forward=math.sin, partials=(lambda x, out: _cos_rule(x),), method="sin")
COS_BY_HAND = Op("cos", 1, forward=math.cos, partials=(lambda x, out: -_sin_rule(x),), method="cos")


def _bits(x: float) -> str:
    return x.hex()


@pytest.mark.parametrize(
    ("text", "partial", "forward_by_hand", "partial_by_hand"),
    [
        ("math.tanh(x0)", "1 - out**2", math.tanh, lambda x, out: 1 - out**2),
        ("math.sin(x0)", "math.cos(x0)", math.sin, lambda x, out: math.cos(x)),
        (
            "1 / (1 + math.exp(-x0)) if x0 >= 0 else math.exp(x0) / (1 + math.exp(x0))",
            "out * (1 - out)",
            lambda x: 1 / (1 + math.exp(-x)) if x >= 0 else math.exp(x) / (1 + math.exp(x)),
            lambda x, out: out * (1 - out),
        ),
        ("0.0 if x0 < 0 else x0", "0.0 if out <= 0 else 1.0", lambda x: 0.0 if x < 0 else x,
         lambda x, out: 0.0 if out <= 0 else 1.0),
    ],
)  # fmt: skip
def test_the_derived_functions_give_the_hand_written_floats(
    text: str,
    partial: str,
    forward_by_hand: object,
    partial_by_hand: object,
) -> None:
    op = Op("derived", 1, inline=Inline(text, partials=(partial,)))
    assert validate(op) is op
    assert is_derived(op.partials[0])
    assert callable(forward_by_hand)
    assert callable(partial_by_hand)
    for x in POINTS:
        out = _outcome(op.forward, x)
        assert out == _outcome(forward_by_hand, x)
        if isinstance(out, str):
            y = float.fromhex(out)
            assert _outcome(op.partials[0], x, y) == _outcome(partial_by_hand, x, y)


def _outcome(function: object, *args: float) -> object:
    """What ``function`` gives: its float's bits, or the type of what it raised."""
    assert callable(function)
    try:
        return _bits(function(*args))
    except Exception as e:  # noqa: BLE001  (compared by type)
        return type(e)


def test_functions_given_by_hand_are_kept_and_only_the_missing_ones_derived() -> None:
    def forward(x: float) -> float:
        return x * x

    op = Op("square", 1, forward=forward, inline=Inline("x0 * x0", partials=("2 * x0",)))
    assert op.forward is forward
    assert is_derived(op.partials[0])
    assert op.partials[0](3.0, 9.0) == 6.0
    assert not is_derived(forward)


def test_the_derived_source_checks_overflow_and_branches_for_values() -> None:
    source = derived_source("sin", Inline("math.sin(x0)", partials=("math.cos(x0)",)))
    assert source.splitlines() == [
        "forward = math.sin",  # finite for every input it accepts: the function itself
        "",
        "def partial_0(x0, out):",
        "    if type(out) is float:",
        "        return math.cos(x0)",
        "    return values_0.cos(x0)",
    ]
    assert SIN.forward is math.sin
    # arithmetic may overflow to an infinity silently: checked
    assert derived_source("m", Inline("x0 * x1", partials=("x1", "x0"))).splitlines()[:6] == [
        "def forward(x0, x1):",
        "    try:",
        "        r = x0 * x1",
        "    except OverflowError:",
        "        overflowed('m', x0, x1)",
        "    return r if r - r == 0.0 else not_finite('m', r, x0, x1)",
    ]
    # math's functions and ** raise OverflowError: only that is caught
    assert derived_source("e", Inline("math.exp(-x0)", partials=("-out",))).splitlines()[:6] == [
        "def forward(x0):",
        "    try:",
        "        r = math.exp(-x0)",
        "    except OverflowError:",
        "        overflowed('e', x0)",
        "    return r",
    ]
    # an expression is written as it is, once it is one line of code
    spaced = derived_source("p", Inline(" (math.tanh( x0 ))", partials=("1 - out**2",)))
    assert spaced.splitlines()[:4] == [
        "forward = math.tanh",
        "",
        "def partial_0(x0, out):",
        "    return 1 - out**2",
    ]
    split = derived_source("q", Inline("(x0 +  # plus\n x0)", partials=("2",)))
    assert split.splitlines()[2:4] == ["        r = (x0 +  # plus", " x0)"]
    q = Op("q", 1, inline=Inline("(x0 +  # plus\n x0)", partials=("2",)))
    assert q.forward(1.5) == 3.0  # type: ignore[misc]


@pytest.mark.parametrize(
    ("inline", "inputs", "message"),
    [
        (Inline("math.exp(x0)", partials=("out",)), (1000.0,), r"^e\(1000\.0\) overflows a float"),
        (Inline("x0 * x1", partials=("x1", "x0")), (1e200, 1e200), r"^e\(1e\+200, 1e\+200\) overf"),
        (Inline("math.log(x0)", partials=("1 / x0",)), (0.0,), r"^e\(0\.0\) is outside the op's"),
        (Inline("x0 / x1", partials=("1 / x1", "-out / x1")), (1.0, 0.0), r"^e\(1\.0, 0\.0\) is"),
    ],
)
def test_a_derived_forward_raises_the_engines_errors(
    inline: Inline, inputs: tuple[float, ...], message: str
) -> None:
    op = Op("e", len(inputs), inline=inline)
    with pytest.raises(DomainError, match=message) as e:
        apply(op, *inputs)
    assert e.value.op_name == "e"


def test_infinite_and_nan_inputs_propagate_without_an_overflow() -> None:
    op = Op("e", 1, inline=Inline("math.exp(x0)", partials=("out",)))
    assert op.forward(math.inf) == math.inf  # type: ignore[misc]
    assert math.isnan(op.forward(math.nan))  # type: ignore[misc]
    add = Op("a", 2, inline=Inline("x0 + x1", partials=("1.0", "1.0")))
    assert add.forward(math.inf, 1.0) == math.inf  # type: ignore[misc]
    # a constant infinity is no overflow either
    step = Op("s", 1, inline=Inline("math.inf if x0 > 0 else 0.0", partials=("0.0",)))
    assert step.forward(1.0) == math.inf  # type: ignore[misc]


def _f(x: Value, y: Value) -> Value:
    return x.sin() * y.cos() + x * y  # type: ignore[attr-defined, no-any-return]


def test_derived_rules_give_gradients_of_gradients_as_the_hand_written_ones() -> None:
    point = [0.7, -1.3]
    with temporary_ops(SIN, COS):
        assert supports_higher_order(SIN)
        assert supports_higher_order(COS)
        derived = hessian(_f, point)
    with temporary_ops(SIN_BY_HAND, COS_BY_HAND):
        by_hand = hessian(_f, point)
    assert [[_bits(v) for v in row] for row in derived] == [
        [_bits(v) for v in row] for row in by_hand
    ]
    x, y = point
    exact = [[-math.sin(x) * math.cos(y), -math.cos(x) * math.sin(y) + 1], [0.0, 0.0]]
    exact[1] = [exact[0][1], -math.sin(x) * math.cos(y)]
    for row, want in zip(derived, exact, strict=True):
        assert row == pytest.approx(want, rel=1e-12)


def test_a_math_function_no_op_claims_is_not_differentiable_naming_it() -> None:
    op = Op("erfish", 1, inline=Inline("math.erf(x0)", partials=("math.erfc(x0) + x0",)))
    x = Value(0.5)
    with temporary_ops(op):
        assert not supports_higher_order(op)
        y = apply(op, x)
        y.backward()  # on floats the rule is math's
        assert x.grad == math.erfc(0.5) + 0.5
        with pytest.raises(NotDifferentiableError) as e:
            hessian(lambda v: apply(op, v), [0.5])
    message = str(e.value)
    assert message.startswith("op 'erfish' does not support gradients of its gradient")
    assert "partial 0 'math.erfc(x0) + x0' applies math.erfc to a Value" in message
    assert "no loaded op claims the method 'erfc'" in message
    assert e.value.op_name == "erfish"


def test_piecewise_constant_functions_and_pow_work_on_values() -> None:
    op = Op(
        "steps",
        1,
        inline=Inline("math.floor(x0) * x0", partials=("math.floor(x0) + math.pow(x0, 0)",)),
    )
    # d/dx (floor(x) * x) = floor(x) (+ 0: x ** 0); its derivative is zero a.e.
    assert hessian(lambda v: apply(op, v), [2.5]) == [[0.0]]


def test_an_invalid_expression_derives_nothing_and_is_refused_at_validation() -> None:
    op = Op("bad", 1, inline=Inline("x0 + y", partials=("1.0",)))
    assert op.forward is None
    with pytest.raises(InvalidOpError, match=r"^op 'bad': inline forward 'x0 \+ y': uses 'y'"):
        validate(op)


def test_a_compiled_graph_of_derived_ops_replays_the_engines_numbers() -> None:
    with temporary_ops(SIN, COS):
        x, y = Value(0.7), Value(-1.3)
        root = _f(x, y)
        compiled = compile_graph(root)
        x.data, y.data = 0.2, 0.9
        replayed = compiled.forward()
        compiled.backward()
        a, b = Value(0.2), Value(0.9)
        fresh = _f(a, b)
        fresh.backward()
    assert _bits(replayed) == _bits(fresh.data)
    assert (_bits(x.grad), _bits(y.grad)) == (_bits(a.grad), _bits(b.grad))
    source = compiled.source()
    assert "b[i] = math.sin(b[a0])" in source
    assert "b[s0] = math.cos(b[a0])" in source


def test_the_source_shows_an_op_called_through_its_functions() -> None:
    x = Value(2.0)
    source = compile_graph(x**x).source()
    assert source.startswith(
        "# forward: op 'pow' (1 node)\n# calls micrograd_ops._pow\ndef _call_forward(b"
    )
    assert "# partials: op 'pow' (1 node)\n# calls micrograd_ops._d_pow_d_base\n" in source


def test_a_rule_on_values_reads_maths_name_however_it_is_written() -> None:
    # the rule on Values is the partial's text with the name math changed: no other
    # name the gate lets by may contain it
    assert not [name for name in grammar.FUNCTIONS | grammar.CONSTANTS if "math" in name]
    spec = Inline("(math).sin(x0)", partials=("(math) . cos(x0)",))
    wavy = Op("wavy", 1, inline=spec)
    source = derived_source("wavy", spec)
    assert "    return (values_0) . cos(x0)" in source.splitlines()
    cos = Op("cos", 1, inline=Inline("math.cos(x0)", partials=("-math.sin(x0)",)), method="cos")
    with temporary_ops(wavy, cos):
        assert hessian(lambda v: apply("wavy", v), [0.5]) == [[-math.sin(0.5)]]
