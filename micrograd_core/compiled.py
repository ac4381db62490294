"""Compiled graphs: trace a graph once, then replay its forward and backward passes fast.

A training step builds the same graph every time, only with new numbers in it.
:func:`compile_graph` freezes the structure of one such graph into a flat plan:
for each node, its op's own functions (``forward``, the partials or
``gradient``) and where its inputs sit in a list of floats. Replaying it calls
each op on plain floats, allocates no node and walks no graph:

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
engine's own checks, which raise the engine's error, naming the op and its
place in the graph.
"""

from __future__ import annotations

import operator
from collections.abc import Callable, Sequence
from typing import Any, Final

from micrograd_core.errors import DomainError, GraphChangedError, InvalidOpError, MicrogradError
from micrograd_core.graph import (
    _UNDEFINED,
    CONSTANT,
    _accumulate,
    node_of,
    partials_error,
    topological_order,
)
from micrograd_core.value import Value, forward_value

__all__ = ["CompiledGraph", "compile_graph"]


def compile_graph(root: Value, *, build: Callable[[], Value] | None = None) -> CompiledGraph:
    """Freeze the structure of ``root``'s graph for fast replays of forward and backward.

    ``build``, if given, is the function that built ``root`` (called with no
    arguments, it reads the same leaves): ``forward(verify=True)`` calls it to
    check that the graph it builds now is still the traced one.

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
    (and the root) and reference counting frees everything at once.
    """

    __slots__ = (
        "__weakref__",
        "_backward",
        "_build",
        "_forward",
        "_grad_leaves",
        "_interior",
        "_leaves",
        "_order",
        "_values",
        "root",
    )

    root: Value
    _order: tuple[Value, ...]
    _leaves: tuple[tuple[int, Value], ...]
    _grad_leaves: tuple[tuple[int, Value], ...]
    _interior: tuple[tuple[int, Value], ...]
    _values: list[float]
    _forward: _ForwardPlan
    _backward: _BackwardPlan
    _build: Callable[[], Value] | None

    def __init__(self, root: Value, build: Callable[[], Value] | None = None) -> None:
        order = topological_order(root)
        self.root = root
        self._order = tuple(order)
        self._leaves = tuple((i, v) for i, v in enumerate(order) if v._op is None)
        self._grad_leaves = tuple((i, v) for i, v in self._leaves if v._a is not CONSTANT)
        self._interior = tuple((i, v) for i, v in enumerate(order) if v._op is not None)
        self._values = [v.data for v in order]
        self._forward, self._backward = _plan(order)
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

    def forward(self, *, verify: bool = False) -> float:
        """Recompute every node from the leaves' current ``.data``; return the root's value.

        With ``verify=True`` the result is also computed the slow way and the two
        compared: by the function given to :func:`compile_graph` as ``build``
        (which catches control flow that now takes another branch), or, without
        one, node by node through the engine. A difference raises
        :class:`GraphChangedError`.
        """
        values = self._values
        for i, leaf in self._leaves:
            values[i] = leaf.data
        try:
            ok = _replay_forward(self._forward, values)
        except Exception:  # noqa: BLE001  (any failure: rerun with the engine's checks)
            ok = False
        if ok:
            for i, node in self._interior:
                node.data = values[i]
        else:  # a result that is no float, or an error: the engine says which
            _forward_node_by_node(self._order)
            self._values = [v.data for v in self._order]
        if verify:
            self._verify()
        return self.root.data

    def backward(self) -> None:
        """Add d(root)/d(leaf) into every leaf's ``.grad``, as ``root.backward()`` would."""
        grads = [0.0] * len(self._order)
        for i, leaf in self._grad_leaves:
            grads[i] = leaf.grad
        grads[-1] = 1.0
        self.root.grad = 1.0
        try:
            ok = _replay_backward(self._backward, self._values, grads)
        except Exception:  # noqa: BLE001  (any failure: rerun with the engine's checks)
            ok = False
        if not ok:
            _backward_node_by_node(self._order)
            return
        for i, leaf in self._grad_leaves:
            leaf.grad = grads[i]

    def _verify(self) -> None:
        """Compare the replay with a graph built again (or recomputed through the engine)."""
        replay = [v.data for v in self._order]
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


def _located(error: DomainError, i: int, node: Value, total: int) -> DomainError:
    msg = f"{error}; at {_where(i, node, total)} of the compiled graph"
    return DomainError(msg, op_name=error.op_name, inputs=error.inputs)


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
        except DomainError as e:  # it names the op: add where it is
            raise _located(e, i, node, total) from e


