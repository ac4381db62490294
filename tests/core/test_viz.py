"""Drawing a Value's graph: the DOT text of known graphs, the node limit, and real pictures."""

from __future__ import annotations

import html
import importlib.util
import re
import shutil
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

import micrograd_ops
from micrograd_core import (
    GraphTooLargeError,
    Op,
    OpRegistry,
    Provenance,
    Value,
    apply,
    draw_dot,
    load_registry,
    render_graph,
    to_dot,
)
from micrograd_core.viz import DEFAULT_MAX_NODES, format_for, require_graphviz

ROOT = Path(__file__).resolve().parents[2]
NEURON_PICTURE = ROOT / "docs" / "images" / "neuron.svg"

CAN_RENDER = shutil.which("dot") is not None and importlib.util.find_spec("graphviz") is not None
needs_graphviz = pytest.mark.skipif(
    not CAN_RENDER,
    reason="rendering needs Graphviz's dot program on PATH and the graphviz package "
    "(pip install 'micrograd-registry[graph]'); .ci/run installs Graphviz where it can",
)


def values(dot: str) -> dict[str, str]:
    """Value node id to its record label, as drawn; each drawn once."""
    drawn = re.findall(r'^  (v\d+) \[shape=record[^\]]*label="\{ (.*) \}"\]$', dot, re.M)
    assert dot.count("shape=record") == len(drawn) == len(dict(drawn))
    return dict(drawn)


def ops(dot: str) -> dict[str, str]:
    """Op node id to its label."""
    return dict(re.findall(r'^  (v\d+_op) \[label="(.*)"\]$', dot, re.M))


def edges(dot: str) -> list[tuple[str, str]]:
    return re.findall(r"^  (\w+) -> (\w+)$", dot, re.M)


def neuron() -> Value:
    """The neuron of micrograd's lecture, labelled as there, after backward."""
    x1, x2 = Value(2.0, label="x1"), Value(0.0, label="x2")
    w1, w2 = Value(-3.0, label="w1"), Value(1.0, label="w2")
    b = Value(6.8813735870195432, label="b")
    x1w1 = x1 * w1
    x1w1.label = "x1*w1"
    x2w2 = x2 * w2
    x2w2.label = "x2*w2"
    x1w1x2w2 = x1w1 + x2w2
    x1w1x2w2.label = "x1*w1 + x2*w2"
    n = x1w1x2w2 + b
    n.label = "n"
    o = n.tanh()
    o.label = "o"
    o.backward()
    return o


@pytest.fixture
def builtin() -> Iterator[OpRegistry]:
    registry = load_registry({"builtin": micrograd_ops}, environ={})
    with registry.activated():
        yield registry


# -- labels ---------------------------------------------------------------------


def test_labels_are_empty_unless_given() -> None:
    x = Value(2.0)
    y = Value(3.0, label="w1")
    z = x * y
    assert (x.label, y.label, z.label) == ("", "w1", "")
    z.label = "z"
    assert z.label == "z"
    assert repr(y) == "Value(data=3.0, grad=0.0)"  # the repr stays micrograd's


# -- the DOT text of known graphs -----------------------------------------------


def test_the_lecture_neuron(builtin: OpRegistry) -> None:
    dot = to_dot(neuron())
    drawn = values(dot)
    assert len(drawn) == 10
    assert sorted(ops(dot).values()) == ["add", "add", "mul", "mul", "tanh"]
    assert len(edges(dot)) == 4 * 3 + 2  # each binary op: 2 in, 1 out; tanh: 1 in, 1 out
    labels = set(drawn.values())
    # micrograd's picture of it: data and grad to 4 decimals
    assert "x1 | data 2.0000 | grad -1.5000" in labels
    assert "w2 | data 1.0000 | grad 0.0000" in labels
    assert "b | data 6.8814 | grad 0.5000" in labels
    assert "x1*w1 + x2*w2 | data -6.0000 | grad 0.5000" in labels
    assert "o | data 0.7071 | grad 1.0000" in labels
    assert dot.startswith("digraph {\n  rankdir=LR\n")
    assert dot.endswith("}\n")


