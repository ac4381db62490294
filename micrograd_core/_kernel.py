"""Kernels: the loops a compiled graph's replay runs, one per group of alike nodes.

A kernel is a function that loops over rows of slots in one list of floats ``b``
(the gradients in ``g``), one row per node (or per gradient sum): an op's inline
expressions (:class:`~micrograd_core.op.Inline`) written into the loop and
compiled once per process, or, for an op without them, a loop that calls the
op's own functions per node. Which kernel runs which rows is the plan's
(:mod:`micrograd_core._replay_plan`); :meth:`~micrograd_core.compiled.CompiledGraph.source`
shows the kernels a replay runs.
"""

from __future__ import annotations

import functools
import inspect
import math
import operator
import reprlib
import weakref
from collections.abc import Callable
from typing import Any, Final, NamedTuple, TypeVar

from micrograd_core.dialect import in_loop
from micrograd_core.errors import InvalidOpError
from micrograd_core.op import Op

__all__ = ["expression_kernel"]

_Rows = list[tuple[Any, ...]]
_Forward = Callable[[list[float], _Rows], None]
_Partials = Callable[[list[float], _Rows], float]  # returns partials it computed and dropped
_Sum = Callable[[list[float], list[float], _Rows], None]

_TERMS: Final = 32  # terms per row of a gradient sum; a longer sum takes several rows


# -- an op's own functions, called per node ----------------------------------------


def _call_forward(b: list[float], rows: _Rows) -> None:
    """The kernel of an op without inline expressions: call its forward per node."""
    for forward, get, i in rows:
        b[i] = forward(*get(b))


def _call_partials(b: list[float], rows: _Rows) -> float:
    """Call a partial function per input that needs it."""
    for partial, get, s in rows:
        d = partial(*get(b))
        if type(d) is not float:  # the engine converts it, or says what is wrong
            raise _NotExact
        b[s] = d
    return 0.0


def _call_gradients(b: list[float], rows: _Rows) -> float:
    """Call an op's ``gradient`` per node; keep the partials its inputs need."""
    for gradient, get, count, keep in rows:
        ds = gradient(*get(b))
        # Every partial is checked, a constant's too, as the engine checks them.
        if len(ds) != count or operator.countOf(map(type, ds), float) != count:
            raise _NotExact
        for k, s in keep:
            b[s] = ds[k]
    return 0.0


class _NotExact(Exception):
    """A partial that is not exactly a float, or a gradient giving the wrong number of
    them: the engine's pass converts them as it does, or raises its error."""


_CALLING: Final = frozenset({_call_forward, _call_partials, _call_gradients})


def _node_slot(kernel: Any, row: tuple[Any, ...]) -> int:
    """The slot of the node a row of ``kernel`` computes (the op's functions: its last
    item, or the output's slot among the arguments a partial is called with)."""
    if kernel is _call_forward:
        return int(row[2])
    if kernel is _call_partials or kernel is _call_gradients:
        return int(row[1](range(1 << 62))[-1])  # the getter of the inputs and the output
    return int(row[0])


# -- an op's inline expressions written into a loop --------------------------------


class _Inlined(NamedTuple):
    """An op's inline expressions for one number of inputs, ready for the plan."""

    forward: _Forward
    # per input: its partial as the loop computes it, or where it already is: an
    # int (the input of that index; -1, the output), or a float (a number)
    partials: tuple[str | int | float, ...]
    texts: tuple[str, ...]  # the partials as the op gives them, for messages


def _inlined(op: Op, n: int) -> _Inlined | None:
    """``op``'s kernels for ``n`` inputs, or None when it offers no inline expressions for
    them: none at all, or, for a variadic op, none that pass the gate for ``n`` inputs
    (its expressions for a very wide node, too long to be one): its functions then run,
    as :meth:`CompiledGraph.source` shows.

    Any other failure is the op's InvalidOpError naming the expression: one the gate
    refuses (an op applied without registering it), or one Python will not compile
    (the caller's stack nearly full).
    """
    try:
        inline = op.inlined(n)
    except InvalidOpError:  # refused for n inputs (the kit's inline check says why)
        if op.variadic:
            return None
        raise
    if inline is None:
        return None
    forward = _compiling(op, "forward", (inline.forward,), _forward_kernel, inline.forward, n)
    partials = tuple(
        _compiling(op, f"partial {k}", (text,), in_loop, text)
        for k, text in enumerate(inline.partials)
    )
    return _Inlined(forward, partials, inline.partials)


