"""Softmax and cross-entropy: stable, equal to PyTorch's, compile-safe, clear about bad input."""

from __future__ import annotations

import math
import random

import pytest
from hypothesis import given
from hypothesis import strategies as st

from micrograd_core import MicrogradError, Value, compile_graph
from micrograd_nn import cross_entropy_loss, log_softmax, softmax

logit = st.floats(-50.0, 50.0, allow_nan=False)


def batch(rng: random.Random, n: int, classes: int, scale: float) -> list[list[Value]]:
    return [[Value(rng.uniform(-scale, scale)) for _ in range(classes)] for _ in range(n)]


def test_huge_logits_give_the_exact_loss_and_finite_gradients() -> None:
    logits = [Value(1000.0), Value(0.0), Value(-1000.0)]
    loss = cross_entropy_loss([logits], [2])
    loss.backward()
    assert loss.data == 2000.0
    assert [x.grad for x in logits] == [1.0, 0.0, -1.0]


@given(st.lists(logit, min_size=1, max_size=6))
def test_softmax_sums_to_one_and_log_softmax_is_its_log(xs: list[float]) -> None:
    probabilities = softmax([Value(x) for x in xs])
    logs = log_softmax([Value(x) for x in xs])
    assert math.fsum(p.data for p in probabilities) == pytest.approx(1.0, abs=1e-12)
    for p, lp in zip(probabilities, logs, strict=True):
        assert p.data == pytest.approx(math.exp(lp.data), rel=1e-12, abs=1e-300)


def test_softmax_of_huge_logits() -> None:
    assert [p.data for p in softmax([Value(-1000.0), Value(1000.0)])] == [0.0, 1.0]
    assert [p.data for p in log_softmax([Value(-1000.0), Value(1000.0)])] == [-2000.0, 0.0]


@pytest.mark.parametrize("scale", [1.0, 30.0, 1000.0])
@pytest.mark.parametrize("seed", range(4))
def test_equal_to_torch_loss_and_gradients(seed: int, scale: float) -> None:
    torch = pytest.importorskip("torch")
    rng = random.Random(seed)
    n, classes = rng.randint(1, 9), rng.randint(1, 6)
    logits = batch(rng, n, classes, scale)
    targets = [rng.randrange(classes) for _ in range(n)]
    loss = cross_entropy_loss(logits, targets)
    loss.backward()
    t = torch.tensor([[x.data for x in row] for row in logits], dtype=torch.float64)
    t.requires_grad_(True)
    expected = torch.nn.functional.cross_entropy(t, torch.tensor(targets))
    expected.backward()
    assert loss.data == pytest.approx(expected.item(), rel=1e-12, abs=1e-12)
    grads = [[x.grad for x in row] for row in logits]
    for ours, theirs in zip(grads, t.grad.tolist(), strict=True):
        assert ours == pytest.approx(theirs, rel=1e-12, abs=1e-12)


def test_softmax_and_log_softmax_equal_torchs() -> None:
    torch = pytest.importorskip("torch")
    xs = [0.3, -2.0, 7.5, 1e-3]
    t = torch.tensor(xs, dtype=torch.float64)
    assert [p.data for p in softmax(xs)] == pytest.approx(torch.softmax(t, 0).tolist(), rel=1e-12)
    theirs = torch.log_softmax(t, 0).tolist()
    assert [p.data for p in log_softmax(xs)] == pytest.approx(theirs, rel=1e-12)


def test_a_compiled_graph_gives_the_same_losses_to_the_bit() -> None:
    rng = random.Random(7)
    logits = batch(rng, 5, 3, 3.0)
    leaves = [x for row in logits for x in row]
    targets = [0, 1, 2, 2, 1]
    compiled = compile_graph(cross_entropy_loss(logits, targets))
    for shift in (0.0, 800.0, -2000.0, 5.0):  # far beyond where e**x overflows
        for x in leaves:
            x.data = rng.uniform(-3.0, 3.0) + shift
            x.grad = 0.0
        fresh = cross_entropy_loss(logits, targets)
        fresh.backward()
        eager = [x.grad for x in leaves]
        for x in leaves:
            x.grad = 0.0
        assert compiled.forward() == fresh.data
        compiled.backward()
        assert [x.grad for x in leaves] == eager


@pytest.mark.parametrize(
    ("logits", "targets", "error", "message"),
    [
        (
            [[Value(1.0), Value(2.0)]],
            [2],
            ValueError,
            r"cross_entropy_loss: target 2 of example 0 is not a class index \(an int in 0..1\)",
        ),
        ([[Value(1.0)]], [-1], ValueError, "target -1 of example 0 is not a class index"),
        ([[Value(1.0)]], [0.0], ValueError, "target 0.0 of example 0 is not a class index"),
        ([[Value(1.0)]], [True], ValueError, "target True of example 0 is not a class index"),
        (
            [[Value(1.0), Value(2.0)], [Value(1.0)]],
            [0, 0],
            ValueError,
            "same number of classes in every example: example 0 has 2 logits, example 1 has 1",
        ),
        ([[]], [0], ValueError, r"\(example 0\) needs at least one class, got no logits"),
        ([], [], ValueError, "needs at least one example, got none"),
        ([[Value(1.0)]], [0, 0], ValueError, "got logits for 1 examples but 2 targets"),
        ([Value(1.0), Value(2.0)], [0, 1], TypeError, "takes one example's logits"),
        (Value(1.0), [0], TypeError, "takes a batch: one sequence of logits per example"),
        ([[Value(1.0)]], None, TypeError, r"takes the targets \(one class index per example\)"),
        ([[Value(1.0)]], 0, TypeError, "as a sequence .*got int"),
        ([[Value(1.0)]], [1.5], ValueError, "target 1.5 of example 0 .*it is a float"),
    ],
)
def test_bad_input_says_what_was_expected(
    logits: object, targets: object, error: type[Exception], message: str
) -> None:
    with pytest.raises(error, match=message) as info:
        cross_entropy_loss(logits, targets)  # type: ignore[arg-type]
    assert isinstance(info.value, MicrogradError)


def test_numpy_integers_are_class_indices() -> None:
    """As in ``torch.nn.functional.cross_entropy``: targets from an array of labels."""
    np = pytest.importorskip("numpy")
    logits = [[Value(0.5), Value(-1.0), Value(2.0)], [Value(1.0), Value(0.0), Value(0.0)]]
    expected = cross_entropy_loss(logits, [2, 0]).data
    assert cross_entropy_loss(logits, np.array([2, 0])).data == expected
    assert cross_entropy_loss(logits, [np.int64(2), np.uint8(0)]).data == expected


def test_softmax_of_no_classes_or_a_batch_is_refused() -> None:
    with pytest.raises(ValueError, match=r"^softmax needs at least one class"):
        softmax([])
    with pytest.raises(TypeError, match="log_softmax takes one example's logits"):
        log_softmax(Value(1.0))  # type: ignore[arg-type]
