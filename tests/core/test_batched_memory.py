"""A batched graph holds one example's nodes and arrays: its memory grows with the batch
by the arrays alone, never by a graph per example."""

from __future__ import annotations

import gc
import random
import tracemalloc
from collections.abc import Callable, Sequence

import pytest

from micrograd_core import OpRegistry, Value, compile_graph
from micrograd_core.graph import topological_order
from micrograd_nn import MLP
from tests.helpers import demo_loss, moons_columns

SMALL, LARGE = 100, 2_000


@pytest.fixture(autouse=True)
def builtin(builtin_registry: OpRegistry) -> OpRegistry:
    return builtin_registry


Make = Callable[[MLP, Sequence[Value], list[list[float]]], object]


def batched(model: MLP, data: Sequence[Value], cols: list[list[float]]) -> object:
    step = compile_graph(demo_loss(model, data), batch=dict(zip(data, cols, strict=True)))
    step.forward()
    step.backward()
    return step


def with_a_graph_per_example(model: MLP, data: Sequence[Value], cols: list[list[float]]) -> object:
    """What the check is for: a batched graph that also kept a graph per example."""
    kept = [demo_loss(model, list(map(Value, example))) for example in zip(*cols, strict=True)]
    return batched(model, data, cols), kept


def held(make: Make, n: int) -> tuple[int, int]:
    """The bytes that what ``make`` builds over ``n`` examples holds, and its Values
    (counted by type: isinstance would read __class__, which some objects warn about)."""
    random.seed(0)
    model = MLP(2, [16, 16, 1])
    data = [Value(0.0) for _ in range(3)]
    cols = moons_columns(n, n)
    gc.collect()
    values = sum(type(o) is Value for o in gc.get_objects())
    tracemalloc.start()
    try:
        before = tracemalloc.get_traced_memory()[0]
        kept = make(model, data, cols)
        gc.collect()
        after = tracemalloc.get_traced_memory()[0]
    finally:
        tracemalloc.stop()
    more = sum(type(o) is Value for o in gc.get_objects()) - values
    del kept
    return after - before, more


def bytes_per_example(make: Make) -> float:
    held(make, 1)  # what the first use imports (NumPy) is not the graph's
    return (held(make, LARGE)[0] - held(make, SMALL)[0]) / (LARGE - SMALL)


# Per example, a batched graph keeps the batch's columns (three lists of floats: 3 x 32
# bytes) and one float64 per row of its arrays (73 rows for the demo: 584 bytes), and
# as long as the batch is smaller than two blocks of columns, as much again for the
# gradients; a graph per example would be some 750 nodes, about 75 kB.
BOUND = 1_500


def test_a_batched_graph_grows_with_the_batch_by_its_arrays_alone() -> None:
    assert bytes_per_example(batched) < BOUND


def test_it_holds_one_examples_nodes() -> None:
    random.seed(0)
    model = MLP(2, [16, 16, 1])
    data = [Value(0.0) for _ in range(3)]
    leaves = len(model.parameters()) + len(data)
    one_example = len(topological_order(demo_loss(model, data))) - leaves  # its new nodes
    for n in (SMALL, LARGE):
        _, values = held(batched, n)
        assert values == one_example  # the nodes of the graph compiled, no other Value


def test_the_check_sees_a_graph_kept_per_example() -> None:
    """The checks above can fail: a graph per example is far beyond the bound."""
    assert bytes_per_example(with_a_graph_per_example) > 50 * BOUND
    _, values = held(with_a_graph_per_example, SMALL)
    assert values > SMALL * 500
