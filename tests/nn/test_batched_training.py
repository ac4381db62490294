"""Training with ``compile=True`` replays one example's graph over the batch (a BatchedGraph).

The runs are compared with runs that build the graph every step: losses,
gradients and parameters agree to 1e-12 (relative to the largest of each list),
accuracies exactly. A loss that is not known to be a mean over examples, or a
machine without NumPy, falls back to the data set's traced graph: the same
numbers to the last bit.
"""

from __future__ import annotations

import itertools
import sys
from collections.abc import Sequence
from typing import Any

import pytest

from micrograd_core import CompiledGraph, Op, Value, compile_graph
from micrograd_core.batched import BatchedGraph
from micrograd_nn import (
    MLP,
    RNG,
    AdamW,
    Record,
    Step,
    cross_entropy_loss,
    fit,
    moons_classifier,
    mse_loss,
    train,
)
from micrograd_nn.loss import ExampleLoss, example_loss
from micrograd_nn.training import (
    _SIGN_NAMES,
    _largest_names,
    _largest_names_inline,
    _sign_names,
)
from tests.helpers import llm101n

Compiled = CompiledGraph | BatchedGraph


def close(xs: Sequence[float], ys: Sequence[float], rel: float = 1e-12) -> bool:
    """Whether two lists agree to ``rel`` relative to the largest magnitude in ``xs``."""
    assert len(xs) == len(ys)
    scale = max(map(abs, xs))
    return max(abs(x - y) for x, y in zip(xs, ys, strict=True)) <= rel * scale


@pytest.fixture
def compiled(monkeypatch: pytest.MonkeyPatch) -> list[Compiled]:
    """Every graph the training loops compile, in order."""
    built: list[Compiled] = []

    def spy(root: Value, **kwargs: Any) -> Compiled:
        graph: Compiled = compile_graph(root, **kwargs)
        built.append(graph)
        return graph

    monkeypatch.setattr("micrograd_nn.training.compile_graph", spy)
    return built


def assert_batched(compiled: list[Compiled]) -> None:
    """One example's graph, a BatchedGraph running as arrays: no fallback."""
    assert len(compiled) == 1, compiled
    assert isinstance(compiled[0], BatchedGraph)
    assert compiled[0].vectorized


# -- micrograd's demo: hinge loss plus L2, SGD ---------------------------------------


def moons_run(*, compile: bool, steps: int = 100) -> tuple[list[Step], MLP]:  # noqa: A002
    model, X, y = moons_classifier(seed=0)
    return list(train(model, X, y, steps=steps, compile=compile)), model


def test_train_batched_equals_building_the_graph(compiled: list[Compiled]) -> None:
    built, model = moons_run(compile=False)
    assert compiled == []
    batched, twin = moons_run(compile=True)
    assert_batched(compiled)
    assert close([s.loss for s in built], [s.loss for s in batched])
    assert [s.accuracy for s in built] == [s.accuracy for s in batched]
    assert [s.learning_rate for s in built] == [s.learning_rate for s in batched]
    ours, theirs = model.parameters(), twin.parameters()
    assert close([p.data for p in ours], [p.data for p in theirs])
    assert close([p.grad for p in ours], [p.grad for p in theirs])
    assert batched[-1].accuracy == 1.0


def test_train_batched_counts_the_l2_term_once_not_per_example() -> None:
    # alpha large enough that the L2 term is most of the loss: averaged wrongly
    # (divided by the number of examples, or added once per example) it would show.
    runs = []
    for replay in (False, True):
        model, X, y = moons_classifier(seed=3, hidden=(4,), n_samples=30)
        runs.append([s.loss for s in train(model, X, y, steps=5, alpha=0.5, compile=replay)])
    assert close(runs[0], runs[1])


def test_train_batched_checks_the_labels_as_the_hinge_loss_does() -> None:
    model, X, _ = moons_classifier(seed=0, hidden=(2,), n_samples=4)
    for replay in (False, True):
        with pytest.raises(ValueError, match="hinge_loss takes labels -1 or 1, got 0 at index 0"):
            next(train(model, X, [0, 1, 0, 1], compile=replay))


# -- LLM101n's program: cross-entropy, AdamW, a validation split ----------------------


def assert_same_run(a: tuple[list[Record], MLP], b: tuple[list[Record], MLP]) -> None:
    (ra, ma), (rb, mb) = a, b
    assert close([r.train_loss for r in ra], [r.train_loss for r in rb])
    assert [r.train_accuracy for r in ra] == [r.train_accuracy for r in rb]
    val_a = [r.val_loss for r in ra if r.val_loss is not None]
    val_b = [r.val_loss for r in rb if r.val_loss is not None]
    assert len(val_a) == len(val_b) > 0
    assert close(val_a, val_b)
    assert close([p.data for p in ma.parameters()], [p.data for p in mb.parameters()])
    assert close([p.grad for p in ma.parameters()], [p.grad for p in mb.parameters()])


def test_fit_batched_equals_building_the_graph(compiled: list[Compiled]) -> None:
    # 50 steps: by step 100 the model fits the data so well that the mean gradient is
    # far smaller than each example's, and the order of the sum shows (6e-12 relative)
    built = llm101n(compile=False, steps=50)
    batched = llm101n(compile=True, steps=50)
    assert_batched(compiled)
    assert_same_run(built, batched)


def test_fit_batched_mini_batches_equal_building_each_one(compiled: list[Compiled]) -> None:
    # 80 examples in batches of 12: the batches wrap around the end of the data
    built = llm101n(compile=False, steps=30, batch_size=12)
    batched = llm101n(compile=True, steps=30, batch_size=12)
    assert_batched(compiled)
    assert isinstance(compiled[0], BatchedGraph)
    assert compiled[0].size == 12
    assert_same_run(built, batched)
    # not the whole data set's run
    whole, _ = llm101n(compile=False, steps=30)
    assert not close([r.train_loss for r in whole], [r.train_loss for r in built[0]], rel=1e-3)


