"""Derivatives as functions: ``grad`` (to any order), ``hessian``, ``jvp`` and friends.

Every op's local gradient is a small rule next to its forward, called as
``partial(*inputs, out)``. ``backward()`` calls it on floats. Here it may also
be called on ``Value`` s: a rule written with arithmetic and registered ops
(``1 - out**2``, ``y * x ** (y - 1)``, ``cos(x)`` through :func:`float_or_op`)
then builds the graph of the gradient, which can be differentiated again, to
any order, with no second rule per order. A rule that cannot be (it calls
``math.cos`` on what it is given) raises :class:`NotDifferentiableError`
naming the op, never a wrong number. A partial that is piecewise constant
(``1.0 if out > 0 else 0.0``) gives a float, so its derivative is zero.

Nothing here touches ``.grad``.
"""

from __future__ import annotations

import math
from collections.abc import Sequence

from micrograd_core.errors import NotDifferentiableError, OperandTypeError
from micrograd_core.graph import NOT_NEEDED, local_partials, node_of, topological_order
from micrograd_core.op import Op
from micrograd_core.value import Value, apply

TYPE_CHECKING = False  # typing.TYPE_CHECKING, without importing typing at start-up
if TYPE_CHECKING:
    from collections.abc import Callable
    from typing import SupportsFloat, TypeAlias, overload

    from micrograd_core.op import Interval

    Function: TypeAlias = Callable[..., Value]

__all__ = [
    "float_or_op",
    "grad",
    "hessian",
    "hvp",
    "jacobian",
    "jvp",
    "local_partials",
    "supports_higher_order",
    "value_and_grad",
]


class float_or_op:  # a function to its users, with a typed call per argument type
    """A function for gradient rules: ``on_floats`` on a float, the op ``op`` on a ``Value``.

    >>> import math
    >>> from micrograd_core import Value
    >>> cos = float_or_op(math.cos, "cos_example")
    >>> cos(0.0)
    1.0

    A rule such as ``sin' = cos(x)`` written with it runs at float speed in
    ``backward()`` and builds a graph when a gradient of the gradient is wanted.
    ``op`` is an op, or the name of one in the active registry.
    """

    __slots__ = ("on_floats", "op")

    def __init__(self, on_floats: Callable[[float], float], op: Op | str) -> None:
        self.on_floats = on_floats
        self.op = op

    if TYPE_CHECKING:

        @overload
        def __call__(self, x: float, /) -> float: ...
        @overload
        def __call__(self, x: Value, /) -> Value: ...

    def __call__(self, x: float | Value, /) -> float | Value:
        """``on_floats(x)``, or the op applied to the ``Value`` ``x``."""
        if type(x) is Value:
            return apply(self.op, x)
        return self.on_floats(x)  # type: ignore[arg-type]

    def __repr__(self) -> str:
        name = getattr(self.on_floats, "__name__", repr(self.on_floats))
        return f"float_or_op({name}, {getattr(self.op, 'name', self.op)!r})"


def supports_higher_order(op: Op) -> bool:
    """Whether ``op``'s gradient rule also works on ``Value`` s: gradients of any order.

    Probed at one point inside the op's domain (a composite: every op it is
    built from). A rule that fails there on Values (it calls ``math.cos`` on
    its inputs) does not.

    >>> import math
    >>> supports_higher_order(Op("sq", 1, forward=lambda x: x * x, partials=(lambda x, o: 2 * x,)))
    True
    >>> supports_higher_order(Op("s", 1, forward=math.sin, partials=(lambda x, o: math.cos(x),)))
    False
    """
    count = op.arity + op.variadic
    try:
        out = apply(op, *(Value(_inside(op.input_domain(i))) for i in range(count)))
        for node in topological_order(out):
            local_partials(node, on_values=True)
    except NotDifferentiableError:
        return False
    except Exception:  # noqa: BLE001  (an op that fails at the probe shows no support)
        return False
    return True


def _inside(interval: Interval) -> float:
    """A point inside ``interval``, away from 0 and 1 (where rules often simplify)."""
    for x in (0.7, 1.3, -0.7, interval.low + 0.7, interval.high - 0.7):
        if x in interval and math.isfinite(x):
            return x
    return (interval.low + interval.high) / 2


def grad(output: Value, inputs: Sequence[Value], *, create_graph: bool = False) -> list[Value]:
    """The gradients of ``output`` with respect to each of ``inputs``, as ``Value`` s.

    Like ``torch.autograd.grad``: no ``.grad`` is touched, and an input that
    ``output`` does not depend on gets a zero. With ``create_graph=True`` each
    gradient is a graph of registered ops, so it can be differentiated again:

    >>> from micrograd_core import Value
    >>> x = Value(3.0)
    >>> (dy,) = grad(x**3, [x], create_graph=True)
    >>> (d2y,) = grad(dy, [x])
    >>> dy.data, d2y.data, x.grad
    (27.0, 18.0, 0.0)
    """
    if type(output) is not Value:
        msg = f"grad() differentiates a Value, got {type(output).__name__!r}"
        raise OperandTypeError(msg)
    wanted = _values(inputs, "grad()", "inputs")
    adjoints: dict[Value, float | Value] = {output: Value(1.0) if create_graph else 1.0}
    for node in reversed(topological_order(output)):
        g = adjoints.get(node)
        if g is None or node._op is None:
            continue
        inputs_ = node_of(node).inputs
        for x, d in zip(inputs_, local_partials(node, on_values=create_graph), strict=True):
            if d is NOT_NEEDED:
                continue
            contribution = d * g
            previous = adjoints.get(x)
            adjoints[x] = contribution if previous is None else previous + contribution
    result = []
    for x in wanted:
        g = adjoints.get(x, 0.0)
        result.append(g if isinstance(g, Value) else Value(g))
    return result


