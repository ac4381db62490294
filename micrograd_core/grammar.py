"""The grammar of inline expressions: the gate that says whether a text is one.

An op may give its forward value and partials as Python expressions
(:class:`~micrograd_core.op.Inline`). :func:`problem` is the one check of them
(registration, the functions derived from them and every target ask it);
:mod:`micrograd_core.dialect` writes an accepted expression for a target.

The gate accepts only what parses, compiles and runs in bounded time and
memory, whatever the text:

- at most :data:`MAX_LENGTH` characters of ASCII (measured before parsing),
  nested at most :data:`MAX_DEPTH` deep, made of at most :data:`MAX_NODES`
  parts (names, numbers, operations);
- the names it is given (the inputs ``x0``, ``x1``, ...; a partial also sees the
  output ``out``), calls of math's public functions (``math.exp(x0)``, listed in
  :data:`FUNCTIONS`) and math's constants (``math.pi``, :data:`CONSTANTS`);
- numbers that are ints or floats and finite floats (``1e400`` is not);
- arithmetic ``+ - * / // % **``, unary ``-`` and ``+``, comparisons
  ``< <= > >= == !=``, ``and``, ``or``, ``not`` and ``a if c else b``;
- integer arithmetic (on int numbers, booleans and ``math.floor``) whose result
  could have more than :data:`MAX_INT_BITS` bits is refused: ``x0 ** 9 ** 9 ** 9``
  would compute ``9 ** 387420489`` exactly, at every replay.

>>> problem("1 - out**2", {"x0", "out"}) is None
True
>>> problem("math.__setattr__(math.__name__, x0)", {"x0"})[:59]
"calls math.__setattr__; it may call math's public functions"
"""

from __future__ import annotations

import ast
import reprlib
import threading
from collections.abc import Collection
from typing import Final

__all__ = [
    "CONSTANTS",
    "FUNCTIONS",
    "MAX_DEPTH",
    "MAX_INT_BITS",
    "MAX_LENGTH",
    "MAX_NODES",
    "PREDICATES",
    "ROUNDING",
    "SYMBOLS",
    "expression",
    "overflow",
    "parse",
    "problem",
]

MAX_LENGTH: Final = 100_000
"""The longest expression, in characters."""
MAX_DEPTH: Final = 500
"""How deep an expression may nest: Python parses and compiles a few thousand
levels at most, fewer the deeper the caller's stack already is."""
MAX_NODES: Final = 10_000
"""How many parts (names, numbers, operations) an expression may have."""
MAX_INT_BITS: Final = 4096
"""How many bits an integer an expression computes may have."""

# math's public functions of floats, by what they return. Left out: those of
# integers only (comb, factorial, gcd, isqrt, lcm, perm), of iterables (dist,
# fsum, prod; an expression has none) and those returning pairs (frexp, modf).
_FLOAT_FUNCTIONS: Final = frozenset(
    {
        *("acos", "acosh", "asin", "asinh", "atan", "atan2", "atanh", "cbrt", "copysign"),
        *("cos", "cosh", "degrees", "erf", "erfc", "exp", "exp2", "expm1", "fabs", "fmod"),
        *("gamma", "hypot", "ldexp", "lgamma", "log", "log10", "log1p", "log2", "nextafter"),
        *("pow", "radians", "remainder", "sin", "sinh", "sqrt", "tan", "tanh", "ulp"),
    }
)
PREDICATES: Final = frozenset({"isclose", "isfinite", "isinf", "isnan"})
"""The functions of math that give a truth value."""
ROUNDING: Final = frozenset({"ceil", "floor", "trunc"})
"""The functions of math that give an int (of a float: below 2**1024)."""
FUNCTIONS: Final = _FLOAT_FUNCTIONS | PREDICATES | ROUNDING
"""The functions of math an expression may call."""
CONSTANTS: Final = frozenset({"e", "inf", "nan", "pi", "tau"})
"""The constants of math an expression may read."""

