"""A batched graph's plan: one example's graph turned into a short list of array steps.

Nodes that depend on a batch leaf ("varying") each own one row of a matrix V
(rows x examples, run a block of columns at a time); the others ("fixed") own one
row of a column U, computed once per pass, which broadcasts against the examples.
Nodes are grouped by (side, level, op, number of inputs, which inputs vary), and
each group's rows are contiguous: a group's forward is one call of the op's
forward in NumPy's dialect on (nodes x examples) arrays, each input a slice or a
gather of V (a row every node of the group reads: one row, broadcast) or of U.

Two forms run as something better than their nodes one by one:

- a group whose forward is a sum of inputs and products of two (``affine``, a
  layer's ``w . x + b``; ``mul``), where products pair a fixed input ``w`` with a
  varying row ``h`` every node reads: ``W @ H`` plus the other terms, the weights
  gathered from U into a matrix once per pass (:class:`Dot`); their gradients
  are matrix products too;
- a chain of additions on the fixed side (an L2 penalty's ``sum(p * p ...)``), one
  node feeding the next and read by nothing else: one step that adds its terms in
  the engine's order (:class:`Sum`), instead of one step per addition.

Backward runs the varying groups from the top level down, adding partial *
gradient into the inputs' rows, block by block; the gradient reaching a fixed
node is summed over the examples, then the fixed steps' backward runs once.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, NamedTuple

from micrograd_core._array_kernels import Kernel, kernels, terms
from micrograd_core.dialect import in_loop
from micrograd_core.errors import InvalidOpError
from micrograd_core.graph import CONSTANT, node_of
from micrograd_core.op import Op
from micrograd_core.value import Value

__all__ = ["BatchPlan", "Dot", "Group", "Source", "Sum"]


class Source(NamedTuple):
    """An input of a group."""

    fixed: bool  # a row of U (broadcast over the examples), not of V
    rows: Any  # a slice of V's (U's) rows, or an index array
    shared: bool  # every node of the group reads the same varying row
    unique: bool  # no two nodes of the group read the same row (+= is safe)
    needs_grad: bool


class Dot(NamedTuple):
    """A group's forward as ``W @ V[h]`` plus its other terms."""

    h: Any  # the rows of V that the products read (K of them): a slice or an index array
    w: Any  # the rows of U of the weights, an (m, K) index array
    rest: tuple[tuple[int, ...], ...]  # the other terms: an input, or a product of two
    w_grad: bool  # whether a weight wants a gradient
    h_grad: bool  # whether a row h wants one
    h_unique: bool
    w_unique: bool


class Group(NamedTuple):
    op: Op
    level: int
    fixed: bool  # runs once per pass on U
    out: slice  # the group's rows in V (in U)
    inputs: tuple[Source, ...]
    forward: Kernel | None  # None: the op's own functions, per example
    partials: tuple[Kernel | None, ...]  # per input (None: no gradient needed)
    constants: tuple[float | None, ...]  # a partial that is a number, per input
    texts: tuple[str, ...]  # the rendered forward and partials, for source()
    dot: Dot | None
    generic: tuple[int, ...]  # the inputs whose gradient goes through their partials


class Sum(NamedTuple):
    """A chain of additions on the fixed side, as one step."""

    level: int
    out: int  # its row of U
    terms: Any  # the rows of U it adds, in order (an index array)
    unique: bool