def _values(xs: object, where: str, what: str) -> list[Value]:
    if isinstance(xs, Value) or not isinstance(xs, Sequence):
        msg = f"{where} takes a sequence of Values as {what}, got {type(xs).__name__!r}"
        raise OperandTypeError(msg)
    for x in xs:
        if type(x) is not Value:
            msg = f"{where} takes Values as {what}, got {type(x).__name__!r}"
            raise OperandTypeError(msg)
    return list(xs)


def _call(f: Function, primals: Sequence[SupportsFloat], where: str) -> tuple[list[Value], Value]:
    """``f`` called on one fresh leaf per primal, and what it returned (a ``Value``)."""
    if isinstance(primals, str | bytes) or not isinstance(primals, Sequence):
        msg = f"{where} takes a sequence of numbers as primals, got {type(primals).__name__!r}"
        raise OperandTypeError(msg)
    xs = [Value(p) for p in primals]
    y = f(*xs)
    if type(y) is not Value:
        msg = f"{where}: f must return a Value, got {type(y).__name__!r}"
        raise OperandTypeError(msg)
    return xs, y


def value_and_grad(f: Function, primals: Sequence[SupportsFloat]) -> tuple[float, list[float]]:
    """``f(*primals)`` and its gradient, without touching any ``.grad``.

    >>> value_and_grad(lambda x, y: x * y + y, [2.0, 3.0])
    (9.0, [3.0, 3.0])
    """
    xs, y = _call(f, primals, "value_and_grad()")
    return y.data, [g.data for g in grad(y, xs)]


def hessian(f: Function, primals: Sequence[SupportsFloat]) -> list[list[float]]:
    """The matrix of second derivatives of ``f`` at ``primals``; ``f`` is called as ``f(*values)``.

    >>> hessian(lambda x, y: x * x * y, [3.0, 2.0])
    [[4.0, 6.0], [6.0, 0.0]]
    """
    xs, y = _call(f, primals, "hessian()")
    first = grad(y, xs, create_graph=True)
    return [[g.data for g in grad(d, xs)] for d in first]


def hvp(
    f: Function, primals: Sequence[SupportsFloat], tangents: Sequence[SupportsFloat]
) -> tuple[float, list[float]]:
    """``f(*primals)`` and the Hessian of ``f`` times the vector ``tangents``.

    Two reverse passes, whatever the number of inputs: the gradient of
    ``gradient · tangents``, never the whole Hessian.

    >>> hvp(lambda x, y: x * x * y, [3.0, 2.0], [1.0, 0.0])
    (18.0, [4.0, 6.0])
    """
    xs, y = _call(f, primals, "hvp()")
    v = _same_length(tangents, xs, "hvp()")
    first = grad(y, xs, create_graph=True)
    dot = Value(0.0)  # no primals: an empty sum, and an empty product
    for g, t in zip(first, v, strict=True):
        dot = dot + g * t
    return y.data, [g.data for g in grad(dot, xs)]


def _same_length(tangents: Sequence[SupportsFloat], xs: Sequence[Value], where: str) -> list[float]:
    if isinstance(tangents, str | bytes) or not isinstance(tangents, Sequence):
        msg = f"{where} takes a sequence of numbers as tangents, got {type(tangents).__name__!r}"
        raise OperandTypeError(msg)
    if len(tangents) != len(xs):
        msg = f"{where} takes one tangent per primal: {len(xs)} primals, {len(tangents)} tangents"
        raise ValueError(msg)
    return [Value(t).data for t in tangents]


def jvp(
    f: Function, primals: Sequence[SupportsFloat], tangents: Sequence[SupportsFloat]
) -> tuple[float, float]:
    """``f(*primals)`` and its directional derivative along ``tangents``, in forward mode.

    ``f`` runs once, and each node's tangent is pushed forward from its inputs'
    through the op's partials, in the order the nodes were made: no reverse
    pass, and no ``.grad`` touched.

    >>> jvp(lambda x, y: x * y, [2.0, 3.0], [1.0, 0.0])
    (6.0, 3.0)
    """
    xs, y = _call(f, primals, "jvp()")
    v = _same_length(tangents, xs, "jvp()")
    tangent: dict[Value, float] = dict(zip(xs, v, strict=True))
    for node in topological_order(y):
        if node._op is None:
            continue
        total = 0.0
        inputs = node_of(node).inputs
        for x, d in zip(inputs, local_partials(node, on_values=False), strict=True):
            t = tangent.get(x)
            if d is not NOT_NEEDED and t:
                total += d * t
        tangent[node] = total
    return y.data, tangent.get(y, 0.0)


def jacobian(
    f: Callable[..., Value | Sequence[Value]], primals: Sequence[SupportsFloat]
) -> list[list[float]]:
    """The Jacobian of ``f`` at ``primals``: one row per output, one column per input.

    >>> jacobian(lambda x, y: [x * y, x + y], [2.0, 3.0])
    [[3.0, 2.0], [1.0, 1.0]]
    """
    if isinstance(primals, str | bytes) or not isinstance(primals, Sequence):
        msg = f"jacobian() takes a sequence of numbers as primals, got {type(primals).__name__!r}"
        raise OperandTypeError(msg)
    xs = [Value(p) for p in primals]
    outputs = f(*xs)
    ys = [outputs] if type(outputs) is Value else _values(outputs, "jacobian()", "f's outputs")
    return [[g.data for g in grad(y, xs)] for y in ys]
