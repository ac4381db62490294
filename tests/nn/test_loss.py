"""Losses: values, gradients, stability and bad input."""

from __future__ import annotations

import math
from typing import Any

import pytest

from micrograd_core import MicrogradError, Value
from micrograd_nn import bce_with_logits_loss, hinge_loss, l2_penalty, mse_loss, softplus


def test_hinge_loss_is_micrograds_mean_of_relu_of_one_minus_margin() -> None:
    scores = [Value(2.0), Value(0.25), Value(-1.0)]
    loss = hinge_loss(scores, [1, 1, 1])
    assert loss.data == (0.0 + 0.75 + 2.0) * (1.0 / 3)
    loss.backward()
    assert [s.grad for s in scores] == [0.0, -1 / 3, -1 / 3]


def test_hinge_loss_wants_labels_minus_one_or_one() -> None:
    with pytest.raises(ValueError, match="labels -1 or 1, got 0 at index 1"):
        hinge_loss([Value(1.0), Value(1.0)], [1, 0])


def test_mse_loss_value_and_gradient() -> None:
    p = [Value(1.0), Value(3.0)]
    loss = mse_loss(p, [0.0, 1.0])
    assert loss.data == 2.5
    loss.backward()
    assert [x.grad for x in p] == [1.0, 2.0]  # d/dp mean((p - t)**2) = (p - t)


@pytest.mark.parametrize("loss", [hinge_loss, mse_loss, bce_with_logits_loss])
def test_losses_reject_mismatched_or_empty_input(loss: object) -> None:
    assert callable(loss)
    with pytest.raises(ValueError, match="got 2 predictions but 1 targets"):
        loss([Value(0.0), Value(1.0)], [1])
    with pytest.raises(ValueError, match="at least one prediction"):
        loss([], [])


@pytest.mark.parametrize("loss", [hinge_loss, mse_loss, bce_with_logits_loss])
@pytest.mark.parametrize(
    ("outputs", "targets", "error", "message"),
    [
        # a model of three outputs per example: a list each, not a Value
        (
            [[Value(0.0)] * 3],
            [1],
            TypeError,
            r"takes one Value per example, got list at index 0 \(a model",
        ),
        ([Value(0.0)], ["1"], TypeError, "takes one number per target, got str at index 0"),
        ([Value(0.0)], None, TypeError, "takes the targets as a sequence"),
        (Value(0.0), [1], TypeError, "takes the predictions as a sequence .*got Value"),
        ([Value(0.0)], [1, 1], ValueError, "got 1 predictions but 2 targets"),
    ],
)
def test_losses_say_what_they_take(
    loss: Any, outputs: object, targets: object, error: type[Exception], message: str
) -> None:
    with pytest.raises(error, match=f"^{loss.__name__} {message}") as info:
        loss(outputs, targets)
    assert isinstance(info.value, MicrogradError)


def sigmoid(z: float) -> float:
    return 1 / (1 + math.exp(-z))


@pytest.mark.parametrize("z", [-3.0, -0.5, 0.0, 0.7, 4.0])
@pytest.mark.parametrize("y", [0.0, 0.3, 1.0])
def test_bce_matches_the_textbook_formula(z: float, y: float) -> None:
    logit = Value(z)
    loss = bce_with_logits_loss([logit], [y])
    textbook = -y * math.log(sigmoid(z)) - (1 - y) * math.log(1 - sigmoid(z))
    assert loss.data == pytest.approx(textbook, rel=1e-12)
    loss.backward()
    assert logit.grad == pytest.approx(sigmoid(z) - y, rel=1e-9, abs=1e-15)


@pytest.mark.parametrize(("z", "y", "expected"), [(1000.0, 0, 1000.0), (-1000.0, 1, 1000.0)])
def test_bce_is_finite_for_huge_logits(z: float, y: int, expected: float) -> None:
    logit = Value(z)
    loss = bce_with_logits_loss([logit], [y])
    assert loss.data == expected
    loss.backward()
    assert logit.grad == (1.0 if y == 0 else -1.0)
    # and confidently right is a loss of (nearly) 0, not nan
    assert bce_with_logits_loss([Value(z)], [1 - y]).data == pytest.approx(0.0, abs=1e-300)


def test_bce_wants_labels_in_unit_interval() -> None:
    with pytest.raises(ValueError, match=r"labels in \[0, 1\], got -1 at index 0"):
        bce_with_logits_loss([Value(0.0)], [-1])


@pytest.mark.parametrize("x", [-30.0, -2.0, -1e-3, 0.0, 0.5, 3.0, 40.0])
def test_softplus_gradient_against_central_differences(x: float) -> None:
    v = Value(x)
    out = softplus(v)
    out.backward()
    h = 1e-6
    numeric = (softplus(Value(x + h)).data - softplus(Value(x - h)).data) / (2 * h)
    assert v.grad == pytest.approx(numeric, rel=1e-5, abs=1e-12)
    assert out.data == pytest.approx(math.log1p(math.exp(x)), rel=1e-12)


def test_l2_penalty() -> None:
    p = [Value(1.0), Value(-2.0)]
    reg = l2_penalty(p, 1e-4)
    assert reg.data == 1e-4 * (1.0 + 4.0)
    reg.backward()
    assert [x.grad for x in p] == [2e-4, -4e-4]
