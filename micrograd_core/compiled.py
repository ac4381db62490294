"""Compiled graphs: trace a graph once, then replay its forward and backward passes fast.

A training step builds the same graph every time, only with new numbers in it.
:func:`compile_graph` freezes the structure of one such graph into a plan of
loops over a list of floats, one loop per group of alike nodes: each op's
inline expressions (:class:`~micrograd_core.op.Inline`) written into the
loop, or its own functions (``forward``, the partials or ``gradient``) called
per node. Replaying it allocates no node and walks no graph:

>>> from micrograd_core import Value
>>> x, w = Value(2.0), Value(-3.0)
>>> y = (x * w + 1).relu()
>>> step = compile_graph(y)
>>> w.data = -0.25
>>> step.forward()
0.5
>>> step.backward()
>>> x.grad, w.grad
(-0.25, 2.0)

What it freezes, what it replays:

- The structure: which op each node applies to which inputs. Python control
  flow that read ``.data`` while the graph was built (``if x.data > 0: ...``)
  took one branch then, and the replay keeps that branch. ``verify=True``
  rebuilds the graph with the function that built it and compares.
- The ops: each node keeps the op it was traced with, even if the registry
  changes later.
- Every op's forward and partials run again on every replay with the new
  values: relu's partial is 1 or 0 according to the new output.

The numbers are the engine's, bit for bit: each pass does the same float
operations in the same order as ``Value``'s operators and ``backward()`` on a
freshly built graph with the same leaf values. Op results are checked as the
engine checks them; when anything goes wrong (a domain error, an op returning
something other than a float), the pass is run again node by node through the
engine's own checks, which raise the engine's error (its type and
attributes, whatever its kind), naming the op and its place in the graph. A
partial that is not exactly a float (an int, a float subclass) is left to the
engine too, which converts it as it converts every partial.

The plan of a replay (which slot holds each node, which loop runs which nodes)
is :mod:`micrograd_core._replay_plan`'s; the loops themselves, compiled once per
process, are :mod:`micrograd_core._kernel`'s.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from typing import TYPE_CHECKING, Any, Final, Literal, overload

from micrograd_core._kernel import _CALLING, _node_slot, _Rows, _source_of, expression_kernel
from micrograd_core._replay_plan import _plan
from micrograd_core.errors import GraphChangedError, InvalidOpError, MicrogradError
from micrograd_core.graph import (
    _UNDEFINED,
    CONSTANT,
    _accumulate,
    node_of,
    partials_error,
    topological_order,
)
from micrograd_core.value import Value, forward_value

if TYPE_CHECKING:
    from micrograd_core._replay_plan import _Plan
    from micrograd_core.batched import BatchedGraph

__all__ = ["CompiledGraph", "compile_graph", "expression_kernel"]


@overload
def compile_graph(
    root: Value, *, build: Callable[[], Value] | None = None, batch: None = None
) -> CompiledGraph: ...
@overload
def compile_graph(
    root: Value,
    *,
    batch: Mapping[Value, Sequence[float] | Any],
    reduce: Literal["mean", "sum"] = "mean",
) -> BatchedGraph: ...
def compile_graph(
    root: Value,
    *,
    build: Callable[[], Value] | None = None,
    batch: Mapping[Value, Sequence[float] | Any] | None = None,
    reduce: Literal["mean", "sum"] = "mean",
) -> CompiledGraph | BatchedGraph:
    """Freeze the structure of ``root``'s graph for fast replays of forward and backward.

    ``build``, if given, is the function that built ``root`` (called with no
    arguments, it reads the same leaves): ``forward(verify=True)`` calls it to
    check that the graph it builds now is still the traced one.

    ``batch={leaf: values, ...}`` replays one example's graph over a batch of
    examples instead (a :class:`~micrograd_core.batched.BatchedGraph`): its
    ``forward()`` is the mean over the batch (``reduce="sum"``: the sum), its
    ``backward()`` adds that mean's gradient into the other leaves.

    >>> from micrograd_core import Value
    >>> a = Value(3.0)
    >>> step = compile_graph(a * a + a)
    >>> a.data = 4.0
    >>> step.forward()
    20.0
    """
    if not isinstance(root, Value):
        msg = f"compile_graph takes the Value at the root of a graph, got {type(root).__name__!r}"
        raise TypeError(msg)
    if batch is not None:
        if build is not None:
            msg = "compile_graph takes build or batch, not both: a batched graph is not verified"
            raise TypeError(msg)
        from micrograd_core.batched import BatchedGraph  # noqa: PLC0415  (NumPy's path)

        return BatchedGraph(root, batch, reduce, compile_one=CompiledGraph)
    if reduce != "mean":
        msg = f"reduce={reduce!r} applies to a batch; pass batch={{leaf: values, ...}} too"
        raise TypeError(msg)
    return CompiledGraph(root, build)


class CompiledGraph:
    """A graph's structure, frozen, with a flat plan that replays its two passes.

    ``forward()`` recomputes every node from the leaves' current ``.data`` and
    stores each node's new value in its ``.data`` (so the ``Value`` s you kept,
    a model's scores for instance, show the replay); ``backward()`` adds the
    gradient of the root into every leaf's ``.grad``, as ``root.backward()``
    would, from the values of the last ``forward()`` (or of the trace). It
    leaves the ``.grad`` of the nodes between the leaves and the root alone,
    except the root's, set to 1 as ``backward()`` sets it.

    The compiled graph holds the graph's nodes, and nothing holds it: drop it
    (and the root) and reference counting frees everything at once. Like the
    graph, it is for one thread at a time.
    """

    __slots__ = (
        "__weakref__",
        "_build",
        "_finite",
        "_grad_leaves",
        "_interior",
        "_leaves",
        "_order",
        "_plan",
        "root",
    )

    root: Value
    _order: tuple[Value, ...]
    _leaves: tuple[tuple[int, Value], ...]
    _grad_leaves: tuple[tuple[int, Value], ...]
    _interior: tuple[tuple[int, Value], ...]
    _plan: _Plan
    _finite: bool
    _build: Callable[[], Value] | None

    def __init__(self, root: Value, build: Callable[[], Value] | None = None) -> None:
        order = topological_order(root)
        self.root = root
        self._order = tuple(order)
        self._plan = _plan(order)
        at = self._plan.slots  # where each node's value sits in the plan's buffer
        self._leaves = tuple((at[i], v) for i, v in enumerate(order) if v._op is None)
        self._grad_leaves = tuple((s, v) for s, v in self._leaves if v._a is not CONSTANT)
        self._interior = tuple((at[i], v) for i, v in enumerate(order) if v._op is not None)
        self._finite = _finite_floats(self._plan.buffer[: self._plan.size])
        self._build = build

    def __repr__(self) -> str:
        return (
            f"<CompiledGraph of {len(self._order)} nodes ({len(self._interior)} ops, "
            f"{len(self._leaves)} leaves), root {self.root.data!r}>"
        )

    def __len__(self) -> int:
        """How many nodes the graph has (leaves and constants included)."""
        return len(self._order)

    @property
    def leaves(self) -> tuple[Value, ...]:
        """The leaves the replay reads, constants included, in topological order."""
        return tuple(v for _, v in self._leaves)

    def source(self) -> str:
        """The code a replay runs: each pass's kernels, in the order they run, once each.

        A kernel is a loop over rows of slots in one list of floats ``b`` (the
        gradients in ``g``): an op's expressions written into it, or a call of
        the op's own functions per node. A comment names the ops it serves.

        >>> from micrograd_core import Value
        >>> x = Value(0.5)
        >>> print(compile_graph((x * x).tanh()).source())
        # forward: op 'mul' (1 node)
        def kernel(b, rows):
            for i, a0, a1 in rows:
                b[i] = b[a0] * b[a1]
        <BLANKLINE>
        # forward: op 'tanh' (1 node)
        def kernel(b, rows):
            for i, a0 in rows:
                b[i] = math.tanh(b[a0])
        <BLANKLINE>
        # partials: op 'tanh' (1 node)
        def kernel(b, rows):
            for i, a0, s0 in rows:
                b[s0] = 1 - b[i] ** 2
            return 0.0
        <BLANKLINE>
        # gradient: 1 row
        def kernel(b, g, rows):
            for j, d0, c0 in rows:
                g[j] = g[j] + b[d0] * g[c0]
        <BLANKLINE>
        # gradient: 1 row
        def kernel(b, g, rows):
            for j, d0, c0, d1, c1 in rows:
                g[j] = g[j] + b[d0] * g[c0] + b[d1] * g[c1]
        """
        node_at = {s: node for s, node in zip(self._plan.slots, self._order, strict=True)}
        parts: list[str] = []
        passes: list[tuple[str, list[tuple[Any, _Rows]]]] = [
            ("forward", list(self._plan.forward)),
            ("partials", list(self._plan.partials)),
        ]
        for name, kernels in passes:
            seen: dict[Any, dict[int, Value]] = {}  # kernel -> the nodes it computes
            called: dict[Any, dict[str, None]] = {}  # kernel -> the op functions it calls
            for kernel, rows in kernels:
                nodes = seen.setdefault(kernel, {})
                for row in rows:
                    node = node_at[_node_slot(kernel, row)]
                    nodes[id(node)] = node
                    if kernel in _CALLING:
                        function = row[0]
                        module = getattr(function, "__module__", None) or "?"
                        qualname = getattr(function, "__qualname__", repr(function))
                        called.setdefault(kernel, {})[f"{module}.{qualname}"] = None
            for kernel, nodes in seen.items():
                ops = sorted({n._op.name for n in nodes.values() if n._op is not None})
                served = ", ".join(f"op {o!r}" for o in ops)
                count = f"{len(nodes)} node{'s' * (len(nodes) != 1)}"
                calls = "".join(f"\n# calls {f}" for f in called.get(kernel, ()))
                parts.append(f"# {name}: {served} ({count}){calls}\n{_source_of(kernel)}")
        for sums, rows in self._plan.gradient:
            count = f"{len(rows)} row{'s' * (len(rows) != 1)}"
            parts.append(f"# gradient: {count}\n{_source_of(sums)}")
        return "\n".join(parts).rstrip("\n")

    def forward(self, *, verify: bool = False) -> float:
        """Recompute every node from the leaves' current ``.data``; return the root's value.

        With ``verify=True`` the result is also computed the slow way and the two
        compared: by the function given to :func:`compile_graph` as ``build``
        (which catches control flow that now takes another branch), or, without
        one, node by node through the engine. A difference raises
        :class:`GraphChangedError`.
        """
        plan = self._plan
        b = plan.buffer
        for i, leaf in self._leaves:
            b[i] = leaf.data
        try:
            for kernel, rows in plan.forward:
                kernel(b, rows)
            ok = _finite_floats(b[: plan.size])
        except Exception:  # noqa: BLE001  (any failure: rerun with the engine's checks)
            ok = False
        self._finite = ok
        if ok:
            for i, node in self._interior:
                node.data = b[i]
        else:  # not finite, no float, or an error: the engine's own pass decides
            _forward_node_by_node(self._order)
            for s, node in zip(plan.slots, self._order, strict=True):
                b[s] = node.data
        if verify:
            self._verify()
        return self.root.data

    def backward(self) -> None:
        """Add d(root)/d(leaf) into every leaf's ``.grad``, as ``root.backward()`` would."""
        self._backward(1.0)

    def _backward(self, seed: float) -> None:
        """``backward()`` with the root's gradient ``seed`` (a batch's mean: 1/n per example)."""
        if not self._finite:  # partials read in place (mul's: an input) may not be either
            _backward_node_by_node(self._order, seed)
            return
        plan = self._plan
        b = plan.buffer
        grads = [0.0] * plan.size
        for i, leaf in self._grad_leaves:
            grads[i] = leaf.grad
        grads[-1] = seed
        self.root.grad = seed
        try:
            dropped = 0.0
            for kernel, rows in plan.partials:
                dropped += kernel(b, rows)
            # One check in C: a partial that gave no real number (a complex, a
            # numpy float) leaves a sum that is no float, and one that is not
            # finite (where an inline expression may stand for a function that
            # raises) a sum that is not finite.
            ok = _finite_float(sum(b[plan.size :], dropped))
            if ok:
                for sums, rows in plan.gradient:
                    sums(b, grads, rows)
        except Exception:  # noqa: BLE001  (any failure: rerun with the engine's checks)
            ok = False
        if not ok:
            _backward_node_by_node(self._order, seed)
            return
        for i, leaf in self._grad_leaves:
            leaf.grad = grads[i]

    def _verify(self) -> None:
        """Compare the replay with a graph built again (or recomputed through the engine)."""
        replay = [self._plan.buffer[s] for s in self._plan.slots]
        if self._build is None:
            _forward_node_by_node(self._order)
            again = [v.data for v in self._order]
            for i, (node, x, y) in enumerate(zip(self._order, replay, again, strict=True)):
                if not _same(x, y):
                    where = _where(i, node, len(self._order))
                    msg = f"the replay gives {x!r} where the engine gives {y!r} at {where}"
                    raise GraphChangedError(msg, node=i)
            return
        rebuilt = self._build()
        if not isinstance(rebuilt, Value):
            msg = f"build must return a Value, got {type(rebuilt).__name__!r}"
            raise TypeError(msg)
        fresh = topological_order(rebuilt)
        if len(fresh) != len(self._order):
            msg = (
                f"the graph built again has {len(fresh)} nodes where the traced one has "
                f"{len(self._order)}: control flow on .data took another path than when it "
                f"was traced; compile the graph again"
            )
            raise GraphChangedError(msg, node=None)
        position = {id(v): i for i, v in enumerate(self._order)}
        renumber: dict[int, int] = {}
        for i, (old, new) in enumerate(zip(self._order, fresh, strict=True)):
            renumber[id(new)] = i
            was, now = node_of(old), node_of(new)
            same_leaf = old._op is None and (new is old or (was.constant and now.constant))
            same_op = (
                old._op is not None
                and new._op is old._op
                and [position[id(v)] for v in was.inputs]
                == [renumber.get(id(v), -1) for v in now.inputs]
            )
            where = _where(i, old, len(self._order))
            if not (same_leaf or same_op):
                got = now.op.name if now.op is not None else "a leaf"
                msg = (
                    f"the graph built again has {got} at {where}: control flow on .data took "
                    f"another path than when it was traced; compile the graph again"
                )
                raise GraphChangedError(msg, node=i)
            if not _same(replay[i], new.data):
                msg = (
                    f"the replay gives {replay[i]!r} where the graph built again gives "
                    f"{new.data!r} at {where}; compile the graph again"
                )
                raise GraphChangedError(msg, node=i)