SYMBOLS: Final[dict[type[ast.operator], str]] = {
    ast.Add: "+",
    ast.Sub: "-",
    ast.Mult: "*",
    ast.Div: "/",
    ast.FloorDiv: "//",
    ast.Mod: "%",
    ast.Pow: "**",
}
"""The operators of arithmetic an expression may use, as Python writes them."""
_REFUSED_BINARY: Final[dict[type[ast.operator], str]] = {
    ast.LShift: "<<",
    ast.RShift: ">>",
    ast.BitOr: "|",
    ast.BitXor: "^",
    ast.BitAnd: "&",
    ast.MatMult: "@",
}
_COMPARISONS: Final = (ast.Lt, ast.LtE, ast.Gt, ast.GtE, ast.Eq, ast.NotEq)
_REFUSED_COMPARISONS: Final[dict[type[ast.cmpop], str]] = {
    ast.Is: "is",
    ast.IsNot: "is not",
    ast.In: "in",
    ast.NotIn: "not in",
}
_NODES: Final = (
    ast.BinOp,
    ast.UnaryOp,
    ast.BoolOp,
    ast.Compare,
    ast.IfExp,
    ast.Call,
    ast.Attribute,
    ast.Name,
    ast.Constant,
)

_GRAMMAR: Final = (
    "an inline expression is made of numbers, its names, math's functions and constants, "
    "+ - * / // % **, comparisons, and, or, not and if-else"
)
_MATH: Final = (
    f"it may call math's public functions (math.exp(x0)): {', '.join(sorted(FUNCTIONS))}; "
    f"and read its constants (math.pi): {', '.join(sorted(CONSTANTS))}"
)

_shown = reprlib.Repr()
_shown.maxstring = 80
_shown.maxlong = 40


_parsing: Final = threading.Lock()


def parse(text: str, mode: str = "eval") -> ast.AST:
    """``ast.parse(text, mode)`` by one thread at a time.

    CPython 3.11 keeps the depth of the tree it is building in one place per
    interpreter: two threads parsing at once can raise ``SystemError: AST
    constructor recursion depth mismatch``.
    """
    with _parsing:
        return ast.parse(text, mode=mode)


def expression(text: str) -> ast.expr:
    """The tree of an expression the gate accepted (:func:`problem` gave None)."""
    tree = parse(text.strip())
    assert isinstance(tree, ast.Expression)
    return tree.body


def problem(text: object, names: Collection[str]) -> str | None:
    """What keeps ``text`` from being an inline expression of ``names``, or None.

    The answer says what is wrong and what is allowed; an expression with no
    problem parses, compiles and runs in bounded time.
    """
    found = _text_problem(text)
    if found is not None:
        return found
    assert isinstance(text, str)
    try:
        tree = parse(text.strip())
    except SyntaxError as e:
        return f"is not a Python expression ({e.msg})"
    except (MemoryError, RecursionError, ValueError) as e:  # too deep for the parser, a NUL
        cause = f"{type(e).__name__}: {e}" if str(e) else type(e).__name__
        return (
            f"cannot be parsed ({cause}); an inline expression is one line of ASCII "
            f"nested at most {MAX_DEPTH} deep"
        )
    assert isinstance(tree, ast.Expression)
    return _tree_problem(text, tree.body, names)


def _text_problem(text: object) -> str | None:
    """What is wrong with ``text`` before it is parsed, or None."""
    if type(text) is not str:
        return f"must be a str, got {type(text).__name__!r}"
    if len(text) > MAX_LENGTH:
        return (
            f"is {len(text):,} characters long; an inline expression may have at most "
            f"{MAX_LENGTH:,}"
        )
    if not text.isascii():
        return "may use only ASCII characters (names x0, x1, ..., out and math)"
    return None


def _tree_problem(text: str, body: ast.expr, names: Collection[str]) -> str | None:
    """What is wrong with the parsed expression ``body``, or None; never recursive."""
    order: list[ast.expr] = []  # preorder: each node before the parts it is made of
    stack = [(body, 1)]
    while stack:
        node, depth = stack.pop()
        if depth > MAX_DEPTH or len(order) == MAX_NODES:
            return _size_problem(depth)
        found = _node_problem(node, names)
        if found is not None:
            return found
        order.append(node)
        stack.extend((part, depth + 1) for part in reversed(operands(node)))
    return _integer_problem(text, order)


