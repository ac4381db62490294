"""Batched replay: one example's graph, a whole batch of examples per pass.

A training step computes the same function for every example of a data set;
only the inputs differ. Build the graph for **one** example, say which of its
leaves hold the example (its inputs, its label) and give them a column of
values each: :func:`~micrograd_core.compile_graph` with ``batch=`` replays the
graph over every example at once, as ``jax.vmap`` does.

>>> from micrograd_core import Value, compile_graph
>>> x, w = Value(0.0), Value(3.0)
>>> step = compile_graph((x * w).relu(), batch={x: [1.0, -1.0, 2.0]})
>>> step.forward()  # (3 + 0 + 6) / 3
3.0
>>> step.backward()  # d/dw of the mean: (1 + 0 + 2) / 3
>>> w.grad
1.0

What a pass computes:

- ``forward()`` returns the mean (``reduce="sum"``: the sum) over the batch of
  the root's value, the batch leaves set to each example's values in turn.
- ``backward()`` adds the gradient of that mean into the ``.grad`` of every
  other leaf (the parameters), as building the graph for every example,
  taking the mean and calling ``backward()`` would (to about 1e-12: the sums
  over examples are added in another order). The batch leaves' ``.grad`` and
  ``.data`` are left as they were; the ``.data`` of the nodes between the
  leaves and the root mean nothing after a pass. A batch leaf the root does
  not read counts only for the size of the batch.
- :meth:`BatchedGraph.set_batch` gives new columns (a mini-batch of any size).

How it runs. With NumPy installed (it is optional: this module imports it when
a batched graph is built), nodes that depend on the batch hold one array each,
a row of a matrix, and each group of alike nodes (one op, one level of the
graph) runs as array operations written from the op's own expressions
(:func:`~micrograd_core.expression.render`, NumPy's dialect). Nodes that do not
depend on the batch (an L2 penalty on the parameters) run once per pass, not
once per example, through a compiled graph's loops; the gradient flowing into
them is summed over the examples first. An op without expressions NumPy can
run (``pow``; ``math.erf`` has no NumPy counterpart) calls its own float
functions once per node and example: correct, and slower.

When anything goes wrong in the arrays (a value that is not finite, an op
outside its domain), the pass runs again example by example through a
compiled graph, which raises the engine's error with a note naming the
example's index. Without NumPy every pass is that loop over examples (one
compiled forward and backward each), with a :class:`BatchLoopWarning` when the
graph is built.
"""

from __future__ import annotations

import ast
import warnings
from collections.abc import Callable, Mapping, Sequence
from typing import TYPE_CHECKING, Any, Final, Literal, NamedTuple

from micrograd_core.dialect import NUMPY, NotRenderableError, in_loop, render
from micrograd_core.errors import InvalidOpError, MicrogradError
from micrograd_core.grammar import expression
from micrograd_core.graph import CONSTANT, node_of, topological_order
from micrograd_core.op import Op
from micrograd_core.value import Value

if TYPE_CHECKING:
    import numpy as np
    import numpy.typing as npt

    from micrograd_core.compiled import CompiledGraph, _Plan

    _Array = npt.NDArray[np.float64]

__all__ = ["BatchLoopWarning", "BatchedGraph", "Reduce", "Replay"]

Reduce = Literal["mean", "sum"]
_REDUCTIONS: Final = ("mean", "sum")


class Replay(NamedTuple):
    """What :func:`~micrograd_core.compile_graph` lends a batched graph: its compiled
    graph of one example (the loop over examples), and the plan of a compiled replay
    (for the nodes that do not depend on the batch). This module sits below
    ``compiled`` in the engine and does not import it."""

    compile: Callable[[Value], CompiledGraph]
    plan: Callable[[Sequence[Value]], _Plan]


class BatchLoopWarning(UserWarning):
    """A batched graph runs as a loop over its examples: NumPy is not installed."""