class BatchPlan:
    """Where every node's value lives, and the steps of a pass (see the module)."""

    def __init__(self, np: Any, order: list[Value], batch: Sequence[Value]) -> None:
        index = {id(v): i for i, v in enumerate(order)}
        n = len(order)
        batch_at = {index[id(v)] for v in batch if id(v) in index}
        inputs = [[index[id(v)] for v in node_of(node).inputs] for node in order]
        varying = [False] * n
        needs = [False] * n  # whether a node's gradient is wanted (it reaches a parameter)
        uses = [0] * n
        for i, node in enumerate(order):
            if node._op is None:
                varying[i] = i in batch_at
                needs[i] = not varying[i] and node._a is not CONSTANT
            else:
                varying[i] = any(varying[j] for j in inputs[i])
                needs[i] = any(needs[j] for j in inputs[i])
            for j in inputs[i]:
                uses[j] += 1
        self.root_varying = varying[-1]
        sums, absorbed = _sums(order, inputs, varying, uses)
        level = [0] * n
        for i, node in enumerate(order):
            if node._op is not None:
                reads = sums.get(i, inputs[i])
                level[i] = 1 + max((level[j] for j in reads if varying[j] == varying[i]), default=0)
        # rows: U holds the fixed leaves first, V the batch leaves; then the groups by level
        u_row: dict[int, int] = {}
        v_row: dict[int, int] = {}
        self.leaves = [order[i] for i in range(n) if not varying[i] and order[i]._op is None]
        for i in range(n):
            if not varying[i] and order[i]._op is None:
                u_row[i] = len(u_row)
        for i in sorted(batch_at):
            v_row[i] = len(v_row)
        self.batch_rows = [v_row.get(index.get(id(v), -1), -1) for v in batch]  # -1: unread
        keys: dict[tuple[Any, ...], list[int]] = {}
        for i in range(n):
            op = order[i]._op
            if op is None or i in absorbed:
                continue
            if i in sums:
                keys[(False, level[i], "sum", i)] = [i]
            else:
                ins = tuple(varying[j] for j in inputs[i])
                keys.setdefault((varying[i], level[i], id(op), len(inputs[i]), ins), []).append(i)
        grouped = sorted(keys.items(), key=lambda item: (item[0][0], item[0][1]))
        for key, members in grouped:
            rows = v_row if key[0] else u_row
            for i in members:
                rows[i] = len(rows)
        self.rows, self.fixed_rows = len(v_row), len(u_row)
        self.root_at = (v_row if self.root_varying else u_row)[n - 1]
        self.grad_leaves = [
            (u_row[i], order[i])
            for i in range(n)
            if i in u_row and order[i]._op is None and order[i]._a is not CONSTANT
        ]
        self.fixed_count = sum(1 for v in varying if not v)
        self.steps: list[Group | Sum] = []
        for key, members in grouped:
            if key[2] == "sum":
                chain = [u_row[j] for j in sums[members[0]]]
                at = np.array(chain, dtype=np.intp)
                self.steps.append(Sum(key[1], u_row[members[0]], at, len(set(chain)) == len(chain)))
                continue
            self.steps.append(_group(np, order, inputs, members, key, varying, needs, v_row, u_row))

    @property
    def fixed_steps(self) -> list[Group | Sum]:
        return [s for s in self.steps if isinstance(s, Sum) or s.fixed]

    @property
    def varying_steps(self) -> list[Group]:
        return [s for s in self.steps if isinstance(s, Group) and not s.fixed]


def _adds(op: Op) -> bool:
    """Whether ``op`` on two inputs is ``x0 + x1``, with partials 1 (its chains become a Sum)."""
    if op.arity != 2 or op.variadic:
        return False
    try:
        inline = op.inlined(2)
    except InvalidOpError:  # the group's kernels say what is wrong with it
        return False
    return (
        inline is not None
        and terms(inline.forward) == [(0,), (1,)]
        and all(in_loop(p) == 1.0 for p in inline.partials)
    )


def _sums(
    order: list[Value], inputs: list[list[int]], varying: list[bool], uses: list[int]
) -> tuple[dict[int, list[int]], set[int]]:
    """The chains of fixed additions, each with what it adds in the engine's order; and
    the additions they absorbed.

    ``(a + b) + c`` is the sum of ``[a, b, c]`` in that order; so is ``c + (a + b)``
    (adding two floats commutes exactly). Only one side is merged: ``(a + b) + (c +
    d)`` keeps ``c + d`` as a term of its own, since adding ``a, b, c, d`` in that
    order rounds otherwise.
    """
    chains: dict[int, list[int]] = {}
    absorbed: set[int] = set()
    adds: dict[int, bool] = {}
    for i, node in enumerate(order):
        op = node._op
        if op is None or varying[i] or len(inputs[i]) != 2:
            continue
        if id(op) not in adds:
            adds[id(op)] = _adds(op)
        if not adds[id(op)]:
            continue
        a, b = inputs[i]
        if a in chains and uses[a] == 1 and a != b:
            chains[i] = [*chains[a], b]
            absorbed.add(a)
        elif b in chains and uses[b] == 1 and a != b:
            chains[i] = [*chains[b], a]
            absorbed.add(b)
        else:
            chains[i] = [a, b]
    sums = {i: chain for i, chain in chains.items() if i not in absorbed and len(chain) > 2}
    return sums, absorbed