def _size_problem(depth: int) -> str:
    if depth > MAX_DEPTH:
        return f"is nested more than {MAX_DEPTH} deep; an inline expression may nest that deep"
    return (
        f"has more than {MAX_NODES:,} parts (names, numbers, operations); an inline "
        f"expression may have that many"
    )


def operands(node: ast.expr) -> list[ast.expr]:
    """The expressions ``node`` computes from, in order (a call's function and an
    attribute's module are checked with the node itself)."""
    if isinstance(node, ast.Call):
        return node.args
    if isinstance(node, ast.Attribute):
        return []
    return [part for part in ast.iter_child_nodes(node) if isinstance(part, ast.expr)]


def _node_problem(node: ast.expr, names: Collection[str]) -> str | None:
    """What is wrong with ``node`` itself (not its operands), or None."""
    if not isinstance(node, _NODES):
        return f"may not use {type(node).__name__}; {_GRAMMAR}"
    if isinstance(node, ast.Name):
        if node.id in names:
            return None
        if node.id == "math":
            return f"uses math itself; {_MATH}"
        known = ", ".join(sorted(names, key=lambda n: (len(n), n)))
        return f"uses {node.id!r}; it may use {known} and math's functions and constants"
    if isinstance(node, ast.Attribute):
        if not _of_math(node):
            return f"may only read attributes of math, not of {_segment(node)}; {_MATH}"
        if node.attr in CONSTANTS:
            return None
        if node.attr in FUNCTIONS:
            return f"uses math.{node.attr} without calling it; {_MATH}"
        return f"uses math.{node.attr}; {_MATH}"
    if isinstance(node, ast.Call):
        function = node.func
        if not (isinstance(function, ast.Attribute) and _of_math(function)):
            return f"calls {_segment(function)}; {_MATH}"
        if function.attr not in FUNCTIONS:
            return f"calls math.{function.attr}; {_MATH}"
        if node.keywords:
            return f"passes math.{function.attr} keywords; it may pass arguments by position"
        return None
    if isinstance(node, ast.Constant):
        return _constant_problem(node.value)
    if isinstance(node, ast.BinOp) and type(node.op) not in SYMBOLS:
        symbol = _REFUSED_BINARY.get(type(node.op), type(node.op).__name__)
        return f"may not use the operator {symbol!r}; it may use + - * / // % **"
    if isinstance(node, ast.UnaryOp) and isinstance(node.op, ast.Invert):
        return "may not use the operator '~'; it may use -, + and not"
    if isinstance(node, ast.Compare):
        for op in node.ops:
            if not isinstance(op, _COMPARISONS):
                symbol = _REFUSED_COMPARISONS.get(type(op), type(op).__name__)
                return f"may not compare with {symbol!r}; it may use < <= > >= == !="
    return None


def _of_math(node: ast.Attribute) -> bool:
    return isinstance(node.value, ast.Name) and node.value.id == "math"


def _constant_problem(value: object) -> str | None:
    allowed = "numbers are ints and floats that are finite floats"
    if type(value) is bool:
        return None
    if type(value) is int:
        try:
            float(value)
        except OverflowError:
            return f"may not use the constant {_shown.repr(value)}, beyond the floats; {allowed}"
        return None
    if type(value) is float:
        if value - value != 0.0:  # 1e400 is inf
            return f"may not use the constant {value!r}; {allowed} (math.inf is one)"
        return None
    return f"may not use the constant {_shown.repr(value)}; {allowed}"


def _segment(node: ast.expr) -> str:
    """What ``node`` is, for messages: a name, ``'math.exp'``, else its kind."""
    if isinstance(node, ast.Name):
        return repr(node.id)
    if isinstance(node, ast.Attribute) and isinstance(node.value, ast.Name):
        return repr(f"{node.value.id}.{node.attr}")
    return f"an expression ({type(node).__name__})"