class BatchedGraph:
    """One example's graph, replayed over a batch of examples in each pass.

    Built by ``compile_graph(root, batch={leaf: values, ...}, reduce=...)``;
    see :mod:`micrograd_core.batched`. Like a graph, it is for one thread at a time.

    >>> from micrograd_core import Value, compile_graph
    >>> x, b = Value(0.0), Value(1.0)
    >>> step = compile_graph(x + b, batch={x: [1.0, 2.0]}, reduce="sum")
    >>> step.forward()
    5.0
    >>> step.set_batch({x: [10.0]})
    >>> step.forward(), len(step.batch)
    (11.0, 1)
    """

    __slots__ = (
        "_arrays",
        "_columns",
        "_compiled",
        "_failed",
        "_reduce",
        "_size",
        "batch",
        "root",
    )

    root: Value
    batch: tuple[Value, ...]

    def __init__(
        self,
        root: Value,
        batch: Mapping[Value, Sequence[float] | Any],
        reduce: Reduce = "mean",
        *,
        replay: Replay,
    ) -> None:
        if reduce not in _REDUCTIONS:
            msg = f"reduce must be 'mean' or 'sum', got {reduce!r}"
            raise ValueError(msg)
        if not isinstance(batch, Mapping) or not batch:
            msg = (
                "batch must map the leaves that hold one example to their values over the "
                f"batch ({{leaf: values, ...}}), got {_described(batch)}"
            )
            raise TypeError(msg) if not isinstance(batch, Mapping) else ValueError(msg)
        order = topological_order(root)
        for leaf in batch:
            if not isinstance(leaf, Value):
                msg = f"batch's keys must be the Values of leaves, got {type(leaf).__name__!r}"
                raise TypeError(msg)
            if leaf._op is not None:
                msg = (
                    f"batch's keys must be leaves of the graph, but {leaf!r} is the result "
                    f"of op {leaf._op.name!r}"
                )
                raise ValueError(msg)
        self.root = root
        self.batch = tuple(batch)
        self._reduce: Reduce = reduce
        self._compiled = replay.compile(root)  # the loop over examples, and its fallback
        self._failed = False
        self._size = 0
        self._columns: list[list[float]] = []
        try:
            import numpy  # noqa: F401, PLC0415  (optional: only when a batch is compiled)
        except ImportError:
            self._arrays: _Arrays | None = None
            warnings.warn(
                "numpy is not installed: the batched graph runs as a loop over its examples, "
                "one compiled pass each; install numpy for array kernels",
                BatchLoopWarning,
                stacklevel=3,
            )
        else:
            self._arrays = _Arrays(order, self.batch, replay.plan)
        self.set_batch(batch)

    def __repr__(self) -> str:
        how = "arrays" if self._arrays is not None else "a loop over examples"
        return (
            f"<BatchedGraph of {len(self._compiled)} nodes over {self._size} examples "
            f"({self._reduce}, {how})>"
        )

    @property
    def size(self) -> int:
        """How many examples the batch holds."""
        return self._size

    @property
    def reduce(self) -> Reduce:
        """How a pass combines the examples: ``"mean"`` or ``"sum"``."""
        return self._reduce

    @property
    def vectorized(self) -> bool:
        """Whether passes run as array operations (NumPy installed), not a loop over examples."""
        return self._arrays is not None

    def set_batch(self, batch: Mapping[Value, Sequence[float] | Any]) -> None:
        """Give the batch leaves new values: the same leaves, equal-length columns, any length.

        A column is a sequence of real numbers (a list, a tuple, a NumPy array).
        """
        if not isinstance(batch, Mapping):
            msg = f"batch must be a mapping {{leaf: values, ...}}, got {_described(batch)}"
            raise TypeError(msg)
        given = {id(v) for v in batch}
        wanted = {id(v) for v in self.batch}
        if given != wanted or len(batch) != len(self.batch):
            msg = (
                f"set_batch takes values for the same leaves as the compiled batch, "
                f"{len(self.batch)} leaves ({', '.join(map(repr, self.batch))}), got "
                f"{len(batch)} ({', '.join(map(repr, batch))})"
            )
            raise ValueError(msg)
        columns = [_column(leaf, batch[leaf]) for leaf in self.batch]
        sizes = {len(c) for c in columns}
        if len(sizes) != 1:
            shown = ", ".join(
                f"{leaf!r}: {len(c)}" for leaf, c in zip(self.batch, columns, strict=True)
            )
            msg = f"the batch's columns must have one length, got {shown}"
            raise ValueError(msg)
        (size,) = sizes
        if size == 0:
            msg = "the batch must hold at least one example, got columns of length 0"
            raise ValueError(msg)
        self._columns = columns
        self._size = size
        self._failed = False
        if self._arrays is not None:
            self._arrays.set_columns(columns)

    def forward(self) -> float:
        """The mean (or sum) over the batch of the root's value, from the leaves' ``.data``."""
        arrays = self._arrays
        if arrays is not None:
            total = arrays.forward(self._reduce == "mean")
            if total is not None:
                self._failed = False
                return total
        self._failed = True
        return self._loop_forward()

    def backward(self) -> None:
        """Add the gradient of the mean (or sum) into the other leaves' ``.grad``.

        The gradient at the values of the last ``forward()``.

        Before any ``forward()``, the gradient at the leaves' current values.
        """
        arrays = self._arrays
        if arrays is not None and not self._failed:
            if not arrays.computed:
                self.forward()
            if not self._failed and arrays.backward(self._reduce == "mean", self._size):
                return
        self._loop_backward()

    def source(self) -> str:
        """The array code a pass runs, one kernel per group of alike nodes, in order."""
        if self._arrays is None:
            return "# a loop over examples (numpy is not installed):\n" + self._compiled.source()
        return self._arrays.source()

    # -- the loop over examples ---------------------------------------------------

    def _loop_forward(self) -> float:
        compiled = self._compiled
        saved = [leaf.data for leaf in self.batch]
        total = 0.0
        try:
            for i in range(self._size):
                for leaf, column in zip(self.batch, self._columns, strict=True):
                    leaf.data = column[i]
                total += _in_example(compiled.forward, i)
        finally:
            for leaf, data in zip(self.batch, saved, strict=True):
                leaf.data = data
        return total / self._size if self._reduce == "mean" else total

    def _loop_backward(self) -> None:
        compiled = self._compiled
        batch_ids = {id(v) for v in self.batch}
        targets = [v for v in compiled.leaves if v._a is not CONSTANT and id(v) not in batch_ids]
        saved_grads = [v.grad for v in targets]
        saved_batch = [(leaf, leaf.data, leaf.grad) for leaf in self.batch]
        root_grad = self.root.grad
        for v in targets:
            v.grad = 0.0
        try:
            for i in range(self._size):
                for leaf, column in zip(self.batch, self._columns, strict=True):
                    leaf.data = column[i]
                _in_example(compiled.forward, i)
                _in_example(compiled.backward, i)
        except BaseException:
            for v, g in zip(targets, saved_grads, strict=True):
                v.grad = g
            raise
        finally:
            for leaf, data, grad in saved_batch:
                leaf.data, leaf.grad = data, grad
            self.root.grad = root_grad
        scale = 1.0 / self._size if self._reduce == "mean" else 1.0
        for v, g in zip(targets, saved_grads, strict=True):
            v.grad = g + v.grad * scale


