"""The array code of a batched graph: each step of a :mod:`~micrograd_core._batch_plan`
run on NumPy arrays, forward and backward.

A step's arrays hold one row per node and one column per example (a block of
the batch's columns), or one column for what does not depend on the batch
(``U``), which broadcasts against the examples. An op's forward and partials are
its own expressions rendered in NumPy's dialect
(:func:`~micrograd_core.dialect.render`); an op without them calls its float
functions once per node and example.

Nothing here imports NumPy at import time: the module is handed to the functions
that need it (``np``).
"""

from __future__ import annotations

import ast
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from micrograd_core.dialect import NUMPY, NotRenderableError, render
from micrograd_core.errors import InvalidOpError
from micrograd_core.grammar import expression
from micrograd_core.op import Op

if TYPE_CHECKING:
    from micrograd_core._batch_plan import Group, Source, Sum

__all__ = [
    "NotFloat",
    "group_backward",
    "group_forward",
    "kernels",
    "sum_backward",
    "sum_forward",
    "terms",
]

Kernel = Callable[..., Any]


def kernels(
    op: Op, n: int, needed: list[bool]
) -> tuple[Kernel | None, tuple[Kernel | None, ...], tuple[str, ...]]:
    """The op's forward and wanted partials as NumPy functions, or None where it has none;
    and their source, for :meth:`~micrograd_core.batched.BatchedGraph.source`."""
    try:
        inline = op.inlined(n)
    except InvalidOpError:
        if not op.variadic:
            raise
        inline = None
    if inline is None:
        return None, (None,) * n, ()
    names = ", ".join(f"x{k}" for k in range(n))
    try:
        forward_text = f"lambda {names}: {render(inline.forward, NUMPY)}"
        partial_texts = [
            f"lambda {names}, out: {render(text, NUMPY)}" if want else None
            for text, want in zip(inline.partials, needed, strict=True)
        ]
    except NotRenderableError:
        return None, (None,) * n, ()
    scope = NUMPY.scope()
    forward = eval(forward_text, scope)
    partials = tuple(eval(text, scope) if text is not None else None for text in partial_texts)
    shown = [f"forward = {forward_text}"]
    shown += [f"partial{k} = {t}" for k, t in enumerate(partial_texts) if t is not None]
    return forward, partials, tuple(shown)


def terms(text: str) -> list[tuple[int, ...]] | None:
    """``x0 + x1 * x2 + ...`` as its terms (input indices), or None for any other form."""
    body = expression(text)
    found: list[tuple[int, ...]] = []
    while True:
        part = body.right if isinstance(body, ast.BinOp) and isinstance(body.op, ast.Add) else body
        term = _term(part)
        if term is None:
            return None
        found.append(term)
        if part is body:
            return found[::-1]
        assert isinstance(body, ast.BinOp)
        body = body.left


def _term(node: ast.expr) -> tuple[int, ...] | None:
    if isinstance(node, ast.Name) and node.id[1:].isdigit():
        return (int(node.id[1:]),)
    if isinstance(node, ast.BinOp) and isinstance(node.op, ast.Mult):
        left, right = _term(node.left), _term(node.right)
        if left is not None and right is not None and len(left) == len(right) == 1:
            return (*left, *right)
    return None


# -- forward ---------------------------------------------------------------------------


def _read(V: Any, U: Any, x: Source) -> Any:
    """An input of a group: rows of the block V, or rows of U (one column, broadcast)."""
    return U[x.rows] if x.fixed else V[x.rows]


def group_forward(np: Any, group: Group, V: Any, U: Any, W: Any) -> None:
    """Compute a group's rows of ``V`` (``V`` is ``U`` for a group that runs once per pass);
    ``W`` is the group's weight matrix of this pass, for a dot."""
    if group.dot is not None:
        out = V[group.out]
        if W.shape[1] == 1:  # one product per node (mul): -0.0 stays, as in the engine
            np.multiply(W, V[group.dot.h], out=out)
        else:  # a sum of products: its order is the matrix product's
            np.matmul(W, V[group.dot.h], out=out)
        for term in group.dot.rest:
            x = _read(V, U, group.inputs[term[0]])
            out += x if len(term) == 1 else x * _read(V, U, group.inputs[term[1]])
        return
    xs = [_read(V, U, x) for x in group.inputs]
    if group.forward is not None:
        V[group.out] = group.forward(*xs)
    else:
        V[group.out] = _per_example(np, group.op, xs, V[group.out].shape)