_FLOAT: Final = {float}


def _finite_floats(values: list[float]) -> bool:
    """Whether every value is a finite float: then no op overflowed or left its domain
    (where its inline expression may skip its function's check), and none returned an
    int or read one from a leaf (the engine makes it a float). Two passes in C."""
    try:
        total = sum(values)
    except TypeError:  # a leaf set to something that is no number
        return False
    return _finite_float(total) and set(map(type, values)) == _FLOAT


def _finite_float(x: object) -> bool:
    """Whether ``x`` is a float that is neither infinite nor NaN (x - x is NaN for those)."""
    return type(x) is float and x - x == 0.0


def _same(x: float, y: float) -> bool:
    """Whether two floats are the same float (NaN equals NaN; 0.0 is not -0.0)."""
    return x.hex() == y.hex() if type(x) is float and type(y) is float else x == y


def _where(i: int, node: Value, total: int) -> str:
    op = node._op
    if op is not None:
        what = f"op {op.name!r}"
    else:
        what = "a constant" if node._a is CONSTANT else "a leaf"
    label = f" labelled {node.label!r}" if node.label else ""
    return f"node {i} of {total} in topological order ({what}{label})"


# -- node by node: the engine's own checks, and where in the graph it failed ----


def _locate(error: Exception, i: int, node: Value, total: int) -> None:
    """Add where in the graph to the message of ``error``, the engine's own error for
    ``node``: its type and attributes stay what the engine gives, whatever the kind."""
    if error.args and isinstance(error.args[0], str):
        where = f"at {_where(i, node, total)} of the compiled graph"
        error.args = (f"{error.args[0]}; {where}", *error.args[1:])


