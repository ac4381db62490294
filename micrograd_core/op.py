"""The op spec: everything the engine needs to know about one operation.

An op is a forward function on floats plus one local partial derivative per
input. A partial is called as ``partial(*inputs, out)`` and sees the forward
output, so ``tanh' = 1 - out**2`` and ``exp' = out`` are one short line each.
The engine calls a partial only for an input that needs a gradient (never for a
constant such as the ``2`` in ``x ** 2``).

A composite op has no forward or partials of its own: ``compose`` builds it
from other ops on ``Value`` s, so the graph records the primitives and there is
no gradient to write.
"""

from __future__ import annotations

import keyword
import math
import re
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from micrograd_core.errors import InvalidOpError
from micrograd_core.graph import backward_rule

if TYPE_CHECKING:
    from micrograd_core.value import Value

__all__ = ["Interval", "Kink", "Op", "Provenance", "validate"]

Forward = Callable[..., float]
Partial = Callable[..., float]

_NAME = re.compile(r"[a-z][a-z0-9_]*\Z")


@dataclass(frozen=True, slots=True)
class Interval:
    """A set of reals ``low .. high``; each end open or closed.

    >>> 0.0 in Interval(0.0, math.inf, include_low=False)
    False
    """

    low: float = -math.inf
    high: float = math.inf
    include_low: bool = True
    include_high: bool = True

    def __contains__(self, x: float) -> bool:
        above = x >= self.low if self.include_low else x > self.low
        below = x <= self.high if self.include_high else x < self.high
        return above and below

    def __str__(self) -> str:
        left = "[" if self.include_low and math.isfinite(self.low) else "("
        right = "]" if self.include_high and math.isfinite(self.high) else ")"
        return f"{left}{self.low:g}, {self.high:g}{right}"


REALS = Interval()


@dataclass(frozen=True, slots=True)
class Kink:
    """A point where the op is not differentiable, and the partials it uses there.

    ``Kink(at=(0.0,), partials=(0.0,))`` is micrograd's ``relu'(0) = 0``.
    """

    at: tuple[float, ...]
    partials: tuple[float, ...]


@dataclass(frozen=True, slots=True)
class Provenance:
    """Where an op came from: the plugin (entry-point name) and its distribution."""

    plugin: str
    distribution: str | None = None
    version: str | None = None

    def __str__(self) -> str:
        if self.distribution is None:
            return f"plugin {self.plugin!r}"
        return f"plugin {self.plugin!r} ({self.distribution} {self.version})"


@dataclass(frozen=True, slots=True)
class Op:
    """One operation: its name, arity, forward value and local gradient.

    >>> square = Op("square", 1, forward=lambda x: x * x, partials=(lambda x, out: 2 * x,))
    >>> square.forward(3.0), square.partials[0](3.0, 9.0)
    (9.0, 6.0)

    ``domain`` gives one interval per input where the op is smooth (empty: all
    reals); tools draw test inputs from it. ``kinks`` lists the points where the
    op is not differentiable and the partials it uses there. ``method`` is the
    name it claims on ``Value`` (``x.tanh()``). The registry fills in
    ``provenance``.
    """

    name: str
    arity: int
    forward: Forward | None = None
    partials: tuple[Partial, ...] = ()
    compose: Callable[..., Value] | None = None
    method: str | None = None
    doc: str = ""
    domain: tuple[Interval, ...] = ()
    kinks: tuple[Kink, ...] = ()
    provenance: Provenance | None = None
    # How the engine pushes a node's gradient to its inputs; derived from the partials.
    backward: Callable[[Value], None] = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "backward", backward_rule(self.partials))

    @property
    def is_composite(self) -> bool:
        """Whether the op is built from other ops rather than having its own gradient."""
        return self.compose is not None

    def input_domain(self, i: int) -> Interval:
        """The interval input ``i`` is drawn from (all reals when none is declared)."""
        return self.domain[i] if self.domain else REALS

    def __call__(self, *args: Value | float) -> Value:
        """Apply the op to ``Value`` s or numbers and record it in the graph."""
        from micrograd_core.value import apply  # noqa: PLC0415  (value imports op)

        return apply(self, *args)


def validate(op: object, *, reserved: frozenset[str] = frozenset()) -> Op:
    """Check an op spec and return it, or raise :class:`InvalidOpError` saying what is wrong.

    ``reserved`` holds attribute names an op may not claim as its method.
    """
    if not isinstance(op, Op):
        msg = f"expected an Op, got {type(op).__name__!r}"
        raise InvalidOpError(msg)
    name = op.name
    if not isinstance(name, str) or not _NAME.match(name) or keyword.iskeyword(name):
        msg = f"op name {name!r} is not a lowercase identifier (expected e.g. 'softplus')"
        raise InvalidOpError(msg, op_name=str(name))
    problem = _problem(op, reserved)
    if problem is not None:
        msg = f"op {name!r}: {problem}"
        raise InvalidOpError(msg, op_name=name)
    return op


def _problem(op: Op, reserved: frozenset[str]) -> str | None:
    """What is wrong with ``op`` besides its name, or None."""
    if type(op.arity) is not int or op.arity < 1:
        return f"arity must be a positive int, got {op.arity!r}"
    if op.compose is not None:
        if op.forward is not None or op.partials:
            return "a composite op defines compose only, not forward or partials"
        if not callable(op.compose):
            return f"compose must be callable, got {type(op.compose).__name__!r}"
    else:
        if not callable(op.forward):
            return f"forward must be callable, got {type(op.forward).__name__!r}"
        if len(op.partials) != op.arity:
            return f"has arity {op.arity} but {len(op.partials)} partials (expected one per input)"
        for i, partial in enumerate(op.partials):
            if not callable(partial):
                return f"partial {i} must be callable, got {type(partial).__name__!r}"
    if op.domain and (
        len(op.domain) != op.arity or not all(isinstance(d, Interval) for d in op.domain)
    ):
        return f"domain must hold {op.arity} Interval(s), one per input"
    for kink in op.kinks:
        if len(kink.at) != op.arity or len(kink.partials) != op.arity:
            return f"kink {kink} must give {op.arity} input(s) and {op.arity} partial(s)"
    method = op.method
    if method is not None:
        if not isinstance(method, str) or not method.isidentifier() or method.startswith("_"):
            return f"method name {method!r} must be a public identifier such as 'tanh'"
        if method in reserved:
            return f"cannot claim method {method!r}: Value already uses it for another purpose"
    if not isinstance(op.doc, str):
        return f"doc must be a string, got {type(op.doc).__name__!r}"
    return None
