"""What a target of :mod:`micrograd_core.interop` does, and the rules it is given.

A backend (:mod:`micrograd_core._interop_torch`, :mod:`micrograd_core._interop_jax`)
converts a function's inputs to its tensors (arrays) and makes functions of an
op's rendered expressions (a :class:`_Rule`) or, for an op with functions only,
of its float functions, one element at a time (a :class:`_Derivative`). The
target's package is imported when a backend first needs it (:func:`_module`).
"""

from __future__ import annotations

import importlib
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

from micrograd_core.functional import grad
from micrograd_core.op import Op
from micrograd_core.value import Value

__all__ = ["TensorFunction"]

TensorFunction = Callable[..., Any]


def _module(name: str) -> Any:
    """An optional package (torch, jax, numpy), imported when a translation needs it."""
    return importlib.import_module(name)


@dataclass(frozen=True, slots=True)
class _Rule:
    """An op's expressions for ``n`` inputs, rendered for a target and compiled.

    Each function takes the inputs, then the output, then the target's module
    (``torch``, or a stand-in that types Python's numbers): ``forward(x0, ...,
    out=None, m)``.
    """

    forward: Callable[..., Any]
    partials: tuple[Callable[..., Any], ...]


class _Backend:
    """What a target does: convert inputs, and make functions of rendered or float rules."""

    def convert(self, op: Op, xs: Sequence[Any]) -> list[Any]:
        raise NotImplementedError

    def rendered(self, op: Op, rule: _Rule) -> TensorFunction:
        raise NotImplementedError

    def elementwise(self, op: Op) -> TensorFunction:
        raise NotImplementedError

    def rule_values(self, rule: _Rule, xs: tuple[float, ...], out: float) -> list[float]:
        """The rule's forward at ``xs`` and its partials at ``xs`` and ``out``, as floats."""
        raise NotImplementedError

    def bits(self) -> int:
        """The significand bits of the floats :meth:`rule_values` computes in."""
        return 53


@dataclass(frozen=True, slots=True)
class _Derivative:
    """The derivative of ``op`` along inputs ``path`` (none: its value), one point at a time."""

    op: Op
    path: tuple[int, ...] = ()

    def at(self, xs: Sequence[float]) -> float:
        if not self.path:
            return self.op(*xs).data
        # only the inputs it is taken along are Values: the others are constants, whose
        # partials are never computed (d/dy of x ** y at x < 0 has no value)
        args: list[Value | float] = list(xs)
        for i in self.path:
            args[i] = Value(xs[i]) if type(args[i]) is float else args[i]
        y = self.op(*args)
        last = len(self.path) - 1
        for k, i in enumerate(self.path):
            leaf = args[i]
            assert isinstance(leaf, Value)
            (y,) = grad(y, [leaf], create_graph=k < last)
        return y.data

    def then(self, i: int) -> _Derivative:
        return _Derivative(self.op, (*self.path, i))


def _real_dtype_error(op: Op, dtype: object) -> TypeError:
    msg = f"{op.origin()} computes on real floats, got inputs of dtype {dtype}"
    return TypeError(msg)
