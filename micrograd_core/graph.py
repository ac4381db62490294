"""Reverse-mode differentiation: topological order and gradient accumulation.

The graph is a DAG of ``Value`` nodes; each op node holds its op and its inputs.
Nothing points back from an input to its users, so a dropped graph has no
reference cycles and is freed by reference counting alone. Both walks below are
loops over an explicit stack: depth is not limited by Python's recursion limit.

How a node stores its inputs is the engine's own business (see ``Value``);
every tool outside the engine reads a node through :func:`node_of`.
"""

from __future__ import annotations

from collections import namedtuple
from operator import countOf

from micrograd_core.errors import (
    DomainError,
    InvalidOpError,
    MicrogradError,
    NotDifferentiableError,
)

TYPE_CHECKING = False  # typing.TYPE_CHECKING, without importing typing at start-up
if TYPE_CHECKING:
    import enum
    from collections.abc import Sequence
    from typing import Any, Final, Literal, NamedTuple, overload

    from micrograd_core.op import Op
    from micrograd_core.value import Value

__all__ = [
    "CONSTANT",
    "NOT_NEEDED",
    "Node",
    "backward",
    "local_partials",
    "node_of",
    "real_result",
    "topological_order",
]


class _ConstantInputs(tuple):  # type: ignore[type-arg]
    """The empty input tuple of a constant: a marker distinct from a leaf's ``()``."""

    __slots__ = ()


# A number used as an operand (the 2 in ``x ** 2``) becomes a leaf whose inputs
# (``_prev``) are this marker, kept in the node's ``_a``. The engine never
# evaluates a partial for it: d/dy of x ** y is undefined for x < 0, yet x ** 2
# must differentiate there.
CONSTANT: tuple[Value, ...] = _ConstantInputs()

# What an op's forward or partial raises outside its domain (math domain
# error, division by zero, overflow): reported as a DomainError naming the op.
_UNDEFINED = (ValueError, ArithmeticError)


if TYPE_CHECKING:

    class _NodeFields(NamedTuple):
        op: Op | None
        inputs: tuple[Value, ...]
        constant: bool

else:  # the class typing.NamedTuple makes, without importing typing at start-up
    _NodeFields = namedtuple("_NodeFields", ["op", "inputs", "constant"])


class Node(_NodeFields):
    """What a ``Value`` is in its graph: the op that made it and that op's inputs.

    A leaf has no op and no inputs; a constant (the ``2`` in ``x ** 2``) is a
    leaf the engine never differentiates.
    """

    __slots__ = ()


def node_of(value: Value) -> Node:
    """The read-only view of ``value`` as a node of its graph.

    >>> from micrograd_core import Value
    >>> x = Value(3.0)
    >>> y = x * 2
    >>> node = node_of(y)
    >>> node.op.name, node.inputs[0] is x, node_of(node.inputs[1]).constant
    ('mul', True, True)
    """
    a, b = value._a, value._b
    if value._op is None:
        return Node(None, (), a is CONSTANT)
    if b is None:
        inputs: tuple[Value, ...] = (a,)
    else:
        inputs = (a, *b) if type(b) is tuple else (a, b)
    return Node(value._op, inputs, False)


def real_result(result: object, op: Op, what: str) -> float:
    """``result`` of ``op``'s ``what`` (forward, a partial) as a float, or InvalidOpError.

    Ints and bools become floats (NaN and inf are floats already); anything else
    (a complex, a string, None, a list) is a bug in the op.
    """
    import numbers  # noqa: PLC0415  (a result that is no float is rare: not at start-up)

    if isinstance(result, numbers.Real):  # int, bool, Fraction, numpy's reals; not complex
        try:
            return float(result)
        except (TypeError, ValueError, OverflowError) as e:
            cause = f"returned {_short(result)}, which is no float ({e})"
    else:
        cause = f"returned {type(result).__name__!r} {_short(result)}, expected a real number"
    msg = f"{op.origin()}: its {what} {cause}"
    raise InvalidOpError(msg, op_name=op.name, plugin=op.plugin)


def _short(x: object) -> str:
    text = repr(x)
    return text if len(text) <= 40 else text[:37] + "..."


def topological_order(root: Value) -> list[Value]:
    """Every node ``root`` depends on, inputs before the nodes that use them.

    An iterative depth-first post-order: a node is pushed back under a ``None``
    marker before its inputs, and emitted when the marker comes off the stack,
    that is once all its inputs have been emitted. A leaf is emitted at once.
    """
    order: list[Value] = []
    visited: set[Value] = set()
    stack: list[Value | None] = [root]
    push, pop, emit, visit = stack.append, stack.pop, order.append, visited.add
    # The ``continue`` statements matter for speed: CPython 3.11 only specialises
    # a function's bytecode after a few unconditional backward jumps, and a
    # ``while`` loop without them has none.
    while stack:
        node = pop()
        if node is None:
            emit(pop())  # type: ignore[arg-type]  # the node under its marker
            continue
        if node in visited:
            continue
        visit(node)
        if node._op is None:  # a leaf or a constant: no inputs to wait for
            emit(node)
            continue
        push(node)
        push(None)
        a, b = node._a, node._b
        if a not in visited:
            push(a)
        if b is None:
            continue
        if type(b) is tuple:  # inputs 2..n of an n-ary op
            for x in b:  # shared inputs (a neuron's weights) are mostly visited
                if x not in visited:
                    push(x)
            continue
        if b not in visited:
            push(b)
    return order