def _finite_float(x: object) -> bool:
    """Whether ``x`` is a float that is neither infinite nor NaN (x - x is NaN for those)."""
    return type(x) is float and x - x == 0.0


def _finite_floats(values: list[float]) -> bool:
    """Whether every value is a finite float (as a compiled replay checks its buffer)."""
    try:
        total = sum(values)
    except TypeError:
        return False
    return _finite_float(total) and all(type(v) is float for v in values)


def _in_example(run: Callable[[], Any], i: int) -> Any:
    """``run()``; an engine error gets a note naming example ``i`` of the batch."""
    try:
        return run()
    except MicrogradError as e:
        e.add_note(f"in example {i} of the batch (counting from 0)")
        raise


def _described(x: object) -> str:
    return f"an empty {type(x).__name__}" if isinstance(x, Mapping) else repr(type(x).__name__)


def _column(leaf: Value, values: object) -> list[float]:
    """A batch leaf's values as floats, or a TypeError saying what is wrong."""
    if isinstance(values, str | bytes) or not hasattr(values, "__len__"):
        msg = (
            f"the values of batch leaf {leaf!r} must be a sequence of real numbers (a list, "
            f"a NumPy array), got {type(values).__name__!r}"
        )
        raise TypeError(msg)
    if getattr(values, "ndim", 1) != 1:
        msg = (
            f"the values of batch leaf {leaf!r} must be one-dimensional, got an array of "
            f"shape {getattr(values, 'shape', '?')}"
        )
        raise ValueError(msg)
    try:
        return [float(x) for x in values]  # type: ignore[attr-defined]
    except (TypeError, ValueError) as e:
        msg = f"the values of batch leaf {leaf!r} must be real numbers ({e})"
        raise TypeError(msg) from e