def test_unlabelled_values_show_data_and_grad(builtin: OpRegistry) -> None:
    x = Value(1 / 3)
    y = x.exp()
    y.backward()
    assert set(values(to_dot(y)).values()) == {
        "data 0.3333 | grad 1.3956",
        "data 1.3956 | grad 1.0000",
    }


def test_a_shared_value_is_drawn_once_with_an_edge_per_use(builtin: OpRegistry) -> None:
    x = Value(3.0, label="x")
    square = x * x
    y = square + x
    dot = to_dot(y)
    drawn = values(dot)
    assert len(drawn) == 3
    (x_id,) = [k for k, label in drawn.items() if label.startswith("x |")]
    assert sum(tail == x_id for tail, _ in edges(dot)) == 3  # twice into mul, once into add


def test_a_diamond_is_drawn_once(builtin: OpRegistry) -> None:
    x = Value(0.5, label="x")
    a, b = x.tanh(), x.exp()
    y = a * b
    dot = to_dot(y)
    assert len(values(dot)) == 4
    assert len(ops(dot)) == 3
    assert len(edges(dot)) == 2 + 2 + 3


def test_constants_are_dashed_and_show_no_gradient(builtin: OpRegistry) -> None:
    x = Value(3.0, label="x")
    y = x**2
    y.backward()
    dot = to_dot(y)
    assert 'v1 [shape=record, style=dashed, label="{ const | data 2.0000 }"]' in dot
    assert set(values(dot).values()) == {
        "x | data 3.0000 | grad 6.0000",
        "const | data 2.0000",
        "data 9.0000 | grad 1.0000",
    }


def test_inputs_are_drawn_in_order(builtin: OpRegistry) -> None:
    base, exponent = Value(2.0, label="base"), Value(3.0, label="exponent")
    dot = to_dot(base**exponent)
    assert edges(dot) == [("v0", "v2_op"), ("v1", "v2_op"), ("v2_op", "v2")]
    assert values(dot)["v0"].startswith("base |")


def test_an_op_from_a_plugin_shows_its_provider(builtin: OpRegistry) -> None:
    fma = Op(
        "fma",
        3,
        forward=lambda a, b, c: a * b + c,
        partials=(lambda a, b, c, out: b, lambda a, b, c, out: a, lambda a, b, c, out: 1.0),
    )
    registry = builtin.with_ops([fma], Provenance("fused", "micrograd-fused", "1.0"))
    with registry.activated():
        a, b, c = Value(2.0, label="a"), Value(3.0, label="b"), Value(1.0, label="c")
        y = apply("fma", a, b, c) + 1
        dot = to_dot(y)
    assert sorted(ops(dot).values()) == ["add", "fma\\n(fused)"]  # built-in ops: name only
    fma_node = next(k for k, v in ops(dot).items() if v.startswith("fma"))
    assert [tail for tail, head in edges(dot) if head == fma_node] == ["v0", "v1", "v2"]


def test_top_to_bottom() -> None:
    assert "  rankdir=TB\n" in to_dot(Value(1.0), rankdir="TB")
    with pytest.raises(ValueError, match="rankdir must be one of LR, TB, RL, BT, got 'left'"):
        to_dot(Value(1.0), rankdir="left")


# -- escaping ---------------------------------------------------------------------

AWKWARD = 'a{b}|c<d>"e\\f'


def test_labels_are_escaped_for_records() -> None:
    dot = to_dot(Value(1.0, label=AWKWARD))
    assert 'label="{ a\\{b\\}\\|c\\<d\\>\\"e\\\\f | data 1.0000 | grad 0.0000 }"' in dot


def test_a_label_that_is_not_a_string_is_drawn_as_one() -> None:
    assert values(to_dot(Value(1.0, label=7)))["v0"].startswith("7 |")  # type: ignore[arg-type]