def _forward_node_by_node(order: Sequence[Value]) -> None:
    """Recompute each node in order, checking each result as ``Value``'s operators do."""
    total = len(order)
    for i, node in enumerate(order):
        op = node._op
        if op is None:
            continue
        if op.forward is None:  # never in a traced graph: composites record their parts
            msg = f"{op.origin()} has no forward function"
            raise InvalidOpError(msg, op_name=op.name, plugin=op.plugin)
        try:
            node.data = forward_value(op, [v.data for v in node_of(node).inputs])
        except MicrogradError as e:  # the engine's error: add where it is
            _locate(e, i, node, total)
            raise


def _backward_node_by_node(order: Sequence[Value], seed: float = 1.0) -> None:
    """The engine's backward pass on the traced nodes, saying where a partial failed."""
    total = len(order)
    for node in order:
        if node._op is not None:
            node.grad = 0.0  # as on a freshly built graph
    root = order[-1]
    root.grad = seed
    for i in range(total - 1, -1, -1):
        node = order[i]
        op = node._op
        if op is None:
            continue
        try:
            _accumulate(node, op)
        except (MicrogradError, TypeError, *_UNDEFINED) as e:
            error = partials_error(node, op, e)
            _locate(error, i, node, total)
            if error is e:
                raise
            raise error from e
