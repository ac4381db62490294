"""An op's functions on floats, derived from its expressions (:class:`~micrograd_core.op.Inline`).

The functions are the expressions' own text, compiled: an expression the gate
(:mod:`micrograd_core.grammar`) accepted is Python that computes on floats what
the op means. A forward that may overflow checks it and raises the engine's
``DomainError``; a partial that calls math's functions applies, on ``Value`` s,
the ops that claim their methods (gradients of gradients).
"""

from __future__ import annotations

import math

from micrograd_core.errors import DomainError, InvalidOpError

TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import Any, NoReturn

    from micrograd_core.op import Forward, Inline, Partial, _Engine

__all__ = ["derive", "derived_source", "is_derived", "not_finite", "overflowed", "shown"]


def overflowed(name: str, *xs: float) -> NoReturn:
    """Raise the engine's error for ``name``'s result beyond the largest float at ``xs``."""
    args = ", ".join(map(repr, xs))
    msg = f"{name}({args}) overflows a float (beyond 1.8e308)"
    raise DomainError(msg, op_name=name, inputs=xs) from None


def not_finite(name: str, r: float, *xs: float) -> float:
    """``r``, a result that is not finite, unless finite inputs ``xs`` overflowed to it.

    Overflow: a result finite in exact arithmetic but beyond the largest float
    raises DomainError, in every op; infinite and NaN inputs propagate.
    """
    if all(x - x == 0.0 for x in xs):
        overflowed(name, *xs)
    return r


_SOURCE = "<expressions of op {!r}>"


def is_derived(function: object) -> bool:
    """Whether ``function`` was compiled from an op's expressions (not written by hand)."""
    code = getattr(function, "__code__", None)
    return code is not None and code.co_filename.startswith("<expressions of op ")


def derived_source(name: str, inline: Inline) -> str:
    """The source of the functions op ``name`` gets from ``inline``: forward, partial_k.

    Each is its expression as written: an expression the gate accepted is Python
    that computes on floats what the op means.
    """
    from micrograd_core.grammar import overflow  # noqa: PLC0415  (imported when used)

    n = len(inline.partials)
    xs = ", ".join(f"x{k}" for k in range(n))
    forward = inline.forward.strip()
    kind = overflow(forward, n)
    if kind.startswith("math."):  # math.tanh(x0): the function itself
        lines = [f"forward = {kind}", ""]
    else:  # OverflowError, or an infinity from finite inputs where it is silent, overflowed
        result = f"r if r - r == 0.0 else not_finite({name!r}, r, {xs})"
        lines = [f"def forward({xs}):", "    try:", f"        r = {forward}"]
        lines += ["    except OverflowError:", f"        overflowed({name!r}, {xs})"]
        lines += [f"    return {result if kind == 'silent' else 'r'}", ""]
    for k, text in enumerate(inline.partials):
        lines += [f"def partial_{k}({xs}, out):", *_partial_body(text.strip(), k), ""]
    return "\n".join(lines)


def _partial_body(text: str, k: int) -> list[str]:
    """Partial ``k``'s body: ``text``, which on ``Value`` s applies the ops claiming
    math's functions (out is a Value when a gradient of the gradient is built)."""
    if "math" not in text:  # arithmetic only: the same code for floats and Values
        return [f"    return {text}"]
    # "math" is only ever the name math, a function or constant of it being read (the
    # gate lets no other name by, and no name of math's contains it): the same text
    # with the name changed reads values_k's instead
    on_values = text.replace("math", f"values_{k}")
    return ["    if type(out) is float:", f"        return {text}", f"    return {on_values}"]


def derive(name: str, inline: Inline, engine: _Engine) -> tuple[Forward, tuple[Partial, ...]]:
    """Op ``name``'s forward and partials compiled from ``inline``; InvalidOpError if Python
    refuses them (an expression the gate accepted compiles, unless the stack is nearly full)."""
    source = derived_source(name, inline)
    scope = dict(_SCOPE)
    for k, text in enumerate(inline.partials):
        scope[f"values_{k}"] = _OnValues(name, k, text, engine)
    try:
        exec(compile(source, _SOURCE.format(name), "exec"), scope)
    except Exception as e:  # RecursionError, MemoryError: whatever Python says
        msg = (
            f"op {name!r}: its expressions passed the checks but cannot be compiled "
            f"({type(e).__name__}: {e}): forward {shown(inline.forward)}, partials "
            f"{', '.join(map(shown, inline.partials))}"
        )
        raise InvalidOpError(msg, op_name=name) from e
    return scope["forward"], tuple(scope[f"partial_{k}"] for k in range(len(inline.partials)))


def shown(text: str) -> str:
    """An expression in a message: its start and end if it is long."""
    import reprlib  # noqa: PLC0415  (for messages only)

    shown = reprlib.Repr()
    shown.maxstring = 200
    return shown.repr(text)


# what the derived functions' source reads: no builtins, nothing else
_SCOPE: dict[str, Any] = {
    "math": math,
    "type": type,
    "float": float,
    "OverflowError": OverflowError,
    "overflowed": overflowed,
    "not_finite": not_finite,
    "__builtins__": {},
}
_PIECEWISE_CONSTANT = frozenset({"ceil", "floor", "trunc", "isclose", "isfinite", "isinf", "isnan"})


class _OnValues:
    """math, for a partial called on ``Value`` s: ``values.cos(x)`` applies the op
    that claims the method ``cos`` (``pow`` is ``**``); a function that is piecewise
    constant (``math.floor``) reads the values, so its derivative is zero."""

    __slots__ = ("_engine", "_k", "_op", "_text")

    def __init__(self, op: str, k: int, text: str, engine: _Engine) -> None:
        self._op, self._k, self._text, self._engine = op, k, text, engine

    def __getattr__(self, name: str) -> Any:
        if isinstance(getattr(math, name), float):  # a constant: math.pi
            return getattr(math, name)

        def on_values(*args: Any) -> Any:
            return self._call(name, args)

        return on_values

    def _call(self, name: str, args: tuple[Any, ...]) -> Any:
        function = getattr(math, name)
        if all(type(a) in (float, int, bool) for a in args):
            return function(*args)
        if name in _PIECEWISE_CONSTANT:
            return function(*(getattr(a, "data", a) for a in args))
        if name == "pow":
            return args[0] ** args[1]
        try:
            op = self._engine.method(name)
        except Exception as e:
            msg = (
                f"partial {self._k} {shown(self._text)} applies math.{name} to a Value, "
                f"which takes the op that claims the method {name!r}: {e}"
            )
            raise TypeError(msg) from e
        return self._engine.apply(op, *args)