def sum_forward(np: Any, step: Sum, U: Any) -> None:
    """A chain of additions, added in the engine's order (so to the last bit)."""
    U[step.out] = np.add.accumulate(U[step.terms, 0])[-1]


def _per_example(np: Any, op: Op, xs: list[Any], shape: tuple[int, ...]) -> Any:
    """``op``'s forward on floats, called for every node of a group and every example."""
    function = op.forward
    if function is None:  # a composite op leaves no node of its own in a graph
        raise NotFloat
    columns = [np.broadcast_to(x, shape).ravel().tolist() for x in xs]
    return _floats(np, [function(*args) for args in zip(*columns, strict=True)], shape)


class NotFloat(Exception):
    """An op's function gave something else than a float: the loop over examples decides."""


# -- backward --------------------------------------------------------------------------


def group_backward(np: Any, group: Group, V: Any, G: Any, U: Any, GU: Any, W: Any, GW: Any) -> None:
    """Add each wanted input's partial times the group's gradient into the input's rows.

    ``G`` holds the gradients of ``V``'s rows (``V, G`` are ``U, GU`` for a group that
    runs once per pass); a dot adds its weights' gradients into ``GW``.
    """
    g = G[group.out]
    dot = group.dot
    if dot is not None:
        if dot.w_grad:  # sum over the examples of g * h: g @ h.T
            GW += g @ V[dot.h].T
        if dot.h_grad:  # sum over the nodes of w * g: w.T @ g
            if dot.h_unique:
                G[dot.h] += W.T @ g
            else:
                np.add.at(G, dot.h, W.T @ g)
    if not group.generic:
        return
    constants = group.constants
    need = [k for k in group.generic if constants[k] is None]
    ds: list[Any] = [None] * len(constants)
    if need:
        xs = [_read(V, U, x) for x in group.inputs]
        out = V[group.out]
        if group.forward is not None:
            for k in need:
                partial = group.partials[k]
                assert partial is not None  # wanted: rendered
                ds[k] = partial(*xs, out)
        else:
            ds = _partials_per_example(np, group, xs, out)
    for k in group.generic:
        constant = constants[k]
        if constant is None:
            contribution = ds[k] * g
        else:
            contribution = g if constant == 1.0 else constant * g
        _add_into(np, group.inputs[k], contribution, g.shape, G, GU)


def _add_into(np: Any, x: Source, contribution: Any, shape: Any, G: Any, GU: Any) -> None:
    if contribution.shape != shape:  # d was a number, or one row
        contribution = np.broadcast_to(contribution, shape)
    if x.fixed:
        summed = contribution.sum(axis=1, keepdims=True) if shape[1] != 1 else contribution
        if x.unique:
            GU[x.rows] += summed
        elif isinstance(x.rows, slice):  # one row, read by every node
            GU[x.rows] += summed.sum(axis=0, keepdims=True)
        else:
            np.add.at(GU, x.rows, summed)
    elif x.shared:
        G[x.rows] += contribution.sum(axis=0, keepdims=True)
    elif x.unique:
        G[x.rows] += contribution
    else:
        np.add.at(G, x.rows, contribution)


def sum_backward(np: Any, step: Sum, GU: Any) -> None:
    """Each term of a sum gets the sum's gradient (the partials of an addition are 1)."""
    if step.unique:
        GU[step.terms] += GU[step.out]
    else:
        np.add.at(GU, step.terms, GU[step.out])


def _partials_per_example(np: Any, group: Group, xs: list[Any], out: Any) -> list[Any]:
    """An op's own partials (or gradient) called for every node and example of a group."""
    op = group.op
    shape = out.shape
    columns = [np.broadcast_to(x, shape).ravel().tolist() for x in xs]
    columns.append(out.ravel().tolist())
    rows = list(zip(*columns, strict=True))
    wanted = [x.needs_grad for x in group.inputs]
    ds: list[Any] = [None] * len(wanted)
    if op.gradient is not None:
        results = [op.gradient(*args) for args in rows]
        for k, want in enumerate(wanted):
            if want:
                ds[k] = _floats(np, [r[k] for r in results], shape)
        return ds
    for k, want in enumerate(wanted):
        if want:
            ds[k] = _floats(np, [op.partials[k](*args) for args in rows], shape)
    return ds


def _floats(np: Any, values: list[Any], shape: tuple[int, ...]) -> Any:
    if not all(type(v) is float for v in values):
        raise NotFloat
    return np.array(values, dtype=np.float64).reshape(shape)
