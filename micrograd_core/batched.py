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
  taking the mean and calling ``backward()`` would (to about 1e-12 of the size
  of the terms summed: sums over examples and matrix products add in another
  order, and NumPy's functions may differ from math's in the last bit). The
  batch leaves' ``.grad`` and ``.data`` are left as they were; the ``.data`` of
  the nodes between the leaves and the root mean nothing after a pass. A batch leaf the root does
  not read counts only for the size of the batch.
- :meth:`BatchedGraph.set_batch` gives new columns (a mini-batch of any size).

How it runs. With NumPy installed (it is optional: this module imports it when
a batched graph is built), the graph becomes a short list of array steps once,
when it is compiled (:mod:`~micrograd_core._batch_plan`): nodes that depend on
the batch hold one row each of a matrix whose columns are the examples, and
each group of alike nodes (one op, one level of the graph) is one step written
from the op's own expressions (:func:`~micrograd_core.dialect.render`, NumPy's
dialect; :mod:`~micrograd_core._array_kernels` runs them). A layer's weighted
sums are one matrix product. Nodes that do not depend on the batch (an L2
penalty on the parameters) run once per pass as arrays of one column, a chain
of additions as one sum in the engine's order; the gradient flowing into them
is summed over the examples first. The examples run in blocks of columns that
stay in the processor's cache. An op without expressions NumPy can run
(``pow``; ``math.erf`` has no NumPy counterpart) calls its own float functions
once per node and example: correct, and slower.