def _group(
    np: Any,
    order: list[Value],
    inputs: list[list[int]],
    members: list[int],
    key: tuple[Any, ...],
    varying: list[bool],
    needs: list[bool],
    v_row: dict[int, int],
    u_row: dict[int, int],
) -> Group:
    varying_side, lvl, _, arity, _ = key
    fixed_side = not varying_side
    op = order[members[0]]._op
    assert op is not None
    sources = []
    for k in range(arity):
        ins = [inputs[i][k] for i in members]
        is_varying = varying[ins[0]]
        at = [(v_row if is_varying else u_row)[j] for j in ins]
        shared = is_varying and len(set(at)) == 1
        rows = slice(at[0], at[0] + 1) if len(set(at)) == 1 else _rows(np, at)
        unique = len(set(at)) == len(at)
        sources.append(Source(not is_varying, rows, shared, unique, any(needs[j] for j in ins)))
    forward, partials, texts = kernels(op, arity, [x.needs_grad for x in sources])
    constants: list[float | None] = [None] * arity
    inline = op.inlined(arity) if forward is not None else None
    if inline is not None:
        for k, x in enumerate(sources):
            ref = in_loop(inline.partials[k]) if x.needs_grad else None
            if isinstance(ref, float):
                constants[k] = ref
    dot = None if fixed_side or inline is None else _dot(np, inline, sources, len(members))
    generic = [k for k, x in enumerate(sources) if x.needs_grad]
    if dot is not None:
        paired = {k for term in dot[1] for k in term}
        generic = [k for k in generic if k not in paired]
    first = (v_row if not fixed_side else u_row)[members[0]]
    return Group(
        op,
        lvl,
        fixed_side,
        slice(first, first + len(members)),
        tuple(sources),
        forward,
        partials,
        tuple(constants),
        texts,
        dot[0] if dot is not None else None,
        tuple(generic),
    )


def _dot(
    np: Any, inline: Any, sources: list[Source], m: int
) -> tuple[Dot, list[tuple[int, int]]] | None:
    """A group's forward as ``W @ H`` plus its other terms, and the pairs it takes, or None.

    Only where the op's partials are what its forward says (a term's input has
    partial 1, a product's inputs each other), so the gradient is the engine's.
    """
    found = terms(inline.forward)
    if found is None or len({k for t in found for k in t}) != sum(map(len, found)):
        return None
    refs = [in_loop(p) for p in inline.partials]
    for term in found:
        if len(term) == 1 and refs[term[0]] != 1.0:
            return None
        if len(term) == 2 and (refs[term[0]] != term[1] or refs[term[1]] != term[0]):
            return None
    pairs: list[tuple[int, int]] = []  # (w's input, h's input)
    rest: list[tuple[int, ...]] = []
    for term in found:
        if len(term) == 2:
            a, b = (sources[k] for k in term)
            if a.fixed and b.shared:
                pairs.append((term[0], term[1]))
                continue
            if a.shared and b.fixed:
                pairs.append((term[1], term[0]))
                continue
        rest.append(term)
    if not pairs:
        return None
    h = [sources[k].rows.start for _, k in pairs]
    w = np.stack([_indices(np, sources[k].rows, m) for k, _ in pairs], axis=1)
    dot = Dot(
        _rows(np, h),
        w,
        tuple(rest),
        any(sources[k].needs_grad for k, _ in pairs),
        any(sources[k].needs_grad for _, k in pairs),
        len(set(h)) == len(h),
        len(np.unique(w)) == w.size,
    )
    return dot, pairs


def _rows(np: Any, at: list[int]) -> Any:
    """Rows ``at`` as a slice where they are consecutive, else as an index array."""
    if at == list(range(at[0], at[0] + len(at))):
        return slice(at[0], at[0] + len(at))
    return np.array(at, dtype=np.intp)


def _indices(np: Any, rows: Any, m: int) -> Any:
    """The rows a source reads, one per node of a group of ``m``, as an index array."""
    if isinstance(rows, slice):
        rows = np.arange(rows.start, rows.stop, dtype=np.intp)
    return np.broadcast_to(rows, (m,))