def test_a_line_break_in_a_label_stays_inside_its_string() -> None:
    dot = to_dot(Value(1.0, label="two\nlines"))
    assert "{ two\\nlines | data" in dot
    assert len(dot.splitlines()) == 4


# -- large graphs -------------------------------------------------------------------


def chain(length: int) -> Value:
    """``length`` tanh nodes in a row over one leaf: ``length + 1`` values."""
    y = Value(0.1)
    for _ in range(length):
        y = y.tanh()
    return y


def test_a_graph_over_the_limit_is_refused_naming_the_limit(builtin: OpRegistry) -> None:
    assert len(values(to_dot(chain(DEFAULT_MAX_NODES - 1)))) == DEFAULT_MAX_NODES
    with pytest.raises(GraphTooLargeError, match=r"more than 1000 values \(max_nodes=1000\)") as e:
        to_dot(chain(DEFAULT_MAX_NODES))
    assert e.value.max_nodes == DEFAULT_MAX_NODES
    assert isinstance(e.value, ValueError)
    assert len(values(to_dot(chain(DEFAULT_MAX_NODES), max_nodes=DEFAULT_MAX_NODES + 1))) == 1001


def test_a_long_chain_stops_at_the_limit_and_draws_in_full_when_allowed(
    builtin: OpRegistry,
) -> None:
    long = chain(150_000)  # far deeper than Python's recursion limit
    with pytest.raises(GraphTooLargeError, match="max_nodes=10"):
        to_dot(long, max_nodes=10)
    dot = to_dot(long, max_nodes=200_000)
    assert len(values(dot)) == 150_001
    assert len(edges(dot)) == 300_000


@pytest.mark.parametrize("limit", [0, -1, 2.5])
def test_the_limit_is_a_positive_int(limit: int) -> None:
    with pytest.raises(ValueError, match="max_nodes must be a positive int"):
        to_dot(Value(1.0), max_nodes=limit)


# -- pictures -------------------------------------------------------------------------


def svg_texts(svg: str) -> list[str]:
    return [html.unescape(t) for t in re.findall(r"<text[^>]*>(.*?)</text>", svg)]


def test_the_format_comes_from_the_suffix() -> None:
    assert [format_for(p) for p in ("a.svg", "b.PNG", "c.pdf", "d.dot", "e.gv")] == [
        "svg",
        "png",
        "pdf",
        "dot",
        "gv",
    ]
    with pytest.raises(ValueError, match=r"'graph\.jpg'; expected a file ending in \.svg, \.png"):
        format_for("graph.jpg")


