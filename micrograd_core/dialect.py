"""Dialects: an accepted inline expression written as source for a target.

:func:`render` writes an expression the gate
(:func:`micrograd_core.grammar.problem`) accepted for a :class:`Dialect`:
Python floats (:data:`FLOAT`), a compiled graph's loops (:data:`LOOP`), or
arrays of a NumPy-like module (:func:`array_dialect`; :data:`NUMPY`,
:data:`TORCH`, :data:`JAX`). Every target goes through the one renderer.

>>> render("math.tanh(x0) * x1", LOOP)
'math.tanh(b[a0]) * b[a1]'
>>> render("0.0 if x0 < 0 else x0", NUMPY)
'np.where(x0 < 0, 0.0, x0)'
>>> render("x0 ** -1 + (x1 - out) * 2", FLOAT)
'x0 ** (-1) + (x1 - out) * 2'
>>> render("math.erf(x0)", NUMPY)  # doctest: +ELLIPSIS
Traceback (most recent call last):
micrograd_core.dialect.NotRenderableError: math.erf has no numpy counterpart; ...

Rendering keeps every operation and its order (parentheses where Python needs
them, whatever the dialect adds), so where a target computes as Python does
the floats are the same to the last bit. Arrays differ from Python in a few
places the dialects take care of: ``and``/``or`` give a truth value (so they
are rendered only of truth values), a truth value used as a number is written
``where(c, 1.0, 0.0)``, and a number used as a condition ``c != 0``. What an
array computes as a float Python computes as an int (``-math.floor(0.5)`` is
``0``, NumPy's is ``-0.0``): where such a part meets floats (a function's
argument, arithmetic with a float, the result) an array dialect adds ``0.0``,
which turns ``-0.0`` into the ``0.0`` Python's int ``0`` becomes, so that
``math.copysign`` and ``math.atan2`` see the same sign.
"""

from __future__ import annotations

import ast
import functools
import re
import reprlib
from collections.abc import Mapping
from types import MappingProxyType
from typing import Any, Final

from micrograd_core.grammar import PREDICATES, ROUNDING, SYMBOLS, expression, operands, problem

__all__ = [
    "FLOAT",
    "JAX",
    "LOOP",
    "NUMPY",
    "TORCH",
    "Dialect",
    "NotRenderableError",
    "array_dialect",
    "in_loop",
    "render",
]

_shown = reprlib.Repr()
_shown.maxstring = 80
_shown.maxlong = 40


_NONE: Final[Mapping[str, Any]] = MappingProxyType({})


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

    __slots__ = (
        "arities",
        "chained",
        "function",
        "imports",
        "input",
        "logical_and",
        "logical_not",
        "logical_or",
        "name",
        "out",
        "renames",
        "where",
    )

    def __init__(
        self,
        name: str,
        *,
        input: str = "x{k}",  # noqa: A002  (the dialect's name for an input, as the docs say)
        out: str = "out",
        function: str = "math.{name}",
        renames: Mapping[str, str | None] = _NONE,
        arities: Mapping[str, int] = _NONE,
        where: str | None = None,
        logical_and: str | None = None,
        logical_or: str | None = None,
        logical_not: str | None = None,
        chained: bool = True,
        imports: tuple[str, ...] = ("import math",),
    ) -> None:
        self.name, self.input, self.out, self.function = name, input, out, function
        self.renames, self.arities, self.where, self.chained = renames, arities, where, chained
        self.logical_and, self.logical_or, self.logical_not = logical_and, logical_or, logical_not
        self.imports = imports

    def __repr__(self) -> str:
        return f"Dialect({self.name!r})"

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
    """A part rendered: its text, how tightly it binds, whether it is a truth value,
    whether Python computes it as an int (``whole``) and whether an array, computing
    it in floats, may hold ``-0.0`` where Python's int is ``0`` (``signed``)."""

    __slots__ = ("binding", "signed", "text", "truth", "whole")

    def __init__(
        self,
        text: str,
        binding: int,
        *,
        truth: bool = False,
        whole: bool = False,
        signed: bool = False,
    ) -> None:
        self.text = text
        self.binding = binding
        self.truth = truth
        self.whole = whole or truth
        self.signed = signed or truth

    def at(self, binding: int) -> str:
        """The text, in parentheses if it binds less tightly than ``binding`` needs."""
        return self.text if self.binding >= binding else f"({self.text})"


@functools.lru_cache(maxsize=4096)
def render(text: str, dialect: Dialect) -> str:
    """The expression ``text`` (names ``x0``, ``x1``, ..., ``out``) written for ``dialect``.

    It parses to the same operations in the same order on every target (see the
    module's examples). NotRenderableError says what the gate refuses or the target lacks.
    """
    found = problem(text, {"out", *_INPUT.findall(text)} if type(text) is str else ())
    if found is not None:
        msg = f"{_shown.repr(text)} {found}"
        raise NotRenderableError(msg)
    body = expression(text)
    done: dict[int, _Rendered] = {}
    stack: list[tuple[ast.expr, bool]] = [(body, False)]
    while stack:  # never recursive: parts first, then the whole
        node, ready = stack.pop()
        if ready:
            done[id(node)] = _render_node(node, dialect, done)
        else:
            stack.append((node, True))
            stack.extend((part, False) for part in operands(node))
    result = done[id(body)]
    return result.text if result.truth else _number(result, dialect, _TEST)


