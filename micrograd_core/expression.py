"""Inline expressions: what an op's expressions may say, and the code each target runs.

An op may give its forward value and partials as Python expressions
(:class:`~micrograd_core.op.Inline`). This module is the one place that knows
their grammar and their translations: :func:`problem` is the gate
(registration and compiled graphs ask it), and :func:`render` writes an
expression the gate accepted as source for a target, a :class:`Dialect`:
Python floats (:data:`FLOAT`), a compiled graph's loops (:data:`LOOP`), or
arrays of a NumPy-like module (:func:`array_dialect`; :data:`NUMPY`,
:data:`TORCH`, :data:`JAX`). Every target goes through the one renderer.

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
>>> render("math.tanh(x0) * x1", LOOP)
'math.tanh(b[a0]) * b[a1]'
>>> render("0.0 if x0 < 0 else x0", NUMPY)
'np.where(x0 < 0, 0.0, x0)'
>>> render("x0 ** -1 + (x1 - out) * 2", FLOAT)
'x0 ** (-1) + (x1 - out) * 2'
>>> render("math.erf(x0)", NUMPY)  # doctest: +ELLIPSIS
Traceback (most recent call last):
micrograd_core.expression.NotRenderableError: math.erf has no numpy counterpart; ...

Rendering keeps every operation and its order (parentheses where Python needs
them, whatever the dialect adds), so where a target computes as Python does
the floats are the same to the last bit. Arrays differ from Python in a few
places the dialects take care of: ``and``/``or`` give a truth value (so they
are rendered only of truth values), a truth value used as a number is written
``where(c, 1.0, 0.0)``, and a number used as a condition ``c != 0``. What an
array computes as a float Python computes as an int (``-math.floor(0.5)`` is
``0``, NumPy's is ``-0.0``), the same number.
"""

from __future__ import annotations

import ast
import functools
import re
import reprlib
from collections.abc import Collection, Iterator, Mapping
from dataclasses import dataclass, field
from typing import Final

