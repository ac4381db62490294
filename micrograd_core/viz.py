"""Drawing a ``Value``'s computation graph, as micrograd's ``draw_dot`` does.

Each value is a record ``{ label | data | grad }`` and each op application a
node of its own, with edges from the inputs through the op to its output. An
op from a plugin other than the built-in one shows that plugin's name under its
own. :func:`to_dot` gives the drawing as Graphviz DOT text and needs nothing but
the engine; :func:`draw_dot` (inline in Jupyter) and :func:`render_graph` (a
file) turn it into a picture with the ``graphviz`` Python package and
Graphviz's ``dot`` program: ``pip install 'micrograd-registry[graph]'`` and the
system's Graphviz.
"""

from __future__ import annotations

import functools
import importlib
import os
import shutil
from collections.abc import Callable
from pathlib import Path
from types import ModuleType
from typing import Any, Final

from micrograd_core.errors import GraphTooLargeError
from micrograd_core.graph import node_of
from micrograd_core.registry import BUILTIN_PLUGIN
from micrograd_core.value import Value

__all__ = [
    "DEFAULT_MAX_NODES",
    "FORMATS",
    "draw_dot",
    "format_for",
    "render_graph",
    "require_graphviz",
    "to_dot",
]

DEFAULT_MAX_NODES: Final = 1000
"""The most values a drawing shows unless told otherwise; past it Graphviz is slow and
the picture unreadable."""

RANKDIRS: Final = ("LR", "TB", "RL", "BT")
FORMATS: Final = ("svg", "png", "pdf", "dot", "gv")
"""The file formats :func:`render_graph` writes; ``dot`` and ``gv`` are DOT text."""

_TEXT_FORMATS: Final = ("dot", "gv")
_INSTALL_GRAPHVIZ: Final = (
    "Graphviz itself, which provides the dot program (apt install graphviz, "
    "brew install graphviz or conda install graphviz)"
)
MISSING_PACKAGE: Final = (
    "drawing a graph needs the graphviz Python package, which is not installed; install it "
    f"with: pip install 'micrograd-registry[graph]', and {_INSTALL_GRAPHVIZ}. "
    "to_dot() gives the DOT text without either"
)
MISSING_DOT: Final = (
    "drawing a graph needs Graphviz's dot program, which is not on PATH; install "
    f"{_INSTALL_GRAPHVIZ}. to_dot() gives the DOT text without it"
)


def to_dot(root: Value, *, rankdir: str = "LR", max_nodes: int = DEFAULT_MAX_NODES) -> str:
    """The graph of ``root`` as Graphviz DOT text: a record per value, a node per op.

    A value shows its label (when it has one), data and grad to 4 decimals; a
    constant (the 2 in ``x * 2``) is dashed and shows no gradient, since none
    is computed for it. A value used twice is drawn once, with an edge to each
    use. ``rankdir`` is ``"LR"`` (left to right, as micrograd), ``"TB"`` (top
    to bottom), ``"RL"`` or ``"BT"``. A graph of more than ``max_nodes`` values raises
    :class:`GraphTooLargeError` as soon as the walk finds one too many.

    >>> x = Value(3.0, label="x")
    >>> print(to_dot(x * 2), end="")
    digraph {
      rankdir=LR
      v0 [shape=record, label="{ x | data 3.0000 | grad 0.0000 }"]
      v1 [shape=record, style=dashed, label="{ const | data 2.0000 }"]
      v2 [shape=record, label="{ data 6.0000 | grad 0.0000 }"]
      v2_op [label="mul"]
      v0 -> v2_op
      v1 -> v2_op
      v2_op -> v2
    }
    """
    if rankdir not in RANKDIRS:
        msg = f"rankdir must be one of {', '.join(RANKDIRS)}, got {rankdir!r}"
        raise ValueError(msg)
    if type(max_nodes) is not int or max_nodes < 1:
        msg = f"max_nodes must be a positive int, got {max_nodes!r}"
        raise ValueError(msg)
    order = _walk(root, max_nodes)
    ids = {node: f"v{i}" for i, node in enumerate(order)}
    lines = ["digraph {", f"  rankdir={rankdir}"]
    for node in order:
        name = ids[node]
        op, inputs, constant = node_of(node)
        fields = [_record_text(str(node.label))] if node.label else ["const"] if constant else []
        fields.append(f"data {node.data:.4f}")
        if not constant:
            fields.append(f"grad {node.grad:.4f}")
        style = ", style=dashed" if constant else ""
        lines.append(f'  {name} [shape=record{style}, label="{{ {" | ".join(fields)} }}"]')
        if op is None:  # a leaf
            continue
        text = _text(op.name)
        provenance = op.provenance
        if provenance is not None and provenance.plugin != BUILTIN_PLUGIN:
            text += "\\n(" + _text(provenance.plugin) + ")"
        lines.append(f'  {name}_op [label="{text}"]')
        lines.extend(f"  {ids[a]} -> {name}_op" for a in inputs)
        lines.append(f"  {name}_op -> {name}")
    lines.append("}")
    return "\n".join(lines) + "\n"