def backward(root: Value) -> None:
    """Accumulate d(root)/d(node) into ``node.grad`` for every node under ``root``.

    ``root.grad`` is set to 1; every other gradient is added to, as in
    micrograd: call ``zero_grad()`` (or reset ``.grad``) between passes. For
    each node, ``input.grad += partial(*inputs, out) * node.grad`` for every
    input that is not a constant; unary and binary nodes are unrolled here (a
    partial checked by :func:`real_result`), the rest go to :func:`_accumulate`.
    """
    order = topological_order(root)
    root.grad = 1.0
    node = root
    op: Op | None = None
    try:
        for node in reversed(order):
            op = node._op
            if op is None:
                continue
            b = node._b
            if op.gradient is None and type(b) is not tuple:
                a = node._a
                g = node.grad
                if b is None:
                    if a._a is not CONSTANT:
                        d = op.partials[0](a.data, node.data)
                        if type(d) is not float:
                            d = real_result(d, op, "partial 0")
                        a.grad += d * g
                    continue
                x, y, out = a.data, b.data, node.data
                if a._a is not CONSTANT:
                    d = op.partials[0](x, y, out)
                    if type(d) is not float:
                        d = real_result(d, op, "partial 0")
                    a.grad += d * g
                if b._a is not CONSTANT:
                    d = op.partials[1](x, y, out)
                    if type(d) is not float:
                        d = real_result(d, op, "partial 1")
                    b.grad += d * g
                continue
            _accumulate(node, op)
    except (MicrogradError, TypeError, *_UNDEFINED) as e:
        error = partials_error(node, op, e)
        if error is e:  # already says what went wrong
            raise
        raise error from e


if TYPE_CHECKING:  # mypy tells ``d is NOT_NEEDED`` from a number only for an enum member

    class _NotNeeded(enum.Enum):
        NOT_NEEDED = "NOT_NEEDED"

    NOT_NEEDED: Final = _NotNeeded.NOT_NEEDED

else:

    class _NotNeeded:
        """What :func:`local_partials` gives for an input that needs no gradient (a
        constant): its partial is never used, and never evaluated unless the op gives
        all its partials at once (``gradient=``). One object, as an enum member is (the
        enum module is not imported at start-up)."""

        __slots__ = ()

        def __repr__(self) -> str:
            return "NOT_NEEDED"

        def __reduce__(self) -> str:  # a copy or an unpickled one is NOT_NEEDED itself
            return "NOT_NEEDED"

    NOT_NEEDED = _NotNeeded()


if TYPE_CHECKING:

    @overload
    def local_partials(
        node: Value, *, on_values: Literal[False] = False
    ) -> list[float | _NotNeeded]: ...
    @overload
    def local_partials(node: Value, *, on_values: bool) -> list[float | Value | _NotNeeded]: ...


def local_partials(node: Value, *, on_values: bool = False) -> list[Any]:
    """The partial derivatives of ``node``'s op at ``node``, one per input, checked.

    The one path by which the engine asks an op for its partials: ``backward()``,
    ``grad``, ``jvp``, ``hessian`` and compiled graphs all go through it (or,
    for unary and binary nodes in ``backward()``, through the same check,
    unrolled). A partial is evaluated only for an input that needs a gradient;
    a constant input gets :data:`NOT_NEEDED`. Each result is checked with
    :func:`real_result`: a float as it is, an int, a bool or another real
    number as ``float()`` makes it, anything else (None, a string, a complex)
    an :class:`InvalidOpError` naming the op and its plugin. A math error in a
    partial is a :class:`DomainError`, a ``TypeError`` the op's bug.

    With ``on_values`` the rules are called on the inputs as ``Value`` s
    (constants as floats) and on the output ``node`` itself, so a partial may
    also be a ``Value`` (the graph of the gradient, for gradients of
    gradients); a rule that fails on ``Value`` s with a ``TypeError`` raises
    :class:`NotDifferentiableError`.

    >>> from micrograd_core import Value
    >>> x = Value(3.0)
    >>> local_partials(x * 2)
    [2.0, NOT_NEEDED]
    """
    op = node._op
    if op is None:
        return []
    inputs = node_of(node).inputs
    try:
        ds = _partials(node, op, inputs, on_values)
    except (MicrogradError, TypeError, *_UNDEFINED) as e:
        if on_values and isinstance(e, TypeError) and not isinstance(e, MicrogradError):
            raise _not_differentiable(op, e) from e
        error = partials_error(node, op, e)
        if error is e:
            raise
        raise error from e
    if op.gradient is not None:  # computed and checked for every input: hide the unneeded
        return [NOT_NEEDED if x._a is CONSTANT else d for x, d in zip(inputs, ds, strict=True)]
    return list(ds)