# -- the array plan ----------------------------------------------------------------
#
# Nodes that depend on a batch leaf ("varying") each own one row of a matrix V
# (rows x examples); the others ("fixed") are computed once per pass by a
# compiled graph's plan over them alone, and those that varying nodes read are
# gathered into a vector u. Varying nodes are grouped by (level, op, number of
# inputs, which inputs vary), and their rows placed so that each group's rows
# are contiguous: a group's forward is one call of the op's forward written in
# NumPy's dialect on (nodes x examples) arrays, each input a slice or a gather
# of V (a row shared by every node of the group: one row, broadcast) or of u (a
# column, broadcast). Backward runs the groups from the top level down, adding
# partial * gradient into the inputs' rows; the gradient reaching a fixed node is
# summed over the examples, then the fixed plan's own backward runs once.


class _Input(NamedTuple):
    varying: bool
    rows: Any  # a slice of V, or an index array (of V's rows, or of u)
    shared: bool  # every node of the group reads the same row of V
    unique: bool  # no two nodes of the group read the same row (+= is safe)
    needs_grad: bool


class _Group(NamedTuple):
    op: Op
    level: int
    out: slice  # the group's rows in V
    inputs: tuple[_Input, ...]
    forward: Callable[..., Any] | None  # None: the op's own functions, per example
    partials: tuple[Callable[..., Any] | None, ...]  # per input (None: no gradient needed)
    texts: tuple[str, ...]  # the rendered forward and partials, for source()
    # Inputs whose partial is another input, one varying and read by every node of
    # the group (a row h), the other fixed (a column w): their sums over the examples
    # (w's) or over the nodes (h's) are matrix products, one per group.
    to_fixed: tuple[Any, Any, Any] | None  # rows of h (K,), u indices of w (m, K), whether unique
    to_varying: tuple[Any, Any, Any] | None  # rows of h (K,), u indices of w (m, K), unique h
    generic: tuple[int, ...]  # the other inputs that want a gradient
    # A forward that is a sum of inputs and products of two (affine's), with products
    # of a row h read by every node and a column w: those as one product w @ h
    dot: tuple[Any, Any, tuple[tuple[int, ...], ...]] | None  # rows of h, u of w, other terms