def _render_node(node: ast.expr, d: Dialect, done: dict[int, _Rendered]) -> _Rendered:
    """``node`` in dialect ``d``, its parts already rendered in ``done``."""
    if isinstance(node, ast.Name):
        if node.id == "out":
            return _Rendered(d.out, _ATOM)
        return _Rendered(d.input.format(k=int(node.id[1:])), _ATOM)
    if isinstance(node, ast.Constant):
        value = node.value
        return _Rendered(repr(value), _ATOM, truth=type(value) is bool, whole=type(value) is int)
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
        rounded = f in ROUNDING
        text = f"{_named(f, d)}({args})"
        return _Rendered(text, _ATOM, truth=f in PREDICATES, whole=rounded, signed=rounded)
    if isinstance(node, ast.BinOp):
        binding = _BINDING[type(node.op)]
        right_first = isinstance(node.op, ast.Pow)  # x ** y ** z is x ** (y ** z)
        a, b = done[id(node.left)], done[id(node.right)]
        whole = a.whole and b.whole and not isinstance(node.op, ast.Div | ast.Pow)
        if whole:  # an int of ints in Python: its zero is an int's, whatever its sign here
            left = _integer(a, d, binding + right_first)
            right = _integer(b, d, binding + (not right_first))
            text = f"{left} {SYMBOLS[type(node.op)]} {right}"
            return _Rendered(text, binding, whole=True, signed=a.signed or b.signed)
        left = _number(a, d, binding + right_first)
        right = _number(b, d, binding + (not right_first))
        return _Rendered(f"{left} {SYMBOLS[type(node.op)]} {right}", binding)
    if isinstance(node, ast.UnaryOp):
        operand = done[id(node.operand)]
        if isinstance(node.op, ast.Not):
            if d.logical_not is not None:
                return _Rendered(f"{d.logical_not}({operand.at(_TEST)})", _ATOM, truth=True)
            return _Rendered(f"not {operand.at(_NOT)}", _NOT, truth=True)
        sign = "-" if isinstance(node.op, ast.USub) else "+"
        if operand.whole:
            text = f"{sign}{_integer(operand, d, _FACTOR)}"
            return _Rendered(text, _FACTOR, whole=True, signed=operand.signed)
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
        whole = body.whole and orelse.whole
        branches = [p.at(_TEST) if whole else _number(p, d, _TEST) for p in (body, orelse)]
        parts = ", ".join([condition, *branches])
        signed = whole and (body.signed or orelse.signed)
        return _Rendered(f"{d.where}({parts})", _ATOM, truth=truth, whole=whole, signed=signed)
    text = f"{body.at(_OR)} if {test.at(_OR)} else {orelse.at(_TEST)}"
    return _Rendered(text, _TEST, truth=truth)


def _number(part: _Rendered, d: Dialect, binding: int) -> str:
    """``part`` where a float is wanted. Python counts True as 1, but an array of
    truth values is no number (NumPy's exp of one is a float16), so arrays write
    1.0; an int's zero becomes 0.0, so arrays add 0.0 to what may be ``-0.0``."""
    if d.where is None:
        return part.at(binding)
    if part.truth:
        if part.text in ("True", "False"):
            return "1.0" if part.text == "True" else "0.0"
        return f"{d.where}({part.at(_TEST)}, 1.0, 0.0)"
    if part.signed:
        text = f"{part.at(_ARITH)} + 0.0"
        return text if binding <= _ARITH else f"({text})"
    return part.at(binding)


def _integer(part: _Rendered, d: Dialect, binding: int) -> str:
    """``part`` where Python computes with ints: a truth value as a number, an int as it is."""
    return _number(part, d, binding) if part.truth else part.at(binding)


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


@functools.lru_cache(maxsize=1024)
def in_loop(text: str) -> str | int | float:
    """The accepted expression ``text`` as a compiled graph's loop computes it.

    That is ``render(text, LOOP)``; except that a partial that needs no
    computing comes back as where it is: an int for an input (its index; -1 for
    the output), a float for a number.

    >>> in_loop("math.tanh(x0) * x1"), in_loop("(out)"), in_loop("1")
    ('math.tanh(b[a0]) * b[a1]', -1, 1.0)
    """
    body = expression(text)
    if isinstance(body, ast.Name) and problem(text, {body.id}) is None:
        return -1 if body.id == "out" else int(body.id[1:])
    if isinstance(body, ast.Constant) and isinstance(body.value, int | float):
        return float(body.value)
    return render(text, LOOP)