def test_dot_text_is_written_without_graphviz(
    builtin: OpRegistry, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("PATH", str(tmp_path))  # no dot program
    monkeypatch.setitem(sys.modules, "graphviz", None)  # and no graphviz package
    y = neuron()
    path = render_graph(y, tmp_path / "neuron.dot")
    assert path.read_text() == to_dot(y)


def test_without_the_graphviz_package_the_error_says_what_to_install(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setitem(sys.modules, "graphviz", None)  # as if never installed
    with pytest.raises(ModuleNotFoundError, match=r"pip install 'micrograd-registry\[graph\]'"):
        draw_dot(Value(1.0))
    with pytest.raises(ModuleNotFoundError, match="apt install graphviz"):
        render_graph(Value(1.0), tmp_path / "graph.svg")
    assert not (tmp_path / "graph.svg").exists()


@pytest.mark.skipif(
    importlib.util.find_spec("graphviz") is None, reason="needs the graphviz package installed"
)
def test_without_dot_the_error_says_what_to_install(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("PATH", str(tmp_path))  # a PATH without Graphviz
    with pytest.raises(FileNotFoundError, match="Graphviz's dot program, which is not on PATH"):
        require_graphviz()
    with pytest.raises(FileNotFoundError, match="apt install graphviz, brew install graphviz"):
        render_graph(Value(1.0), tmp_path / "graph.png")


@needs_graphviz
@pytest.mark.parametrize(
    ("suffix", "magic"), [("svg", b"<?xml"), ("png", b"\x89PNG\r\n\x1a\n"), ("pdf", b"%PDF")]
)
def test_render_a_picture(builtin: OpRegistry, tmp_path: Path, suffix: str, magic: bytes) -> None:
    path = render_graph(neuron(), tmp_path / f"neuron.{suffix}", rankdir="TB")
    assert path.read_bytes().startswith(magic)
    assert path.stat().st_size > 1000


@needs_graphviz
def test_the_svg_shows_every_label_literally(builtin: OpRegistry, tmp_path: Path) -> None:
    x = Value(1.0, label=AWKWARD)
    y = x.tanh()
    y.label = "y"
    render_graph(y, tmp_path / "graph.svg")
    texts = svg_texts((tmp_path / "graph.svg").read_text())
    assert sorted(texts) == sorted(
        [AWKWARD, "data 1.0000", "grad 0.0000", "tanh", "y", "data 0.7616", "grad 0.0000"]
    )


@needs_graphviz
def test_draw_dot_displays_inline_in_jupyter(builtin: OpRegistry, tmp_path: Path) -> None:
    y = neuron()
    drawing = draw_dot(y)
    assert drawing.source == to_dot(y)
    bundle = drawing._repr_mimebundle_()  # what Jupyter calls to show it
    assert "o" in svg_texts(bundle["image/svg+xml"])
    assert draw_dot(y, format="png", rankdir="TB").pipe()[:4] == b"\x89PNG"
    written = drawing.render(tmp_path / "neuron")  # micrograd's Digraph.render
    assert written == str(tmp_path / "neuron.svg")
    assert (tmp_path / "neuron").read_text() == to_dot(y)
    assert "o" in svg_texts((tmp_path / "neuron.svg").read_text())


@pytest.mark.skipif(
    importlib.util.find_spec("graphviz") is None, reason="needs the graphviz package installed"
)
def test_draw_dot_builds_a_digraph_without_dot(
    builtin: OpRegistry, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """As micrograd's: a real ``graphviz.Digraph``, which needs ``dot`` only to render."""
    import graphviz  # type: ignore[import-untyped]  # noqa: PLC0415  (an optional extra)

    monkeypatch.setenv("PATH", str(tmp_path))  # a PATH without Graphviz
    y = neuron()
    drawing = draw_dot(y, rankdir="TB")
    assert isinstance(drawing, graphviz.Digraph)
    assert drawing.source == to_dot(y, rankdir="TB")
    drawing.node("note", "added")  # a Digraph like any other
    assert drawing.source == to_dot(y, rankdir="TB")[:-2] + "\tnote [label=added]\n}\n"
    missing = "Graphviz's dot program, which is not on PATH; install Graphviz"
    with pytest.raises(FileNotFoundError, match=missing) as e:
        drawing.render(tmp_path / "neuron")
    assert isinstance(e.value.__cause__, graphviz.ExecutableNotFound)
    with pytest.raises(FileNotFoundError, match=missing):
        drawing.pipe()
    assert not (tmp_path / "neuron.svg").exists()
    # shown in Jupyter: the message and the DOT text, not a traceback
    bundle = drawing._repr_mimebundle_()
    assert list(bundle) == ["text/plain"]
    assert bundle["text/plain"].startswith("drawing a graph needs Graphviz's dot program")
    assert bundle["text/plain"].endswith(drawing.source)


def test_the_docs_picture_is_the_tutorial_neuron(builtin: OpRegistry) -> None:
    """docs/images/neuron.svg shows what to_dot draws of the neuron now (no dot needed)."""
    texts = svg_texts(NEURON_PICTURE.read_text())
    fields = [f for label in values(to_dot(neuron())).values() for f in label.split(" | ")]
    assert sorted(t for t in texts if t not in {"add", "mul", "tanh"}) == sorted(fields)
