"""The demo's training loop: micrograd's numbers, reproducibility, and the 100 % run."""

from __future__ import annotations

import gc
import itertools
import random
from typing import Any

import pytest

from micrograd_core import MicrogradError, Value
from micrograd_nn import (
    MLP,
    Adam,
    Step,
    accuracy,
    cross_entropy_loss,
    cyclic_collector_paused,
    fit,
    moons_classifier,
    scores,
    train,
)


def micrograd_demo_losses(
    model: MLP, X: list[list[float]], y: list[int], steps: int
) -> list[float]:
    """micrograd's demo loop, as its notebook writes it, on this project's engine."""
    out = []
    for k in range(steps):
        inputs = [list(map(Value, xrow)) for xrow in X]
        scores = list(map(model, inputs))
        losses = [(1 + -yi * scorei).relu() for yi, scorei in zip(y, scores, strict=True)]  # type: ignore[operator, union-attr]
        data_loss = sum(losses) * (1.0 / len(losses))
        reg_loss = 1e-4 * sum(p * p for p in model.parameters())
        total_loss = data_loss + reg_loss
        model.zero_grad()
        total_loss.backward()  # type: ignore[union-attr]
        learning_rate = 1.0 - 0.9 * k / 100
        for p in model.parameters():
            p.data -= learning_rate * p.grad
        out.append(total_loss.data)  # type: ignore[union-attr]
    return out


def test_train_computes_micrograds_demo_bit_for_bit() -> None:
    model, X, y = moons_classifier(seed=2, n_samples=30)
    twin, _, _ = moons_classifier(seed=2, n_samples=30)
    # steps=100: the learning rates of micrograd's 100-step schedule; stop after 4
    ours = [s.loss for s in itertools.islice(train(model, X, y, steps=100), 4)]
    assert ours == micrograd_demo_losses(twin, X, y, 4)


def test_same_seed_same_trajectory() -> None:
    def run(seed: int) -> list[Step]:
        model, X, y = moons_classifier(seed=seed, hidden=(8,), n_samples=20)
        return list(train(model, X, y, steps=4))

    first = run(4)
    assert first == run(4)
    assert [s.step for s in first] == [1, 2, 3, 4]
    assert [s.learning_rate for s in first] == [1.0 - 0.9 * k / 4 for k in range(4)]
    assert first != run(5)


def test_moons_classifier_uses_its_seed_not_the_global_generator() -> None:
    random.seed(0)
    a = moons_classifier(seed=9, hidden=(3,))
    random.seed(1)
    b = moons_classifier(seed=9, hidden=(3,))
    assert [p.data for p in a[0].parameters()] == [p.data for p in b[0].parameters()]
    assert a[1:] == b[1:]
    assert repr(a[0]).startswith("MLP of [Layer of [ReLUNeuron(2), ReLUNeuron(2), ReLUNeuron(2)]")


def test_scores_wants_one_output_per_input() -> None:
    with pytest.raises(TypeError, match="one score per input, got list"):
        scores(MLP(2, [3, 2]), [[0.0, 1.0]])


def test_accuracy() -> None:
    assert accuracy([Value(0.5), Value(-0.1), Value(2.0), Value(0.0)], [1, -1, -1, -1]) == 0.75


@pytest.mark.parametrize("enabled", [True, False])
def test_collector_is_paused_for_each_step_and_restored(enabled: bool) -> None:
    model, X, y = moons_classifier(seed=0, hidden=(4,), n_samples=10)
    states = []
    (gc.enable if enabled else gc.disable)()
    try:
        for _ in train(model, X, y, steps=2):
            states.append(gc.isenabled())  # between steps: the caller's setting
        assert states == [enabled, enabled]
        assert gc.isenabled() is enabled
    finally:
        gc.enable()


def test_collector_is_restored_when_the_block_raises() -> None:
    def fail_while_paused() -> None:
        with cyclic_collector_paused():
            assert not gc.isenabled()
            raise ZeroDivisionError

    with pytest.raises(ZeroDivisionError):
        fail_while_paused()
    assert gc.isenabled()


# -- what a caller can get wrong: clear errors, never a silently wrong share ---------

V = Value


@pytest.mark.parametrize(
    ("outputs", "labels", "error", "message"),
    [
        ([[V(1.0), V(0.0)]], [5], ValueError, r"target 5 of example 0 is not a class index"),
        ([[V(1.0), V(2.0)]], [1.0], ValueError, r"target 1.0 of example 0 .*it is a float"),
        ([[]], [0], TypeError, r"non-empty sequence of Values .*got \[\] at index 0"),
        ([1.0], [1], TypeError, r"one Value \(a score\) .*got 1.0 at index 0"),
        ([[V(1.0), "a"]], [0], TypeError, "logits as Values or numbers, got str at index 0"),
        ((v for v in [V(1.0)]), [1], TypeError, "outputs as a sequence .*got generator"),
        ([V(1.0)], None, TypeError, "labels as a sequence .*got NoneType"),
    ],
)
def test_accuracy_says_what_it_takes(
    outputs: Any, labels: Any, error: type[Exception], message: str
) -> None:
    with pytest.raises(error, match=f"^accuracy:? .*{message}") as info:
        accuracy(outputs, labels)
    assert isinstance(info.value, MicrogradError)


def test_accuracy_of_numpy_labels() -> None:
    np = pytest.importorskip("numpy")
    logits = [[V(0.1), V(2.0), V(-1.0)], [V(3.0), V(0.0), V(0.0)]]
    assert accuracy(logits, np.array([1, 2])) == accuracy(logits, [1, 2]) == 0.5


ROWS = [[0.0, 1.0], [1.0, 0.0], [1.0, 1.0]]


@pytest.mark.parametrize(
    ("data", "kwargs", "error", "message"),
    [
        (None, {}, TypeError, r"takes train_data as a pair \(inputs, targets\), got NoneType"),
        ((ROWS, None), {}, TypeError, "train_data takes its targets as a sequence"),
        (([], []), {}, ValueError, "needs at least one training example in train_data"),
        ((ROWS, [0, 1, 2]), {"val_data": ([], [])}, ValueError, "one val example in val_data"),
        ((ROWS, [0, 1, 2]), {"test_data": (ROWS, [0])}, ValueError, "3 test inputs but 1 t"),
    ],
)
def test_fit_checks_every_split_before_training(
    data: Any, kwargs: dict[str, Any], error: type[Exception], message: str
) -> None:
    model = MLP(2, [3])
    before = [p.data for p in model.parameters()]
    with pytest.raises(error, match=f"^fit .*{message}") as info:
        next(fit(model, cross_entropy_loss, Adam(model.parameters()), data, **kwargs))
    assert isinstance(info.value, MicrogradError)
    assert [p.data for p in model.parameters()] == before