def _walk(root: Value, max_nodes: int) -> list[Value]:
    """The values under ``root``, inputs before their users, each once (by identity).

    An iterative depth-first post-order, as :func:`~micrograd_core.graph.topological_order`,
    that visits inputs in order and counts as it goes.
    """
    order: list[Value] = []
    seen: set[Value] = set()
    stack: list[tuple[Value, bool]] = [(root, False)]
    while stack:
        node, inputs_done = stack.pop()
        if inputs_done:
            order.append(node)
            continue
        if node in seen:
            continue
        if len(seen) == max_nodes:
            msg = (
                f"the graph has more than {max_nodes} values (max_nodes={max_nodes}), too "
                "many to draw readably; draw the graph of an intermediate value, or raise "
                "max_nodes"
            )
            raise GraphTooLargeError(msg, max_nodes=max_nodes)
        seen.add(node)
        stack.append((node, True))
        stack.extend((a, False) for a in reversed(node_of(node).inputs) if a not in seen)
    return order


def _text(text: str) -> str:
    """``text`` inside a DOT string: backslashes, quotes and line breaks escaped."""
    return (
        text.replace("\\", "\\\\")
        .replace('"', '\\"')
        .replace("\r\n", "\\n")
        .replace("\n", "\\n")
        .replace("\r", "\\n")
    )


_RECORD_SPECIAL: Final = str.maketrans({c: "\\" + c for c in "{}|<>"})


def _record_text(text: str) -> str:
    """``text`` as one field of a record label: its ``{ } | < >`` escaped as well."""
    return _text(text).translate(_RECORD_SPECIAL)


# -- pictures, through the graphviz package and Graphviz's dot ----------------------


def require_graphviz() -> None:
    """Raise an error that names what to install unless a graph can be drawn here.

    ``ModuleNotFoundError`` when the ``graphviz`` Python package is missing,
    ``FileNotFoundError`` when Graphviz's ``dot`` program is not on ``PATH``.
    """
    _graphviz_package()
    if shutil.which("dot") is None:
        raise FileNotFoundError(MISSING_DOT)


def _graphviz_package() -> ModuleType:
    # Imported by name, not with an import statement: the graphviz package has no
    # type information, and mypy would report that in every project that type-checks
    # code importing micrograd_core, wherever the package is installed.
    try:
        return importlib.import_module("graphviz")
    except ImportError as e:
        raise ModuleNotFoundError(MISSING_PACKAGE, name="graphviz") from e