def _integer_problem(text: str, order: list[ast.expr]) -> str | None:
    """Whether integer arithmetic in the checked expression could grow without bound.

    A float result is bounded; an int is exact and grows: ``9 ** 9 ** 9`` is an
    int of a billion bits. Each node that may be an int gets an upper bound on
    its bit length from its operands', parts before the whole.
    """
    bits: dict[int, int | None] = {}  # id(node) -> bound on its bit length; None: never an int
    for node in reversed(order):  # every node after its operands
        bound = bits[id(node)] = _int_bits(node, bits)
        if bound is not None and bound > MAX_INT_BITS:
            part = ast.get_source_segment(text.strip(), node) or _segment(node)
            return _too_many_bits(part)
    return None


def _too_many_bits(part: str) -> str:
    return (
        f"computes {_shown.repr(part)}, an integer that may have more than "
        f"{MAX_INT_BITS} bits; integer arithmetic (on int numbers, booleans and "
        f"math.floor) must stay within {MAX_INT_BITS} bits: write a float (9.0 ** 9) "
        f"or a smaller power"
    )


def _int_bits(node: ast.expr, bits: dict[int, int | None]) -> int | None:
    """A bound on the bit length of ``node``'s value if it may be an int, else None."""
    if isinstance(node, ast.Constant):
        value = node.value
        return max(1, abs(value).bit_length()) if isinstance(value, int) else None
    if isinstance(node, ast.Compare):
        return 1
    if isinstance(node, ast.UnaryOp):
        return 1 if isinstance(node.op, ast.Not) else bits[id(node.operand)]
    if isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute):
        if node.func.attr in PREDICATES:
            return 1
        if node.func.attr in ROUNDING:  # of a float: below 2**1024; of an int: that int
            of = [b for arg in node.args if (b := bits[id(arg)]) is not None]
            return max([1024, *of])
        return None
    if isinstance(node, ast.BoolOp | ast.IfExp):
        parts = node.values if isinstance(node, ast.BoolOp) else (node.body, node.orelse)
        ints = [b for part in parts if (b := bits[id(part)]) is not None]
        return max(ints) if ints else None
    if isinstance(node, ast.BinOp):
        left, right = bits[id(node.left)], bits[id(node.right)]
        if left is None or right is None or isinstance(node.op, ast.Div):
            return None  # a float, computed in bounded time
        if isinstance(node.op, ast.Add | ast.Sub):
            return max(left, right) + 1
        if isinstance(node.op, ast.Mult):
            return left + right
        if isinstance(node.op, ast.Pow):
            if left <= 1:  # -1, 0, 1 or a bool to any power (a negative one gives a float)
                return 1
            exponent = node.right  # an int number: itself, not a bound on it
            if isinstance(exponent, ast.Constant) and isinstance(exponent.value, int):
                return left * max(exponent.value, 1)
            if right > MAX_INT_BITS.bit_length():
                return MAX_INT_BITS + 1
            return left * (1 << right)
        return max(left, right)  # // and %
    return None  # a name, math's constants, its functions of floats


# math's functions whose result is finite for every finite input they accept (outside
# their domain they raise ValueError): as an op's whole forward, no overflow to check
_FINITE: Final = frozenset(
    {"acos", "acosh", "asin", "asinh", "atan", "atanh", "cbrt", "cos", "erf", "erfc", "fabs"}
    | {"log", "log10", "log1p", "log2", "sin", "sqrt", "tan", "tanh"}
)
_SILENT: Final = (ast.Add, ast.Sub, ast.Mult, ast.Div, ast.FloorDiv, ast.Mod)


def overflow(text: str, n: int) -> str:
    """How forward ``text`` of ``n`` inputs may overflow: ``"silent"`` (``+ - * / // %``
    give an infinity), ``"raises"`` (math's functions and ``**`` raise OverflowError),
    or not at all: it is a function of math that is always finite, named then
    (``"math.tanh"`` for ``math.tanh(x0)``)."""
    body = expression(text)
    if (
        isinstance(body, ast.Call)
        and isinstance(body.func, ast.Attribute)
        and body.func.attr in _FINITE
        and [a.id if isinstance(a, ast.Name) else None for a in body.args]
        == [f"x{k}" for k in range(n)]
    ):
        return f"math.{body.func.attr}"
    silent = any(
        isinstance(part, ast.BinOp) and isinstance(part.op, _SILENT) for part in ast.walk(body)
    )
    return "silent" if silent else "raises"