def test_mini_batches_follow_each_other_and_wrap_around() -> None:
    seen: list[list[float]] = []

    def first_inputs(outputs: list[Any], targets: Sequence[Any]) -> Value:
        seen.append([float(t) for t in targets])
        return cross_entropy_loss(outputs, targets)

    X = [[float(i), 0.0] for i in range(5)]
    model = MLP(2, [3], rng=RNG(1))
    optimizer = AdamW(model.parameters())
    list(fit(model, first_inputs, optimizer, (X, [0, 1, 2, 0, 1]), steps=3, batch_size=2))
    assert seen == [[0.0, 1.0], [2.0, 0.0], [1.0, 0.0]]


@pytest.mark.parametrize("batch_size", [0, 81, 2.0, True])
def test_a_batch_size_that_is_no_count_of_examples_is_refused(batch_size: Any) -> None:
    with pytest.raises(ValueError, match=r"batch_size None .* or an int in 1\.\.80"):
        llm101n(compile=True, batch_size=batch_size)


def test_a_users_example_loss_runs_batched(compiled: list[Compiled]) -> None:
    def half_mse(outputs: list[Any], targets: Sequence[Any]) -> Value:
        return 0.5 * mse_loss(outputs, targets)

    loss = ExampleLoss(
        batch=half_mse,
        columns=lambda targets, n_outputs: [[float(t) for t in targets]],
        example=lambda output, leaves: 0.5 * (output - leaves[0]) ** 2,
    )
    assert example_loss(loss) is loss
    runs = []
    for replay in (False, True):
        model, X, y = moons_classifier(seed=1, hidden=(4,), n_samples=20)
        optimizer = AdamW(model.parameters(), lr=0.05)
        records = list(fit(model, loss, optimizer, (X, y), steps=10, compile=replay))
        runs.append([r.train_loss for r in records])
    assert_batched(compiled)
    assert close(runs[0], runs[1])


def test_inputs_in_a_numpy_array_run_batched(compiled: list[Compiled]) -> None:
    np = pytest.importorskip("numpy")
    model, X, y = moons_classifier(seed=0, hidden=(3,), n_samples=10)
    twin, _, _ = moons_classifier(seed=0, hidden=(3,), n_samples=10)
    built = [s.loss for s in train(model, X, y, steps=3)]
    batched = [s.loss for s in train(twin, np.array(X), np.array(y), steps=3, compile=True)]
    assert_batched(compiled)
    assert close(built, batched)


@pytest.mark.parametrize("classes", [1, 2, 3, 4])
def test_what_accuracy_counts_is_one_rule_as_function_and_expression(classes: int) -> None:
    # the batched graph computes the expressions as arrays; accuracy() the functions
    largest = Op("largest", 1 + classes, inline=_largest_names_inline(1 + classes)).forward
    sign = Op("sign", 2, inline=_SIGN_NAMES.inline).forward
    assert largest is not None
    assert sign is not None  # compiled from the expressions
    for logits in itertools.product([-1.0, -0.0, 0.0, 2.0], repeat=classes):
        for label in range(classes + 1):
            assert largest(label, *logits) == _largest_names(label, *logits), logits
    for label, score in itertools.product([-1, 1, 0], [-1.0, -0.0, 0.0, 2.0]):
        assert sign(label, score) == _sign_names(label, score)


# -- the fallback: the data set's traced graph, bit for bit -------------------------


def coupled_loss(outputs: list[Any], targets: Sequence[Any]) -> Value:
    """A loss fit cannot split into examples (it does not know this function)."""
    return cross_entropy_loss(outputs, targets)


def test_a_loss_not_known_per_example_replays_the_data_sets_graph(
    compiled: list[Compiled],
) -> None:
    assert example_loss(coupled_loss) is None
    built = llm101n(compile=False, steps=15, loss=coupled_loss)
    traced = llm101n(compile=True, steps=15, loss=coupled_loss)
    assert len(compiled) == 1
    assert type(compiled[0]) is CompiledGraph
    assert built[0] == traced[0]
    assert [p.data for p in built[1].parameters()] == [p.data for p in traced[1].parameters()]


def test_with_mini_batches_such_a_loss_builds_every_steps_graph(
    compiled: list[Compiled],
) -> None:
    built = llm101n(compile=False, steps=8, batch_size=16, loss=coupled_loss)
    again = llm101n(compile=True, steps=8, batch_size=16, loss=coupled_loss)
    assert compiled == []  # a traced graph of the first batch would replay the wrong data
    assert built[0] == again[0]


def test_without_numpy_the_data_sets_graph_is_traced(
    compiled: list[Compiled], monkeypatch: pytest.MonkeyPatch
) -> None:
    built = llm101n(compile=False, steps=10)
    monkeypatch.setitem(sys.modules, "numpy", None)  # import numpy now fails
    traced = llm101n(compile=True, steps=10)  # no BatchLoopWarning (an error here)
    assert [type(graph) for graph in compiled] == [CompiledGraph]
    assert built[0] == traced[0]


def test_inputs_that_hold_values_trace_the_data_sets_graph(compiled: list[Compiled]) -> None:
    model, X, y = moons_classifier(seed=0, hidden=(3,), n_samples=10)
    rows: list[list[Value | float]] = [[Value(a), b] for a, b in X]
    steps = list(train(model, rows, y, steps=3, compile=True))
    assert [type(graph) for graph in compiled] == [CompiledGraph]
    assert len(steps) == 3