class _Arrays:
    """The array plan of one graph (see above)."""

    def __init__(
        self,
        order: list[Value],
        batch: tuple[Value, ...],
        plan: Callable[[Sequence[Value]], _Plan],
    ) -> None:
        import numpy as np  # noqa: PLC0415  (optional)

        self.np = np
        index = {id(v): i for i, v in enumerate(order)}
        n = len(order)
        batch_at = {index[id(v)] for v in batch if id(v) in index}
        inputs = [[index[id(v)] for v in node_of(node).inputs] for node in order]
        varying = [False] * n
        needs = [False] * n  # whether a node's gradient is wanted (it reaches a parameter)
        level = [0] * n
        for i, node in enumerate(order):
            if node._op is None:
                varying[i] = i in batch_at
                needs[i] = not varying[i] and node._a is not CONSTANT
            else:
                varying[i] = any(varying[j] for j in inputs[i])
                needs[i] = any(needs[j] for j in inputs[i])
                if varying[i]:
                    level[i] = 1 + max(level[j] for j in inputs[i] if varying[j])
        self.root_varying = varying[-1]
        # the fixed part: a compiled plan over its nodes alone (their inputs are fixed too)
        fixed = [i for i in range(n) if not varying[i]]
        self.fixed_order = [order[i] for i in fixed]
        self.plan: _Plan | None = plan(self.fixed_order) if fixed else None
        fixed_slot = {i: self.plan.slots[k] for k, i in enumerate(fixed)} if self.plan else {}
        self.fixed_leaves = [(fixed_slot[i], order[i]) for i in fixed if order[i]._op is None]
        self.fixed_grad_leaves = [(s, v) for s, v in self.fixed_leaves if v._a is not CONSTANT]
        # the fixed nodes varying nodes read: gathered into u
        read: dict[int, int] = {}
        for i in range(n):
            if varying[i] and order[i]._op is not None:
                for j in inputs[i]:
                    if not varying[j] and j not in read:
                        read[j] = len(read)
        self.read_slots = [fixed_slot[j] for j in read]
        self.read_needs = [needs[j] for j in read]
        # the varying nodes: rows in V, grouped
        keys: dict[tuple[Any, ...], list[int]] = {}
        for i in range(n):
            if not varying[i] or order[i]._op is None:
                continue
            op = order[i]._op
            assert op is not None
            key = (level[i], id(op), len(inputs[i]), tuple(varying[j] for j in inputs[i]))
            keys.setdefault(key, []).append(i)
        row: dict[int, int] = {}
        for i in sorted(batch_at):
            row[i] = len(row)
        self.batch_rows = [row.get(index.get(id(v), -1), -1) for v in batch]  # -1: unread
        grouped = sorted(keys.items(), key=lambda item: item[0][0])  # by level, stable
        for _, members in grouped:
            for i in members:
                row[i] = len(row)
        self.rows = len(row)
        self.root_at = row[n - 1] if self.root_varying else fixed_slot[n - 1]
        self.groups: list[_Group] = []
        for (lvl, _, arity, _), members in grouped:
            op = order[members[0]]._op
            assert op is not None
            group_inputs = []
            for k in range(arity):
                ins = [inputs[i][k] for i in members]
                is_varying = varying[ins[0]]
                at = [row[j] for j in ins] if is_varying else [read[j] for j in ins]
                shared = is_varying and len(set(at)) == 1
                rows: Any
                if shared:
                    rows = slice(at[0], at[0] + 1)
                elif is_varying and at == list(range(at[0], at[0] + len(at))):
                    rows = slice(at[0], at[0] + len(at))
                else:
                    rows = np.array(at, dtype=np.intp)
                group_inputs.append(
                    _Input(
                        is_varying,
                        rows,
                        shared,
                        len(set(at)) == len(at),
                        any(needs[j] for j in ins),
                    )
                )
            first = row[members[0]]
            forward, partials, texts = _kernels(op, arity, [x.needs_grad for x in group_inputs])
            to_fixed, to_varying, generic = _products(np, op, forward, group_inputs, len(members))
            self.groups.append(
                _Group(
                    op,
                    lvl,
                    slice(first, first + len(members)),
                    tuple(group_inputs),
                    forward,
                    partials,
                    texts,
                    to_fixed,
                    to_varying,
                    generic,
                    _dot(np, op, forward, group_inputs, len(members)),
                )
            )
        self.V: _Array = np.zeros((self.rows, 1))
        self.u: _Array = np.zeros(len(read))
        self.G: _Array = np.zeros((0, 0))  # the gradients, a row per row of V (at a backward)
        self.computed = False

    def set_columns(self, columns: list[list[float]]) -> None:
        np = self.np
        size = len(columns[0])
        self.V = np.zeros((self.rows, size))
        for r, column in zip(self.batch_rows, columns, strict=True):
            if r >= 0:
                self.V[r] = column
        self.computed = False

    def _fixed_forward(self) -> bool:
        """Run the fixed part once; whether every value is a finite float."""
        plan = self.plan
        if plan is None:
            return True
        b = plan.buffer
        for s, leaf in self.fixed_leaves:
            b[s] = leaf.data
        try:
            for kernel, rows in plan.forward:
                kernel(b, rows)
        except Exception:  # noqa: BLE001  (the loop over examples says what went wrong)
            return False
        return _finite_floats(b[: plan.size])

    def forward(self, mean: bool) -> float | None:
        """The reduced root, or None when the arrays cannot say (the loop must run)."""
        np = self.np
        self.computed = False
        if not self._fixed_forward():
            return None
        V = self.V
        if self.plan is not None:
            b = self.plan.buffer
            self.u = np.array([b[s] for s in self.read_slots], dtype=np.float64)
        u = self.u
        try:
            with np.errstate(all="ignore"):  # what is not finite, the loop reruns
                for group in self.groups:
                    xs = [_read(V, u, x) for x in group.inputs]
                    if group.dot is not None:
                        V[group.out] = _dot_forward(group.dot, V, u, xs)
                    elif group.forward is not None:
                        V[group.out] = group.forward(*xs)
                    else:
                        V[group.out] = _per_example(np, group.op, xs, group.out, V)
                total = float(V.sum())
        except Exception:  # noqa: BLE001  (the loop over examples says what went wrong)
            return None
        if not _finite_float(total):
            return None
        self.computed = True
        size = V.shape[1]
        if self.root_varying:
            reduced = float(V[self.root_at].sum())
            return reduced / size if mean else reduced
        assert self.plan is not None
        value = self.plan.buffer[self.root_at]
        return value if mean else value * size

    def backward(self, mean: bool, size: int) -> bool:
        """Add the gradient into the fixed leaves; False when the loop must run instead."""
        np = self.np
        V, u = self.V, self.u
        G = self.G
        if G.shape != V.shape:
            G = self.G = np.zeros_like(V)
        else:
            G.fill(0.0)
        gu = np.zeros(len(u))
        seed = 1.0 / size if mean else 1.0
        if self.root_varying:
            G[self.root_at] = seed
        try:
            with np.errstate(all="ignore"):
                for group in reversed(self.groups):
                    _group_backward(np, group, V, u, G, gu)
            total = float(gu.sum())
        except Exception:  # noqa: BLE001
            return False
        if not _finite_float(total):
            return False
        plan = self.plan
        if plan is None:
            return True
        b = plan.buffer
        grads = [0.0] * plan.size
        for s, leaf in self.fixed_grad_leaves:
            grads[s] = leaf.grad
        for s, g, wanted in zip(self.read_slots, gu.tolist(), self.read_needs, strict=True):
            if wanted:
                grads[s] += g
        if not self.root_varying:
            grads[self.root_at] += seed * size  # the mean of a constant is that constant
        try:
            dropped = 0.0
            for kernel, rows in plan.partials:
                dropped += kernel(b, rows)
            if not _finite_float(sum(b[plan.size :], dropped)):
                return False
            for sums, rows in plan.gradient:
                sums(b, grads, rows)
        except Exception:  # noqa: BLE001
            return False
        for s, leaf in self.fixed_grad_leaves:
            leaf.grad = grads[s]
        return True

    def source(self) -> str:
        parts = []
        if self.plan is not None and self.fixed_order:
            parts.append(
                f"# once per pass: {len(self.fixed_order)} nodes that do not depend on the "
                f"batch, as a compiled graph's loops"
            )
        for group in self.groups:
            count = group.out.stop - group.out.start
            nodes = f"{count} node{'s' * (count != 1)}"
            head = f"# level {group.level}: op {group.op.name!r} ({nodes})"
            if group.forward is None:
                parts.append(f"{head}\n# calls the op's own functions for every example")
            else:
                parts.append(f"{head}\n" + "\n".join(group.texts))
        return "\n".join(parts)