def _partials(node: Value, op: Op, inputs: tuple[Value, ...], on_values: bool) -> Sequence[Any]:
    """``op``'s partials at ``node``: checked numbers (Values too, ``on_values``), and
    NOT_NEEDED for a constant input, unless the op's ``gradient`` gave them all."""
    if on_values:
        args: list[object] = [x.data if x._a is CONSTANT else x for x in inputs]
        args.append(node)
    else:
        args = [x.data for x in inputs]
        args.append(node.data)
    gradient = op.gradient
    if gradient is not None:
        return _gradient_checked(
            gradient(*args), op, len(inputs), type(node) if on_values else None
        )
    each: list[object] = [  # a partial only for an input that needs it
        NOT_NEEDED if x._a is CONSTANT else partial(*args)
        for x, partial in zip(inputs, op.partials, strict=True)
    ]
    if countOf(map(type, each), float) == len(each):
        return each
    return _checked(each, op, "partial {}", type(node) if on_values else None)


def _gradient_checked(ds: object, op: Op, n: int, value: type | None) -> Sequence[Any]:
    """What ``op``'s gradient rule returned for ``n`` inputs, checked (``value``: the type
    of a partial also accepted, ``Value`` on Values)."""
    try:
        count = len(ds)  # type: ignore[arg-type]
    except TypeError:
        count = -1
    if count != n:
        got = f"{count} partials" if count >= 0 else f"a {type(ds).__name__!r}"
        msg = f"{op.origin()}: gradient gave {got} for {n} inputs"
        raise InvalidOpError(msg, op_name=op.name, plugin=op.plugin)
    if countOf(map(type, ds), float) == n:  # type: ignore[call-overload]  # nearly always
        return ds  # type: ignore[return-value]  # whatever sequence the rule returned
    return _checked(ds, op, "gradient[{}]", value)  # type: ignore[arg-type]


def _checked(ds: Sequence[object], op: Op, what: str, value: type | None) -> list[Any]:
    """Each of ``ds`` checked with :func:`real_result`, but for floats, NOT_NEEDED and
    (on Values) a ``Value``."""
    return [
        d
        if type(d) is float or d is NOT_NEEDED or type(d) is value
        else real_result(d, op, what.format(i))
        for i, d in enumerate(ds)
    ]


def _accumulate(node: Value, op: Op) -> None:
    """Push the gradient of an n-ary node, or of an op giving its gradient at once."""
    a, b = node._a, node._b
    inputs: tuple[Value, ...] = (a,) if b is None else (a, *b) if type(b) is tuple else (a, b)
    gradient = op.gradient
    if gradient is None:
        ds = _partials(node, op, inputs, False)
    else:  # _partials' first lines, unrolled for the bulk of a neuron's backward pass
        args = [x.data for x in inputs]
        args.append(node.data)
        ds = gradient(*args)
        n = len(inputs)
        if type(ds) is not list or len(ds) != n or countOf(map(type, ds), float) != n:
            ds = _gradient_checked(ds, op, n, None)
    g = node.grad
    for x, d in zip(inputs, ds):  # noqa: B905  (checked)
        if x._a is not CONSTANT:
            x.grad += d * g  # floats: not on_values


def partials_error(node: Value, op: Op | None, error: Exception) -> Exception:
    """The engine's error for what ``node``'s partials raised: a ``MicrogradError`` as it
    is (a ``DomainError`` of the op given its plugin), a math error as a ``DomainError``,
    a ``TypeError`` as the op's bug."""
    if isinstance(error, MicrogradError):
        fill_plugin(error, op)
        return error
    if isinstance(error, _UNDEFINED):
        return _undefined_partial(node, op, error)
    name = op.origin() if op is not None else "an op"
    msg = f"{name}: its partial derivatives raised TypeError: {error}"
    return InvalidOpError(
        msg, op_name=getattr(op, "name", None), plugin=getattr(op, "plugin", None)
    )


def fill_plugin(error: MicrogradError, op: Op | None) -> None:
    """Give ``op``'s plugin to ``error``, raised by ``op``'s own code, if it is a
    ``DomainError`` of ``op`` without one (an op's functions do not know which
    plugin ships them)."""
    if (
        isinstance(error, DomainError)
        and error.plugin is None
        and op is not None
        and error.op_name == op.name
    ):
        error.plugin = op.plugin


def _not_differentiable(op: Op, cause: TypeError) -> NotDifferentiableError:
    msg = (
        f"{op.origin()} does not support gradients of its gradient: its gradient rule "
        f"failed on Values ({cause}); write it with arithmetic and registered ops "
        "(float_or_op(math.cos, 'cos') instead of math.cos) to support any order"
    )
    return NotDifferentiableError(msg, op_name=op.name, plugin=op.plugin)


def _undefined_partial(node: Value, op: Op | None, cause: Exception) -> DomainError:
    name = op.name if op is not None else "?"
    xs = [a.data for a in node_of(node).inputs]
    msg = f"{name}: a partial derivative at {tuple(xs)} is undefined ({cause})"
    return DomainError(msg, op_name=name, inputs=xs, plugin=getattr(op, "plugin", None))