def _backward_node_by_node(order: Sequence[Value]) -> None:
    """The engine's backward pass on the traced nodes, saying where a partial failed."""
    total = len(order)
    for node in order:
        if node._op is not None:
            node.grad = 0.0  # as on a freshly built graph
    root = order[-1]
    root.grad = 1.0
    for i in range(total - 1, -1, -1):
        node = order[i]
        op = node._op
        if op is None:
            continue
        try:
            _accumulate(node, op)
        except (MicrogradError, TypeError, *_UNDEFINED) as e:
            error = partials_error(node, op, e)
            if isinstance(error, DomainError):
                raise _located(error, i, node, total) from e
            if error is e:
                raise
            raise error from e


# -- the replay plan -------------------------------------------------------------
#
# Values and gradients live in two lists, one entry per node in topological
# order. The plan holds, for each node, its op's functions and an
# ``operator.itemgetter`` of its inputs' positions, so that one loop iteration
# gathers the inputs in C and calls the op. (Generating straight-line Python
# for the graph instead runs no faster here, and Python's compiler takes about
# two seconds for the 8,318 nodes of a demo step: 40 times the cost of a step.)

_ForwardPlan = list[tuple[Callable[..., Any], Callable[[list[float]], Any], int]]
# args getter (inputs, then the node), node, partials or gradient, to, pick or None, count
_BackwardPlan = list[
    tuple[
        Callable[[list[float]], Any],
        int,
        Any,
        tuple[int, ...],
        Callable[[Sequence[float]], Any] | None,
        int,
    ]
]


_ONE: Final = -1  # a backward entry for one partial
_EACH: Final = -2  # a backward entry for several partials, one per input


def _getter(slots: Sequence[int]) -> Callable[[list[float]], Any]:
    """``values -> tuple(values[i] for i in slots)``, in C (a slice for one slot)."""
    if len(slots) == 1:
        return operator.itemgetter(slice(slots[0], slots[0] + 1))
    return operator.itemgetter(*slots)


def _plan(order: Sequence[Value]) -> tuple[_ForwardPlan, _BackwardPlan]:
    """The forward and backward plans of the graph ``order`` (topological)."""
    slot = {id(v): i for i, v in enumerate(order)}
    constant = [v._a is CONSTANT for v in order]
    forward: _ForwardPlan = []
    backward: _BackwardPlan = []
    for i, node in enumerate(order):
        op = node._op
        if op is None:
            continue
        ins = [slot[id(v)] for v in node_of(node).inputs]
        forward.append((op.forward, _getter(ins), i))  # type: ignore[arg-type]
        wanted = [k for k, j in enumerate(ins) if not constant[j]]
        if not wanted:
            continue
        to = tuple(ins[k] for k in wanted)
        args = _getter([*ins, i])
        if op.gradient is not None:
            pick = None if len(wanted) == len(ins) else operator.itemgetter(*wanted, 0)
            backward.append((args, i, op.gradient, to, pick, len(ins)))
        elif len(wanted) == 1:
            backward.append((args, i, op.partials[wanted[0]], to, None, _ONE))
        else:
            partials = tuple(op.partials[k] for k in wanted)
            backward.append((args, i, partials, to, None, _EACH))
    backward.reverse()
    return forward, backward


def _replay_forward(plan: _ForwardPlan, values: list[float]) -> bool:
    """Run the forward plan; False if any result is no float (the engine must say why)."""
    for f, get, i in plan:
        values[i] = f(*get(values))
    return not set(map(type, values)) - {float}


def _replay_backward(plan: _BackwardPlan, values: list[float], grads: list[float]) -> bool:
    """Run the backward plan; False if a partial gave no real number or a wrong count."""
    unused = 0.0  # partials for constants: unused, but checked as the engine checks them
    for get, i, fns, to, pick, count in plan:
        g = grads[i]
        if count == _ONE:  # the bulk of every graph: one input needs a gradient
            j = to[0]
            grads[j] = grads[j] + fns(*get(values)) * g
            continue
        if count == _EACH:  # one partial per input that needs it
            args = get(values)
            for partial, j in zip(fns, to):  # noqa: B905  (as long as each other)
                grads[j] = grads[j] + partial(*args) * g
            continue
        ds = fns(*get(values))
        if len(ds) != count:
            return False
        if pick is not None:
            unused += sum(ds)
            ds = pick(ds)  # one element more than ``to``: zip stops at ``to``
        for j, d in zip(to, ds):  # noqa: B905
            grads[j] = grads[j] + d * g
    # One check in C: a partial that gave no real number (a complex, a numpy
    # float) leaves a gradient, or the sum of them, that is no float.
    return type(sum(grads, unused)) is float