__all__ = [
    "CONSTANTS",
    "FLOAT",
    "FUNCTIONS",
    "JAX",
    "LOOP",
    "MAX_DEPTH",
    "MAX_INT_BITS",
    "MAX_LENGTH",
    "MAX_NODES",
    "NUMPY",
    "TORCH",
    "Dialect",
    "NotRenderableError",
    "array_dialect",
    "in_loop",
    "problem",
    "render",
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
_PREDICATES: Final = frozenset({"isclose", "isfinite", "isinf", "isnan"})  # a bool
_ROUNDING: Final = frozenset({"ceil", "floor", "trunc"})  # an int, below 2**1024 for a float
FUNCTIONS: Final = _FLOAT_FUNCTIONS | _PREDICATES | _ROUNDING
"""The functions of math an expression may call."""
CONSTANTS: Final = frozenset({"e", "inf", "nan", "pi", "tau"})
"""The constants of math an expression may read."""

_BINARY: Final[dict[type[ast.operator], str]] = {
    ast.Add: "+",
    ast.Sub: "-",
    ast.Mult: "*",
    ast.Div: "/",
    ast.FloorDiv: "//",
    ast.Mod: "%",
    ast.Pow: "**",
}
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


def problem(text: object, names: Collection[str]) -> str | None:
    """What keeps ``text`` from being an inline expression of ``names``, or None.

    The answer says what is wrong and what is allowed; an expression with no
    problem parses, compiles (:func:`in_loop`) and runs in bounded time.
    """
    found = _text_problem(text)
    if found is not None:
        return found
    assert isinstance(text, str)
    try:
        tree = ast.parse(text.strip(), mode="eval")
    except SyntaxError as e:
        return f"is not a Python expression ({e.msg})"
    except (MemoryError, RecursionError, ValueError) as e:  # too deep for the parser, a NUL
        cause = f"{type(e).__name__}: {e}" if str(e) else type(e).__name__
        return (
            f"cannot be parsed ({cause}); an inline expression is one line of ASCII "
            f"nested at most {MAX_DEPTH} deep"
        )
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
        if depth > MAX_DEPTH:
            return f"is nested more than {MAX_DEPTH} deep; an inline expression may nest that deep"
        if len(order) == MAX_NODES:
            return (
                f"has more than {MAX_NODES:,} parts (names, numbers, operations); an inline "
                f"expression may have that many"
            )
        found = _node_problem(node, names)
        if found is not None:
            return found
        order.append(node)
        stack.extend((part, depth + 1) for part in reversed(list(_operands(node))))
    return _integer_problem(text, order)


def _operands(node: ast.expr) -> Iterator[ast.expr]:
    """The expressions ``node`` computes from (a call's function is checked with it)."""
    if isinstance(node, ast.BinOp):
        yield node.left
        yield node.right
    elif isinstance(node, ast.UnaryOp):
        yield node.operand
    elif isinstance(node, ast.BoolOp):
        yield from node.values
    elif isinstance(node, ast.Compare):
        yield node.left
        yield from node.comparators
    elif isinstance(node, ast.IfExp):
        yield node.test
        yield node.body
        yield node.orelse
    elif isinstance(node, ast.Call):
        yield from node.args


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
    if isinstance(node, ast.BinOp) and type(node.op) not in _BINARY:
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
        bound = _int_bits(node, bits)
        if bound is not None and bound > MAX_INT_BITS:
            part = ast.get_source_segment(text.strip(), node) or _segment(node)
            return (
                f"computes {_shown.repr(part)}, an integer that may have more than "
                f"{MAX_INT_BITS} bits; integer arithmetic (on int numbers, booleans and "
                f"math.floor) must stay within {MAX_INT_BITS} bits: write a float (9.0 ** 9) "
                f"or a smaller power"
            )
        bits[id(node)] = bound
    return None


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
        if node.func.attr in _PREDICATES:
            return 1
        if node.func.attr in _ROUNDING:  # of a float: below 2**1024; of an int: that int
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


# -- rendering: an accepted expression as source for a target --------------------


@dataclass(frozen=True, slots=True)
class Dialect:
    """A target an expression is written for: how it names things and says what Python says.

    ``input`` names input ``k`` (``"x{k}"``), ``out`` the output; a call of
    ``math.f`` becomes ``function`` with ``{name}`` filled in (``"math.{name}"``),
    unless ``renames`` gives ``f`` (a function or a constant of math) its own
    text, or None: the target has no such function, and rendering refuses it.
    ``arities`` lists functions the target takes with fewer arguments than math
    (NumPy's ``log`` has no base). ``where``, ``logical_and``, ``logical_or``
    and ``logical_not`` are the target's functions for ``a if c else b``,
    ``and``, ``or`` and ``not`` (None: Python's own syntax), as arrays need;
    ``chained`` says whether ``a < b < c`` may be written as it is. ``imports``
    are the statements that bring the target's names into scope.
    """

    name: str
    input: str = "x{k}"
    out: str = "out"
    function: str = "math.{name}"
    renames: Mapping[str, str | None] = field(default_factory=dict)
    arities: Mapping[str, int] = field(default_factory=dict)
    where: str | None = None
    logical_and: str | None = None
    logical_or: str | None = None
    logical_not: str | None = None
    chained: bool = True
    imports: tuple[str, ...] = ("import math",)

    def __hash__(self) -> int:  # renders are cached per dialect
        return hash((self.name, self.input, self.out, self.function, self.where))

    def scope(self) -> dict[str, object]:
        """The names rendered source reads (``math``, ``np``, ...), imported now."""
        scope: dict[str, object] = {}
        for statement in self.imports:
            exec(statement, scope)  # an import statement of the dialect, no input's text
        del scope["__builtins__"]
        return scope


class NotRenderableError(ValueError):
    """An expression a dialect cannot write: a function the target lacks, a construct
    whose meaning on the target would differ from Python's, or text the gate refuses."""


FLOAT: Final = Dialect("float")
"""Python floats and math: the op's ``forward`` and partials."""
LOOP: Final = Dialect("loop", input="b[a{k}]", out="b[i]")
"""A compiled graph's loops: input ``k`` is ``b[ak]``, the output ``b[i]``."""

# math's names that every array module spells the same way, and the ones it lacks
_ARRAY_REFUSED: Final[dict[str, str | None]] = {
    "isclose": None,  # the modules' isclose has other tolerances
    "remainder": None,  # IEEE remainder; the modules' remainder is Python's %
    "ulp": None,
    "tau": "6.283185307179586",
    "pi": "3.141592653589793",
    "e": "2.718281828459045",
}


def array_dialect(
    module: str,
    renames: Mapping[str, str | None] | None = None,
    *,
    name: str | None = None,
    imports: tuple[str, ...] | None = None,
) -> Dialect:
    """The dialect of arrays of the NumPy-like ``module`` (the name source calls it by).

    ``math.tanh(x0)`` becomes ``module.tanh(x0)``, unless ``renames`` says
    otherwise (``{"atan": "np.arctan", "erf": None}``: None refuses it); math's
    constants become numbers (``inf`` and ``nan``: ``module.inf``);
    ``a if c else b`` becomes ``module.where(c, a, b)``, and ``and``, ``or``
    and ``not`` the module's ``logical_and``, ``logical_or`` and ``logical_not``.

    >>> render("math.atan(x0) if x0 > 0 and not x1 else 1.0", array_dialect("xp"))
    'xp.where(xp.logical_and(x0 > 0, xp.logical_not(x1)), xp.atan(x0), 1.0)'
    """
    table = {**_ARRAY_REFUSED, "inf": f"{module}.inf", "nan": f"{module}.nan"}
    table.update(renames or {})
    return Dialect(
        name or module,
        function=f"{module}.{{name}}",
        renames=table,
        arities={"log": 1},
        where=f"{module}.where",
        logical_and=f"{module}.logical_and",
        logical_or=f"{module}.logical_or",
        logical_not=f"{module}.logical_not",
        chained=False,
        imports=imports or (f"import {module}",),
    )


NUMPY: Final = array_dialect(
    "np",
    {
        **{f: f"np.arc{f[1:]}" for f in ("acos", "acosh", "asin", "asinh", "atan", "atan2")},
        "atanh": "np.arctanh",
        "fabs": "np.abs",
        "pow": "np.power",
        **dict.fromkeys(("erf", "erfc", "gamma", "lgamma")),  # in scipy.special, not NumPy
    },
    name="numpy",
    imports=("import numpy as np",),
)
"""NumPy's arrays (``np``)."""
TORCH: Final = array_dialect(
    "torch",
    {
        "fabs": "torch.abs",
        "erf": "torch.special.erf",
        "erfc": "torch.special.erfc",
        "degrees": "torch.rad2deg",
        "radians": "torch.deg2rad",
        "cbrt": None,
        "gamma": None,
    },
)
"""PyTorch's tensors (``torch``)."""
JAX: Final = array_dialect(
    "jnp",
    {
        **{f: f"jnp.arc{f[1:]}" for f in ("acos", "acosh", "asin", "asinh", "atan", "atan2")},
        "atanh": "jnp.arctanh",
        "fabs": "jnp.abs",
        "pow": "jnp.power",
        "erf": "jax.scipy.special.erf",
        "erfc": "jax.scipy.special.erfc",
        "gamma": "jax.scipy.special.gamma",
        "lgamma": "jax.scipy.special.gammaln",
    },
    name="jax",
    imports=("import jax.numpy as jnp", "import jax.scipy.special"),
)
"""JAX's arrays (``jnp``, and ``jax.scipy.special``)."""

# How tightly each construct binds, as Python parses it (ast's unparser's order).
_TEST, _OR, _AND, _NOT, _CMP, _ARITH, _TERM, _FACTOR, _POWER, _ATOM = range(10)
_BINDING: Final[dict[type[ast.operator], int]] = {
    ast.Add: _ARITH,
    ast.Sub: _ARITH,
    ast.Mult: _TERM,
    ast.Div: _TERM,
    ast.FloorDiv: _TERM,
    ast.Mod: _TERM,
    ast.Pow: _POWER,
}
_COMPARE_SYMBOL: Final[dict[type[ast.cmpop], str]] = {
    ast.Lt: "<",
    ast.LtE: "<=",
    ast.Gt: ">",
    ast.GtE: ">=",
    ast.Eq: "==",
    ast.NotEq: "!=",
}
_INPUT = re.compile(r"\bx\d+\b")


class _Rendered:
    """A part rendered: its text, how tightly it binds, whether it is a truth value."""

    __slots__ = ("binding", "text", "truth")

    def __init__(self, text: str, binding: int, *, truth: bool = False) -> None:
        self.text = text
        self.binding = binding
        self.truth = truth

    def at(self, binding: int) -> str:
        """The text, in parentheses if it binds less tightly than ``binding`` needs."""
        return self.text if self.binding >= binding else f"({self.text})"


@functools.lru_cache(maxsize=4096)
def render(text: str, dialect: Dialect) -> str:
    """The expression ``text`` (names ``x0``, ``x1``, ..., ``out``) written for ``dialect``.

    It parses to the same operations in the same order on every target (see the
    module's examples). NotRenderableError says what the gate refuses or the target lacks.
    """
    names = {"out", *_INPUT.findall(text)} if type(text) is str else set()
    found = _text_problem(text)
    if found is None:
        try:  # Python's RecursionError (the caller's stack nearly full) is no problem of text's
            body = ast.parse(text.strip(), mode="eval").body
        except (SyntaxError, ValueError):
            found = problem(text, names)
        else:
            found = _tree_problem(text, body, names)
    if found is not None:
        msg = f"{_shown.repr(text)} {found}"
        raise NotRenderableError(msg)
    done: dict[int, _Rendered] = {}
    stack: list[tuple[ast.expr, bool]] = [(body, False)]
    while stack:  # never recursive: parts first, then the whole
        node, ready = stack.pop()
        if ready:
            done[id(node)] = _render_node(node, dialect, done)
        else:
            stack.append((node, True))
            stack.extend((part, False) for part in _operands(node))
    rendered = done[id(body)]
    return rendered.text


def _render_node(node: ast.expr, d: Dialect, done: dict[int, _Rendered]) -> _Rendered:
    """``node`` in dialect ``d``, its parts already rendered in ``done``."""
    if isinstance(node, ast.Name):
        if node.id == "out":
            return _Rendered(d.out, _ATOM)
        return _Rendered(d.input.format(k=int(node.id[1:])), _ATOM)
    if isinstance(node, ast.Constant):
        return _Rendered(repr(node.value), _ATOM, truth=type(node.value) is bool)
    if isinstance(node, ast.Attribute):  # one of math's constants
        return _Rendered(_named(node.attr, d), _ATOM)
    if isinstance(node, ast.Call):
        assert isinstance(node.func, ast.Attribute)  # the gate let only math's functions by
        f = node.func.attr
        most = d.arities.get(f)
        if most is not None and len(node.args) > most:
            msg = f"math.{f} with {len(node.args)} arguments has no {d.name} counterpart"
            raise NotRenderableError(msg)
        args = ", ".join(_number(done[id(arg)], d, _TEST) for arg in node.args)
        return _Rendered(f"{_named(f, d)}({args})", _ATOM, truth=f in _PREDICATES)
    if isinstance(node, ast.BinOp):
        binding = _BINDING[type(node.op)]
        right_first = isinstance(node.op, ast.Pow)  # x ** y ** z is x ** (y ** z)
        left = _number(done[id(node.left)], d, binding + right_first)
        right = _number(done[id(node.right)], d, binding + (not right_first))
        return _Rendered(f"{left} {_BINARY[type(node.op)]} {right}", binding)
    if isinstance(node, ast.UnaryOp):
        operand = done[id(node.operand)]
        if isinstance(node.op, ast.Not):
            if d.logical_not is not None:
                return _Rendered(f"{d.logical_not}({operand.at(_TEST)})", _ATOM, truth=True)
            return _Rendered(f"not {operand.at(_NOT)}", _NOT, truth=True)
        sign = "-" if isinstance(node.op, ast.USub) else "+"
        return _Rendered(f"{sign}{_number(operand, d, _FACTOR)}", _FACTOR)
    if isinstance(node, ast.Compare):
        return _compare(node, d, done)
    if isinstance(node, ast.BoolOp):
        return _bool_op(node, d, done)
    assert isinstance(node, ast.IfExp)  # the gate let no other kind by
    test, body, orelse = done[id(node.test)], done[id(node.body)], done[id(node.orelse)]
    truth = body.truth and orelse.truth
    if d.where is not None:  # a number's truth, as Python's (NaN is true): x != 0
        condition = test.at(_TEST) if test.truth else f"{test.at(_CMP + 1)} != 0"
        parts = ", ".join([condition, body.at(_TEST), orelse.at(_TEST)])
        return _Rendered(f"{d.where}({parts})", _ATOM, truth=truth)
    text = f"{body.at(_OR)} if {test.at(_OR)} else {orelse.at(_TEST)}"
    return _Rendered(text, _TEST, truth=truth)


def _number(part: _Rendered, d: Dialect, binding: int) -> str:
    """``part`` where a number is wanted: Python counts True as 1, but an array of
    truth values is no number (NumPy's exp of one is a float16), so arrays write 1.0."""
    if not part.truth or d.where is None:
        return part.at(binding)
    if part.text in ("True", "False"):
        return "1.0" if part.text == "True" else "0.0"
    return f"{d.where}({part.at(_TEST)}, 1.0, 0.0)"


def _named(name: str, d: Dialect) -> str:
    """How ``d`` writes math's function or constant ``name``."""
    if name not in d.renames:
        return d.function.format(name=name)
    target = d.renames[name]
    if target is None:
        msg = f"math.{name} has no {d.name} counterpart; the {d.name} dialect refuses it"
        raise NotRenderableError(msg)
    return target


def _compare(node: ast.Compare, d: Dialect, done: dict[int, _Rendered]) -> _Rendered:
    operands = [done[id(node.left)], *(done[id(c)] for c in node.comparators)]
    symbols = [_COMPARE_SYMBOL[type(op)] for op in node.ops]
    if d.chained or len(symbols) == 1:
        text = operands[0].at(_CMP + 1)
        for symbol, operand in zip(symbols, operands[1:], strict=True):
            text += f" {symbol} {operand.at(_CMP + 1)}"
        return _Rendered(text, _CMP, truth=True)
    # a < b < c on arrays is (a < b) and (b < c): b written twice, so b must be short
    middle = [node.left, *node.comparators][1:-1]
    if not all(isinstance(m, ast.Name | ast.Constant | ast.Attribute) for m in middle):
        msg = (
            f"a chained comparison is written as comparisons joined by and in the {d.name} "
            f"dialect, which repeats its middle operands: they must be names or numbers "
            f"(write (a < b) and (b < c) for others)"
        )
        raise NotRenderableError(msg)
    pairs = [
        _Rendered(f"{a.at(_CMP + 1)} {symbol} {b.at(_CMP + 1)}", _CMP, truth=True)
        for a, symbol, b in zip(operands, symbols, operands[1:], strict=False)
    ]
    assert d.logical_and is not None  # a dialect that writes no chain has its own and
    return _joined(d.logical_and, pairs)


def _bool_op(node: ast.BoolOp, d: Dialect, done: dict[int, _Rendered]) -> _Rendered:
    values = [done[id(v)] for v in node.values]
    is_and = isinstance(node.op, ast.And)
    function = d.logical_and if is_and else d.logical_or
    truth = all(v.truth for v in values)
    if function is None:
        word, binding = ("and", _AND) if is_and else ("or", _OR)
        text = f" {word} ".join(v.at(binding + 1) for v in values)
        return _Rendered(text, binding, truth=truth)
    if not truth:  # Python's and/or give an operand, a number here; arrays' a truth value
        shown = " and " if is_and else " or "
        msg = (
            f"{shown.strip()} of numbers gives one of them in Python and a truth value in the "
            f"{d.name} dialect: it renders{shown}only of truth values (comparisons, not, "
            f"math.isfinite, ...)"
        )
        raise NotRenderableError(msg)
    return _joined(function, values)


def _joined(function: str, values: list[_Rendered]) -> _Rendered:
    """``function`` of two arguments over all ``values``, as a balanced tree (few parentheses)."""
    while len(values) > 1:
        pairs = [
            _Rendered(f"{function}({a.at(_TEST)}, {b.at(_TEST)})", _ATOM, truth=True)
            for a, b in zip(values[::2], values[1::2], strict=False)
        ]
        values = pairs + values[len(pairs) * 2 :]
    return values[0]


# math's functions whose result is finite for every finite input they accept (outside
# their domain they raise ValueError): as an op's whole forward, no overflow to check
_FINITE: Final = frozenset(
    {"acos", "acosh", "asin", "asinh", "atan", "atanh", "cbrt", "cos", "erf", "erfc", "fabs"}
    | {"log", "log10", "log1p", "log2", "sin", "sqrt", "tan", "tanh"}
)
_SILENT: Final = (ast.Add, ast.Sub, ast.Mult, ast.Div, ast.FloorDiv, ast.Mod)


def overflow(text: str, n: int) -> str | None:
    """How forward ``text`` of ``n`` inputs may overflow: ``"silent"`` (``+ - * / // %``
    give an infinity), ``"raises"`` (math's functions and ``**`` raise OverflowError),
    or None: it is a function of math that is always finite (``math.tanh(x0)``)."""
    body = ast.parse(text.strip(), mode="eval").body
    if (
        isinstance(body, ast.Call)
        and isinstance(body.func, ast.Attribute)
        and body.func.attr in _FINITE
        and [a.id if isinstance(a, ast.Name) else None for a in body.args]
        == [f"x{k}" for k in range(n)]
    ):
        return None
    silent = any(
        isinstance(part, ast.BinOp) and isinstance(part.op, _SILENT) for part in ast.walk(body)
    )
    return "silent" if silent else "raises"


@functools.lru_cache(maxsize=1024)
def in_loop(text: str) -> str | int | float:
    """The accepted expression ``text`` as a compiled graph's loop computes it.

    That is ``render(text, LOOP)``; except that a partial that needs no
    computing comes back as where it is: an int for an input (its index; -1 for
    the output), a float for a number.

    >>> in_loop("math.tanh(x0) * x1"), in_loop("(out)"), in_loop("1")
    ('math.tanh(b[a0]) * b[a1]', -1, 1.0)
    """
    body = ast.parse(text.strip(), mode="eval").body
    if isinstance(body, ast.Name) and problem(text, {body.id}) is None:
        return -1 if body.id == "out" else int(body.id[1:])
    if isinstance(body, ast.Constant) and isinstance(body.value, int | float):
        return float(body.value)
    return render(text, LOOP)