def _compiling(
    op: Op, what: str, texts: tuple[str, ...], make: Callable[..., _T], *args: Any
) -> _T:
    """``make(*args)``, which translates or compiles ``op``'s inline ``texts``; any failure
    is the op's InvalidOpError, naming the expressions."""
    try:
        return make(*args)
    except Exception as e:  # RecursionError, MemoryError, SyntaxError: whatever Python says
        shown = ", ".join(_shown.repr(t) for t in texts)
        msg = (
            f"{op.origin()}: inline {what} {shown} passed the checks but cannot be compiled "
            f"({type(e).__name__}: {e}); its expressions must be ones Python compiles here"
        )
        raise InvalidOpError(msg, op_name=op.name, plugin=op.plugin) from e


_T = TypeVar("_T")
_shown = reprlib.Repr()
_shown.maxstring = 200


def _forward_kernel(text: str, n: int) -> _Forward:
    loop = in_loop(text)
    if not isinstance(loop, str):  # an input or a number: still a loop that copies it
        loop = f"b[a{loop}]" if isinstance(loop, int) else repr(loop)
    row = ", ".join(["i", *(f"a{k}" for k in range(n))])
    return _kernel(_loop("b, rows", row, [f"b[i] = {loop}"]))


@functools.lru_cache(maxsize=1024)
def _partials_kernel(loops: tuple[str, ...], n: int) -> _Partials:
    lines = [f"b[s{m}] = {loop}" for m, loop in enumerate(loops)]
    row = ", ".join(["i", *(f"a{k}" for k in range(n)), *(f"s{m}" for m in range(len(loops)))])
    return _kernel(_loop("b, rows", row, lines, "return 0.0"))


@functools.lru_cache(maxsize=_TERMS)
def _sum_kernel(count: int) -> _Sum:
    row = ", ".join(["j", *(f"d{t}, c{t}" for t in range(count))])
    total = " + ".join(["g[j]", *(f"b[d{t}] * g[c{t}]" for t in range(count))])
    return _kernel(_loop("b, g, rows", row, [f"g[j] = {total}"]))


def _loop(parameters: str, row: str, body: list[str], after: str = "") -> str:
    lines = [f"def kernel({parameters}):", f"    for {row} in rows:"]
    lines += [f"        {line}" for line in body]
    if after:
        lines.append(f"    {after}")
    return "\n".join(lines) + "\n"


@functools.lru_cache(maxsize=1024)
def _kernel(source: str) -> Callable[..., Any]:
    """The function ``kernel`` that ``source`` defines, compiled once per process."""
    namespace: dict[str, Any] = {"math": math, "__builtins__": {}}  # nothing else in scope
    exec(compile(source, "<micrograd kernel>", "exec"), namespace)
    kernel: Callable[..., Any] = namespace["kernel"]
    _SOURCES[kernel] = source
    return kernel


def _source_of(kernel: Callable[..., Any]) -> str:
    """The source of a kernel: the one it was compiled from, or this module's."""
    source = _SOURCES.get(kernel)
    if source is None:
        source = inspect.getsource(kernel)
    return source


_SOURCES: weakref.WeakKeyDictionary[Callable[..., Any], str] = weakref.WeakKeyDictionary()


def expression_kernel(op: Op, text: str, n: int, *, partial: bool) -> Callable[..., object]:
    """What a compiled graph's loop computes for ``op``'s expression ``text`` of ``n``
    inputs, as a function of them (and of the output, for a ``partial``).

    The same translation and kernels a replay runs (the contract kit checks
    expressions with it); what they raise is raised.

    >>> from micrograd_core import Inline
    >>> tanh = Op("t", 1, inline=Inline("math.tanh(x0)", partials=("1 - out**2",)))
    >>> expression_kernel(tanh, "1 - out**2", 1, partial=True)(0.5, 0.25)
    0.9375
    """
    if not partial:
        forward = _compiling(op, "forward", (text,), _forward_kernel, text, n)

        def run_forward(*xs: float) -> object:
            b: list[Any] = [*xs, 0.0]
            forward(b, [(n, *range(n))])
            return b[n]

        return run_forward
    loop = _compiling(op, "partial", (text,), in_loop, text)
    if isinstance(loop, float):
        return lambda *args: loop
    if isinstance(loop, int):
        where = n if loop < 0 else loop
        return lambda *args: args[where]
    kernel = _compiling(op, "partial", (text,), _partials_kernel, (loop,), n)

    def run_partial(*args: float) -> object:
        b: list[Any] = [*args, 0.0]
        kernel(b, [(n, *range(n), n + 1)])
        return b[n + 1]

    return run_partial