@functools.cache
def _drawing_class(graphviz: ModuleType) -> type:
    """``graphviz.Digraph`` whose rendering, without ``dot``, says what to install.

    Built once, on the first drawing: the graphviz package is optional, so the
    class cannot be written at import time. ``pipe``, ``render`` and ``view``
    raise ``FileNotFoundError`` with :data:`MISSING_DOT` where the package would
    raise its ``ExecutableNotFound``; shown in Jupyter without ``dot``, a drawing
    is that message and its DOT text instead of a traceback.
    """
    digraph: Any = graphviz.Digraph
    not_found: type[Exception] = graphviz.ExecutableNotFound

    def with_dot(method: Callable[..., Any]) -> Callable[..., Any]:
        @functools.wraps(method)
        def call(self: Any, *args: Any, **kwargs: Any) -> Any:
            try:
                return method(self, *args, **kwargs)
            except not_found as e:
                raise FileNotFoundError(MISSING_DOT) from e

        return call

    def _repr_mimebundle_(self: Any, *args: Any, **kwargs: Any) -> dict[str, Any]:
        try:
            bundle: dict[str, Any] = digraph._repr_mimebundle_(self, *args, **kwargs)
        except FileNotFoundError:
            return {"text/plain": f"{MISSING_DOT}\n\n{self.source}"}
        return bundle

    namespace = {
        "__doc__": "A ``graphviz.Digraph`` of a ``Value``'s graph, drawn by :func:`draw_dot`.",
        "__module__": __name__,
        "__qualname__": "Drawing",
        "pipe": with_dot(digraph.pipe),
        "render": with_dot(digraph.render),
        "view": with_dot(digraph.view),
        "_repr_mimebundle_": _repr_mimebundle_,
    }
    return type("Drawing", (digraph,), namespace)


def draw_dot(
    root: Value,
    format: str = "svg",  # noqa: A002  (micrograd's name for it)
    rankdir: str = "LR",
    *,
    max_nodes: int = DEFAULT_MAX_NODES,
) -> Any:
    """The drawing of ``root``'s graph as a ``graphviz.Digraph``, as micrograd's ``draw_dot``.

    In Jupyter it displays inline when it ends a cell. ``.render("graph")``
    writes ``graph.svg`` (the extension is ``format``) next to the DOT text in
    ``graph``; ``.source`` is the DOT text of :func:`to_dot`, and ``.node()``
    and ``.edge()`` add to it as to any ``Digraph``. Building it needs the
    graphviz Python package (the ``graph`` or ``notebooks`` extra), not
    Graphviz's ``dot`` program; showing or rendering it needs ``dot`` too, and
    says so (``FileNotFoundError``) where it is missing.
    """
    graphviz = _graphviz_package()
    lines = to_dot(root, rankdir=rankdir, max_nodes=max_nodes).splitlines(keepends=True)
    return _drawing_class(graphviz)(body=lines[1:-1], format=format)


def format_for(path: str | os.PathLike[str]) -> str:
    """The format :func:`render_graph` writes to ``path``, from its suffix (``.svg``: svg).

    >>> format_for("graph.PNG")
    'png'
    """
    suffix = Path(path).suffix.lower().lstrip(".")
    if suffix not in FORMATS:
        endings = ", ".join(f".{f}" for f in FORMATS)
        msg = (
            f"cannot tell a picture format from {os.fspath(path)!r}; "
            f"expected a file ending in {endings}"
        )
        raise ValueError(msg)
    return suffix


def render_graph(
    root: Value,
    path: str | os.PathLike[str],
    *,
    rankdir: str = "LR",
    max_nodes: int = DEFAULT_MAX_NODES,
) -> Path:
    """Draw ``root``'s graph to ``path``, in the format its suffix names; return the path.

    ``.svg``, ``.png`` and ``.pdf`` need the ``graph`` extra and Graphviz (see
    :func:`require_graphviz`); ``.dot`` and ``.gv`` are the DOT text, which
    needs neither.
    """
    path = Path(path)
    fmt = format_for(path)
    if fmt not in _TEXT_FORMATS:
        require_graphviz()
    text = to_dot(root, rankdir=rankdir, max_nodes=max_nodes)
    if fmt in _TEXT_FORMATS:
        path.write_text(text)
    else:
        path.write_bytes(_graphviz_package().Source(text).pipe(format=fmt))
    return path