def _products(
    np: Any, op: Op, forward: object, inputs: list[_Input], m: int
) -> tuple[tuple[Any, Any, Any] | None, tuple[Any, Any, Any] | None, tuple[int, ...]]:
    """Which wanted partials of a group are matrix products (see _Group), and the rest."""
    generic = [k for k, x in enumerate(inputs) if x.needs_grad]
    if forward is None:
        return None, None, tuple(generic)
    inline = op.inlined(len(inputs))
    assert inline is not None  # forward came from it
    to_fixed: list[tuple[int, Any]] = []  # (row of h, u indices of w)
    to_varying: list[tuple[int, Any]] = []
    for k in list(generic):
        ref = in_loop(inline.partials[k])
        if not isinstance(ref, int) or ref < 0:
            continue
        x, other = inputs[k], inputs[ref]
        if not x.varying and other.shared:  # w's partial is h
            to_fixed.append((other.rows.start, x.rows))
            generic.remove(k)
        elif x.shared and not other.varying:  # h's partial is w
            to_varying.append((x.rows.start, other.rows))
            generic.remove(k)

    def stacked(pairs: list[tuple[int, Any]], *, of_h: bool) -> tuple[Any, Any, Any] | None:
        if not pairs:
            return None
        rows = np.array([h for h, _ in pairs], dtype=np.intp)
        columns = np.stack([np.broadcast_to(w, (m,)) for _, w in pairs], axis=1)
        target = rows if of_h else columns
        return rows, columns, len(np.unique(target)) == target.size

    return stacked(to_fixed, of_h=False), stacked(to_varying, of_h=True), tuple(generic)


def _terms(text: str) -> list[tuple[int, ...]] | None:
    """``x0 + x1 * x2 + ...`` as its terms (input indices), or None for any other form."""
    body = expression(text)
    terms: list[tuple[int, ...]] = []
    while True:
        part = body.right if isinstance(body, ast.BinOp) and isinstance(body.op, ast.Add) else body
        term = _term(part)
        if term is None:
            return None
        terms.append(term)
        if part is body:
            return terms[::-1]
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


