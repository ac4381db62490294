"""The plan of a compiled graph's replay: where each node's value sits, and what runs.

One list of floats, the buffer, holds every node's value (one slot per node,
in level order), then the numbers some partials are (add's 1.0), then the
partials each backward pass computes. A pass is a list of (kernel, rows): a
kernel is a loop over its rows, one row per node (or per gradient sum), so the
interpreter runs one loop per group of alike nodes, not one call per node.

- forward: level by level, a node's level being one more than its inputs'
  highest, so the nodes of one level depend on none of each other. An op that
  offers inline expressions gets a kernel with its forward written into the
  loop; any other op's forward function is called per node.
- partials: every partial of an input that needs a gradient, from the values
  alone, likewise. A partial that is an input (mul's), the output (exp's) or
  a number (add's 1.0) is not computed: the sums read it where it is.
- gradient: for each node j, ``g[j] = g[j] + d1 * g[c1] + d2 * g[c2] + ...``
  over the nodes c that use it, in reverse topological order: the order in
  which ``backward()`` adds into ``j.grad``, so the sum rounds the same way to
  the last bit. Levels run from the top down: a node's users sit at higher
  levels, so their gradients are final when it is summed.
"""

from __future__ import annotations

import operator
from collections import defaultdict
from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING, Any, NamedTuple

from micrograd_core._kernel import (
    _TERMS,
    _call_forward,
    _call_gradients,
    _call_partials,
    _compiling,
    _Forward,
    _Inlined,
    _inlined,
    _Partials,
    _partials_kernel,
    _Rows,
    _Sum,
    _sum_kernel,
)
from micrograd_core.graph import CONSTANT, node_of

if TYPE_CHECKING:
    from micrograd_core.value import Value


class _Plan(NamedTuple):
    size: int  # how many slots of the buffer are nodes' values
    slots: list[int]  # the slot of each node, in topological order
    buffer: list[float]
    forward: list[tuple[_Forward, _Rows]]
    partials: list[tuple[_Partials, _Rows]]
    gradient: list[tuple[_Sum, _Rows]]


def _plan(order: Sequence[Value]) -> _Plan:
    """The plan that replays the graph ``order`` (topological, the root last)."""
    size = len(order)
    index = {id(v): i for i, v in enumerate(order)}
    inputs = [[index[id(v)] for v in node_of(node).inputs] for node in order]
    levels = [0] * size
    for i, ins in enumerate(inputs):
        if ins:
            levels[i] = 1 + max(levels[j] for j in ins)
    # Slots in level order: a loop over one level's rows reads and writes
    # neighbouring slots (and floats allocated one after the other), which
    # matters more than anything else once the graph outgrows the CPU's caches.
    placed = sorted(range(size), key=levels.__getitem__)
    slots = [0] * size
    for s, i in enumerate(placed):
        slots[i] = s
    constant = [order[i]._a is CONSTANT for i in placed]
    level = [levels[i] for i in placed]
    buffer = [order[i].data for i in placed]
    numbers: dict[str, int] = {}  # a number's hex -> its slot, one per distinct number
    forward: defaultdict[tuple[int, _Forward], _Rows] = defaultdict(list)
    partials: defaultdict[object, _Rows] = defaultdict(list)
    # terms[j]: (consumer, slot of the partial) for each use of node j in topological
    # order, its inputs last to first: reversed, backward()'s order of adding them
    terms: list[list[int]] = [[] for _ in range(size)]
    inlined: dict[tuple[int, int], _Inlined | None] = {}

    def number(x: float) -> int:
        key = x.hex()
        if key not in numbers:
            numbers[key] = len(buffer)
            buffer.append(x)
        return numbers[key]

    def fresh() -> int:
        buffer.append(0.0)
        return len(buffer) - 1

    for t, node in enumerate(order):
        op = node._op
        if op is None:
            continue
        i = slots[t]
        ins = [slots[j] for j in inputs[t]]
        n = len(ins)
        wanted = [k for k, j in enumerate(ins) if not constant[j]]
        key = (id(op), n)
        if key not in inlined:
            inlined[key] = _inlined(op, n)
        fast = inlined[key]
        if fast is not None:
            forward[level[i], fast.forward].append((i, *ins))
            where: dict[int, int] = {}
            computed = []
            for k in wanted:
                ref = fast.partials[k]
                if isinstance(ref, int):
                    where[k] = ins[ref] if ref >= 0 else i
                elif isinstance(ref, float):
                    where[k] = number(ref)
                else:
                    where[k] = fresh()
                    computed.append(k)
            if computed:
                loops = tuple(str(fast.partials[k]) for k in computed)
                texts = tuple(fast.texts[k] for k in computed)
                kernel = _compiling(op, "partials", texts, _partials_kernel, loops, n)
                row = (i, *ins, *(where[k] for k in computed))
                partials[kernel].append(row)
        else:
            get = _getter(ins)
            forward[level[i], _call_forward].append((op.forward, get, i))
            where = {k: fresh() for k in wanted}
            args = _getter([*ins, i])
            if op.gradient is not None:
                keep = tuple((k, where[k]) for k in wanted)
                partials[_call_gradients].append((op.gradient, args, n, keep))
            else:
                for k in wanted:
                    call = (op.partials[k], args, where[k])
                    partials[_call_partials].append(call)
        for k in reversed(wanted):  # each list is reversed at the end, see _sums
            terms[ins[k]] += (i, where[k])
    return _Plan(
        size,
        slots,
        buffer,
        [(kernel, rows) for (_, kernel), rows in sorted(forward.items(), key=_by_level)],
        list(partials.items()),  # type: ignore[arg-type]
        _sums(terms, level),
    )


def _by_level(item: tuple[tuple[int, _Forward], _Rows]) -> int:
    return item[0][0]


def _sums(terms: list[list[int]], level: list[int]) -> list[tuple[_Sum, _Rows]]:
    """The gradient pass: each node's sum, by levels from the top, in rows of at most _TERMS."""
    groups: defaultdict[tuple[int, int], _Rows] = defaultdict(list)
    for j, flat in enumerate(terms):
        flat.reverse()  # (partial, consumer) pairs, users last to first
        if len(flat) <= 2 * _TERMS:  # nearly every node: one row
            if flat:
                groups[level[j], len(flat) // 2].append((j, *flat))
            continue
        for start in range(0, len(flat), 2 * _TERMS):
            chunk = flat[start : start + 2 * _TERMS]
            groups[level[j], len(chunk) // 2].append((j, *chunk))
    ordered = sorted(groups.items(), key=_top_down_full_rows_first)
    return [(_sum_kernel(count), rows) for (_, count), rows in ordered]


def _top_down_full_rows_first(group: tuple[tuple[int, int], _Rows]) -> tuple[int, int]:
    """Levels from the top; within a level, full rows first: a long sum's last,
    shorter row must come after its full ones, which sit in one group in order."""
    (level, count), _ = group
    return -level, -count


def _getter(slots: Sequence[int]) -> Callable[[list[float]], Any]:
    """``values -> tuple(values[i] for i in slots)``, in C (a slice for one slot)."""
    if len(slots) == 1:
        return operator.itemgetter(slice(slots[0], slots[0] + 1))
    return operator.itemgetter(*slots)