When anything goes wrong in the arrays (a value that is not finite, an op
outside its domain, arithmetic that Python's floats refuse even inside one
op's expression: ``1e300 ** 2``, ``1 / 0.0``), or a leaf holds something other
than a float (an int, whose additions are exact; a str), the pass runs again
example by example through a compiled graph, which computes as the engine does
and raises the engine's error with a note naming the example's index. Without NumPy every
pass is that loop over examples (one compiled forward and backward each), with
a :class:`BatchLoopWarning` when the graph is built.
"""

from __future__ import annotations

import threading
import warnings
from collections.abc import Callable, Mapping, Sequence
from operator import countOf
from typing import TYPE_CHECKING, Any, Final, Literal

from micrograd_core._array_kernels import group_backward, group_forward, sum_backward, sum_forward
from micrograd_core._batch_plan import BatchPlan, Sum
from micrograd_core._operand import to_float
from micrograd_core.errors import DomainError, MicrogradError
from micrograd_core.graph import CONSTANT, topological_order
from micrograd_core.value import Value

if TYPE_CHECKING:
    import numpy as np
    import numpy.typing as npt

    from micrograd_core.compiled import CompiledGraph

    _Array = npt.NDArray[np.float64]

__all__ = ["BatchLoopWarning", "BatchedGraph", "Reduce"]

Reduce = Literal["mean", "sum"]
_REDUCTIONS: Final = ("mean", "sum")


class BatchLoopWarning(UserWarning):
    """A batched graph runs as a loop over its examples: NumPy is not installed."""


class BatchedGraph:
    """One example's graph, replayed over a batch of examples in each pass.

    Built by ``compile_graph(root, batch={leaf: values, ...}, reduce=...)``;
    see :mod:`micrograd_core.batched`. Threads may share one: it runs one pass (a
    ``forward()``, a ``backward()``, a ``set_batch()``) at a time, since every pass
    works in the same arrays and sets the batch leaves' ``.data``.

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
        "_at_forward",
        "_columns",
        "_compiled",
        "_failed",
        "_lock",
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
        compile_one: Callable[[Value], CompiledGraph],
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
        self._lock = threading.Lock()
        # one example's compiled graph (passed in: compiled sits above this module):
        # the loop over examples, and the fallback when the arrays meet an error
        self._compiled = compile_one(root)
        self._failed = False
        # the other leaves and their .data at the last forward() over examples
        self._at_forward: list[tuple[Value, Any]] | None = None
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
            self._arrays = _Arrays(order, self.batch)
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
        with self._lock:
            self._set_columns(columns)

    def _set_columns(self, columns: list[list[float]]) -> None:
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
        self._at_forward = None
        if self._arrays is not None:
            self._arrays.set_columns(columns)

    def forward(self) -> float:
        """The mean (or sum) over the batch of the root's value, from the leaves' ``.data``."""
        with self._lock:
            return self._forward()

    def _forward(self) -> float:
        arrays = self._arrays
        if arrays is not None:
            total = arrays.forward(self._reduce == "mean")
            if total is not None:
                self._failed = False
                self._at_forward = None  # the arrays hold them
                return total
        self._failed = True
        return self._loop_forward()

    def backward(self) -> None:
        """Add the gradient of the mean (or sum) into the other leaves' ``.grad``.

        The gradient at the values of the last ``forward()``.

        Before any ``forward()``, the gradient at the leaves' current values.
        """
        with self._lock:
            self._backward()

    def _backward(self) -> None:
        arrays = self._arrays
        if arrays is not None and not self._failed:
            if not arrays.computed:
                self._forward()
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
        batch_ids = {id(v) for v in self.batch}
        self._at_forward = [(v, v.data) for v in compiled.leaves if id(v) not in batch_ids]
        saved = [leaf.data for leaf in self.batch]
        roots = []
        try:
            for i in range(self._size):
                for leaf, column in zip(self.batch, self._columns, strict=True):
                    leaf.data = column[i]
                roots.append(_in_example(compiled.forward, i))
        finally:
            for leaf, data in zip(self.batch, saved, strict=True):
                leaf.data = data
        return _reduced(roots, self._reduce == "mean")

    def _loop_backward(self) -> None:
        compiled = self._compiled
        batch_ids = {id(v) for v in self.batch}
        root = self.root
        if root._op is None:  # a leaf: its gradient is the seed (a compiled pass sets it)
            if root._a is not CONSTANT and id(root) not in batch_ids:
                root.grad += 1.0 if self._reduce == "mean" else float(self._size)
            return
        targets = [v for v in compiled.leaves if v._a is not CONSTANT and id(v) not in batch_ids]
        saved_grads = [v.grad for v in targets]
        saved_batch = [(leaf, leaf.data, leaf.grad) for leaf in self.batch]
        root_grad = root.grad
        # at the values of the last forward(), which .data may no longer hold
        at = self._at_forward
        if at is None and self._arrays is not None and self._arrays.computed:
            at = list(zip(self._arrays.plan.leaves, self._arrays.data, strict=True))
        now = [(v, v.data) for v, _ in at or ()]
        # each example's root seeded with 1/n, as in the mean's graph: a large gradient
        # overflows no sooner than there
        seed = 1.0 / self._size if self._reduce == "mean" else 1.0
        sums = [0.0] * len(targets)
        try:
            for v, data in at or ():
                v.data = data
            for i in range(self._size):
                for leaf, column in zip(self.batch, self._columns, strict=True):
                    leaf.data = column[i]
                for v in targets:
                    v.grad = 0.0
                _in_example(compiled.forward, i)
                _in_example(lambda: compiled._backward(seed), i)
                sums = [s + v.grad for s, v in zip(sums, targets, strict=True)]
        finally:
            for leaf, data, grad in saved_batch:
                leaf.data, leaf.grad = data, grad
            for v, data in now:
                v.data = data
            for v, g in zip(targets, saved_grads, strict=True):
                v.grad = g
            root.grad = root_grad
        for v, s in zip(targets, sums, strict=True):
            v.grad += s


def _reduced(roots: list[float], mean: bool) -> float:
    """The mean (or sum) of the root's values over the examples, added in their order.

    As the engine's add: two finite values whose sum is beyond the largest float
    are an error (an inf or a NaN propagates). Their mean is finite, though: then
    each value is divided first, as the mean's graph adds each example's share.
    """
    total = roots[0]
    for r in roots[1:]:
        added = total + r
        if added - added != 0.0 and total - total == 0.0 and r - r == 0.0:
            if mean:
                return sum([x / len(roots) for x in roots], 0.0)
            msg = (
                "reduce='sum': the root's values over the batch add up to more than the "
                f"largest float (1.8e308): add({total!r}, {r!r}) overflows, as in the "
                "engine; reduce='mean' gives their mean"
            )
            raise DomainError(msg, op_name="add", inputs=(total, r))
        total = added
    return total / len(roots) if mean else total


def _finite_float(x: object) -> bool:
    """Whether ``x`` is a float that is neither infinite nor NaN (x - x is NaN for those)."""
    return type(x) is float and x - x == 0.0


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
    """A batch leaf's values as floats, each as ``Value()`` takes it (the same errors)."""
    if isinstance(values, str | bytes) or not (
        isinstance(values, Sequence) or hasattr(values, "__array__")
    ):
        msg = (
            f"the values of batch leaf {leaf!r} must be a sequence of real numbers (a list, "
            f"a NumPy array), in the order of the examples, got {type(values).__name__!r}"
        )
        raise TypeError(msg)
    if getattr(values, "ndim", 1) != 1:
        msg = (
            f"the values of batch leaf {leaf!r} must be one-dimensional, got an array of "
            f"shape {getattr(values, 'shape', '?')}"
        )
        raise ValueError(msg)
    numbers: Any = values  # a sequence, or an array of one dimension
    if getattr(getattr(numbers, "dtype", None), "kind", "") in ("f", "i", "u", "b"):
        return numbers.astype(float).tolist()  # type: ignore[no-any-return]  # reals, in C
    try:
        return [x if type(x) is float else to_float(x) for x in numbers]
    except MicrogradError:  # the same error again, naming the leaf and the example
        for i, x in enumerate(numbers):
            to_float(x, f"batch leaf {leaf!r}, example {i},")
        raise


# -- the arrays -----------------------------------------------------------------------
#
# The plan (micrograd_core._batch_plan) places every node in a row of U (what does not
# depend on the batch: one column) or of V (one column per example, kept as blocks of
# columns so that a block's rows stay in the processor's cache while every step runs
# on it). A pass is a short list of steps, run on U once and on each block of V.

# Where Python's floats raise (an overflow in ** or math's functions, a division
# by zero, math.sqrt(-1.0)), NumPy's arrays go on with inf or NaN, which a later
# step may turn back into a finite number (1 / x ** 2 at 1e300 is 0.0): so the
# arrays stop there, and the loop over examples (the engine) decides. An underflow
# to 0 is no error in Python either.
_AS_PYTHON: Final = {"over": "raise", "divide": "raise", "invalid": "raise", "under": "ignore"}

BLOCK = 1 << 16  # how many numbers a block of V holds, about (512 KiB: measured best)


class _Arrays:
    """A graph's plan and its arrays: what runs a pass."""

    def __init__(self, order: list[Value], batch: tuple[Value, ...]) -> None:
        import numpy as np  # noqa: PLC0415  (optional)

        self.np = np
        plan = self.plan = BatchPlan(np, order, batch)
        self.fixed = plan.fixed_steps
        self.varying = plan.varying_steps
        self.leaf_rows = slice(0, len(plan.leaves))
        self.grad_rows = np.array([r for r, _ in plan.grad_leaves], dtype=np.intp)
        self.grad_leaves = [v for _, v in plan.grad_leaves]
        self.U: _Array = np.zeros((plan.fixed_rows, 1))
        self.GU: _Array = np.zeros((plan.fixed_rows, 1))
        # per varying group: its weights of this pass (a dot's W), their gradients
        self.W: list[Any] = [None] * len(self.varying)
        self.GW: list[Any] = [
            np.zeros(g.dot.w.shape) if g.dot is not None else None for g in self.varying
        ]
        self.blocks: list[_Array] = []
        self.G: dict[int, _Array] = {}  # a gradient block per width, reused
        self.computed = False
        self.data: list[float] = []  # the fixed leaves' .data at the last forward

    def set_columns(self, columns: list[list[float]]) -> None:
        np = self.np
        size, rows = len(columns[0]), self.plan.rows
        width = max(64, BLOCK // max(rows, 1))
        self.blocks = []
        for start in range(0, size, width):
            block = np.zeros((rows, min(width, size - start)))
            for r, column in zip(self.plan.batch_rows, columns, strict=True):
                if r >= 0:
                    block[r] = column[start : start + width]
            self.blocks.append(block)
        self.G = {}
        self.computed = False

    def forward(self, mean: bool) -> float | None:
        """The reduced root, or None when the arrays cannot say (the loop must run)."""
        np, U, plan = self.np, self.U, self.plan
        self.computed = False
        root, W = plan.root_at, self.W
        total = check = 0.0
        data = self.data = [leaf.data for leaf in plan.leaves]
        if countOf(map(type, data), float) != len(data):
            # an int adds exactly, a str is no number: the engine's arithmetic decides
            return None
        try:
            U[self.leaf_rows, 0] = data
            with np.errstate(**_AS_PYTHON):
                for step in self.fixed:
                    if isinstance(step, Sum):
                        sum_forward(np, step, U)
                    else:
                        group_forward(np, step, U, U, None)
                if not _finite_float(float(U.sum())):
                    return None
                for k, group in enumerate(self.varying):
                    if group.dot is not None:
                        W[k] = U[group.dot.w, 0]
                for V in self.blocks:
                    for group, w in zip(self.varying, W, strict=True):
                        group_forward(np, group, V, U, w)
                    check += float(V.sum())
                    if plan.root_varying:
                        total += float(V[root].sum())
        except Exception:  # noqa: BLE001  (the loop over examples says what went wrong)
            return None
        if not _finite_float(check):
            return None
        self.computed = True
        size = sum(V.shape[1] for V in self.blocks)
        if not plan.root_varying:
            value = float(U[root, 0])
            total = value if mean else value * size
        elif mean:
            total /= size
        if not _finite_float(total):  # finite values, summed beyond a float: the loop says
            self.computed = False
            return None
        return total

    def backward(self, mean: bool, size: int) -> bool:
        """Add the gradient into the fixed leaves; False when the loop must run instead."""
        np, U, GU, plan = self.np, self.U, self.GU, self.plan
        GU.fill(0.0)
        seed = 1.0 / size if mean else 1.0
        steps = list(zip(self.varying, self.W, self.GW, strict=True))[::-1]
        try:
            with np.errstate(**_AS_PYTHON):
                for GW in self.GW:
                    if GW is not None:
                        GW.fill(0.0)
                for V in self.blocks:
                    G = self.G.get(V.shape[1])
                    if G is None:
                        G = self.G[V.shape[1]] = np.zeros_like(V)
                    else:
                        G.fill(0.0)
                    if plan.root_varying:
                        G[plan.root_at] = seed
                    for group, w, gw in steps:
                        group_backward(np, group, V, G, U, GU, w, gw)
                for group, gw in zip(self.varying, self.GW, strict=True):
                    if gw is not None and group.dot is not None and group.dot.w_grad:
                        if group.dot.w_unique:
                            GU[group.dot.w, 0] += gw
                        else:
                            np.add.at(GU[:, 0], group.dot.w, gw)
                if not plan.root_varying:
                    GU[plan.root_at] += seed * size  # the mean of a constant is that constant
                for step in reversed(self.fixed):
                    if isinstance(step, Sum):
                        sum_backward(np, step, GU)
                    else:
                        group_backward(np, step, U, GU, U, GU, None, None)
                total = float(GU.sum())
        except Exception:  # noqa: BLE001
            return False
        if not _finite_float(total):
            return False
        grads = GU[self.grad_rows, 0].tolist()
        for leaf, g in zip(self.grad_leaves, grads, strict=True):
            leaf.grad += g
        return True

    def source(self) -> str:
        parts = []
        fixed = self.plan.fixed_count
        if self.fixed:
            parts.append(f"# once per pass: {fixed} nodes that do not depend on the batch")
        for step in self.plan.steps:
            if isinstance(step, Sum):
                parts.append(
                    f"# level {step.level}, once per pass: a chain of additions, "
                    f"{len(step.terms)} terms added in order"
                )
                continue
            count = step.out.stop - step.out.start
            nodes = f"{count} node{'s' * (count != 1)}"
            once = ", once per pass" if step.fixed else ""
            head = f"# level {step.level}{once}: op {step.op.name!r} ({nodes})"
            if step.dot is not None:
                head += f"\n# as a matrix product: weights ({count} x {step.dot.w.shape[1]}) @ rows"
            if step.forward is None:
                parts.append(f"{head}\n# calls the op's own functions for every example")
            else:
                parts.append(f"{head}\n" + "\n".join(step.texts))
        return "\n".join(parts)