def _dot(
    np: Any, op: Op, forward: object, inputs: list[_Input], m: int
) -> tuple[Any, Any, tuple[tuple[int, ...], ...]] | None:
    """A group's forward as ``w @ h`` plus its other terms (see _Group), or None."""
    if forward is None:
        return None
    inline = op.inlined(len(inputs))
    assert inline is not None
    terms = _terms(inline.forward)
    if terms is None:
        return None
    pairs: list[tuple[int, Any]] = []
    rest: list[tuple[int, ...]] = []
    for term in terms:
        if len(term) == 2:
            a, b = (inputs[k] for k in term)
            if not a.varying and b.shared:
                pairs.append((b.rows.start, a.rows))
                continue
            if a.shared and not b.varying:
                pairs.append((a.rows.start, b.rows))
                continue
        rest.append(term)
    if len(pairs) < 2:
        return None
    rows = np.array([h for h, _ in pairs], dtype=np.intp)
    columns = np.stack([np.broadcast_to(w, (m,)) for _, w in pairs], axis=1)
    return rows, columns, tuple(rest)


def _dot_forward(
    dot: tuple[Any, Any, tuple[tuple[int, ...], ...]], V: _Array, u: _Array, xs: list[Any]
) -> Any:
    rows, columns, rest = dot
    total = u[columns] @ V[rows]
    for term in rest:
        total += xs[term[0]] if len(term) == 1 else xs[term[0]] * xs[term[1]]
    return total


def _read(V: _Array, u: _Array, x: _Input) -> Any:
    """An input of a group: rows of V (examples along axis 1), or a column of u."""
    if x.varying:
        return V[x.rows]
    return u[x.rows, None]


def _kernels(
    op: Op, n: int, needed: list[bool]
) -> tuple[Callable[..., Any] | None, tuple[Callable[..., Any] | None, ...], tuple[str, ...]]:
    """The op's forward and wanted partials as NumPy functions, or None where it has none."""
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


def _per_example(np: Any, op: Op, xs: list[Any], out: slice, V: _Array) -> Any:
    """``op``'s forward on floats, called for every node of a group and every example."""
    function = op.forward
    if function is None:  # a composite op leaves no node of its own in a graph
        raise _NotFloat
    shape = V[out].shape
    columns = [np.broadcast_to(x, shape).ravel().tolist() for x in xs]
    return _floats(np, [function(*args) for args in zip(*columns, strict=True)], shape)


class _NotFloat(Exception):
    """An op's function gave something else than a float: the loop over examples decides."""


def _group_backward(np: Any, group: _Group, V: _Array, u: _Array, G: _Array, gu: _Array) -> None:
    """Add each wanted input's partial times the group's gradient into the input's rows."""
    if not any(x.needs_grad for x in group.inputs):
        return
    g = G[group.out]
    if group.to_fixed is not None:  # sum over the examples of g * h: g @ h.T
        rows, columns, unique = group.to_fixed
        sums = g @ V[rows].T
        if unique:
            gu[columns] += sums
        else:
            np.add.at(gu, columns, sums)
    if group.to_varying is not None:  # sum over the nodes of w * g: w.T @ g
        rows, columns, unique = group.to_varying
        sums = u[columns].T @ g
        if unique:
            G[rows] += sums
        else:
            np.add.at(G, rows, sums)
    if not group.generic:
        return
    out = V[group.out]
    xs = [_read(V, u, x) for x in group.inputs]
    if group.forward is not None:
        partials = group.partials
        ds: list[Any] = [None] * len(xs)
        for k in group.generic:
            partial = partials[k]
            assert partial is not None  # wanted: rendered
            ds[k] = partial(*xs, out)
    else:
        ds = _partials_per_example(np, group, xs, out)
    for k in group.generic:
        x, d = group.inputs[k], ds[k]
        contribution = d * g
        if contribution.shape != g.shape:  # d was a number, or one row
            contribution = np.broadcast_to(contribution, g.shape)
        if x.varying:
            if x.shared:
                G[x.rows] += contribution.sum(axis=0, keepdims=True)
            elif x.unique:
                G[x.rows] += contribution
            else:
                np.add.at(G, x.rows, contribution)
        else:
            summed = contribution.sum(axis=1)
            if x.unique:
                gu[x.rows] += summed
            else:
                np.add.at(gu, x.rows, summed)


def _partials_per_example(np: Any, group: _Group, xs: list[Any], out: _Array) -> list[Any]:
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
        raise _NotFloat
    return np.array(values, dtype=np.float64).reshape(shape)
