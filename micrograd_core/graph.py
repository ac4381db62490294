"""Reverse-mode differentiation: topological order and gradient accumulation.

The graph is a DAG of ``Value`` nodes; each op node holds its op and its inputs
(``_a``, ``_b``: see ``Value``). Nothing points back from an input to its users,
so a dropped graph has no reference cycles and is freed by reference counting alone.
Both walks below are loops over an explicit stack: depth is not limited by
Python's recursion limit.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING

from micrograd_core.errors import DomainError, InvalidOpError, MicrogradError

if TYPE_CHECKING:
    from micrograd_core.value import Value

__all__ = ["CONSTANT", "backward", "backward_rule", "topological_order"]


class _ConstantInputs(tuple):  # type: ignore[type-arg]
    """The empty input tuple of a constant: a marker distinct from a leaf's ``()``."""

    __slots__ = ()


# A number used as an operand (the 2 in ``x ** 2``) becomes a leaf whose inputs
# (``_prev``) are this marker, kept in the node's ``_a``. The engine never
# evaluates a partial for it: d/dy of x ** y is undefined for x < 0, yet x ** 2
# must differentiate there.
CONSTANT: tuple[Value, ...] = _ConstantInputs()


def backward_rule(
    partials: Sequence[Callable[..., float]],
    gradient: Callable[..., Sequence[float]] | None = None,
) -> Callable[[Value], None]:
    """Make the function that pushes a node's gradient into its inputs.

    It computes ``input.grad += partial(*inputs, out) * node.grad`` for every
    input that is not a constant. Arity 1 and 2 are unrolled: they are nearly
    every node, and the backward pass is mostly these calls. An op that gives
    its ``gradient`` all at once (any number of inputs) has it called once.
    """
    if gradient is not None:

        def all_at_once(node: Value) -> None:
            b = node._b
            if b is None:
                prev: tuple[Value, ...] = (node._a,)
            else:
                prev = (node._a, *b) if type(b) is tuple else (node._a, b)
            args = [a.data for a in prev]
            args.append(node.data)
            ds = gradient(*args)
            if len(ds) != len(prev):
                name = node._op.name if node._op is not None else "?"
                msg = f"op {name!r}: gradient gave {len(ds)} partials for {len(prev)} inputs"
                raise InvalidOpError(msg, op_name=name)
            g = node.grad
            for a, d in zip(prev, ds, strict=False):  # lengths checked above
                if a._a is not CONSTANT:
                    a.grad += d * g

        return all_at_once

    if len(partials) == 1:
        (d0,) = partials

        def unary(node: Value) -> None:
            a = node._a
            if a._a is not CONSTANT:
                a.grad += d0(a.data, node.data) * node.grad

        return unary

    if len(partials) == 2:
        d0, d1 = partials

        def binary(node: Value) -> None:
            a, b = node._a, node._b
            x, y, out, g = a.data, b.data, node.data, node.grad
            if a._a is not CONSTANT:
                a.grad += d0(x, y, out) * g
            if b._a is not CONSTANT:
                b.grad += d1(x, y, out) * g

        return binary

    rules = tuple(partials)

    def nary(node: Value) -> None:
        prev = (node._a, *node._b)
        args = [a.data for a in prev]
        args.append(node.data)
        g = node.grad
        for a, d in zip(prev, rules, strict=True):
            if a._a is not CONSTANT:
                a.grad += d(*args) * g

    return nary


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
    micrograd: call ``zero_grad()`` (or reset ``.grad``) between passes.
    """
    order = topological_order(root)
    root.grad = 1.0
    try:
        for node in reversed(order):
            op = node._op
            if op is not None:
                op.backward(node)
    except MicrogradError:  # already says what went wrong
        raise
    except (ValueError, ArithmeticError) as e:
        name = op.name if op is not None else "?"
        xs = [a.data for a in node._prev]
        msg = f"{name}: a partial derivative at {tuple(xs)} is undefined ({e})"
        raise DomainError(msg, op_name=name, inputs=xs) from e
