"""Losses: micrograd's max-margin (hinge) loss, mean squared error, binary cross-entropy.

Each takes the model's outputs (``Value`` s) and the targets (numbers) and
returns one ``Value`` to call ``backward()`` on.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Sequence
from typing import cast

from micrograd_core import Op, Value

__all__ = ["bce_with_logits_loss", "hinge_loss", "l2_penalty", "mse_loss", "softplus"]


def _softplus(x: float) -> float:
    # log(1 + e**x) without overflow: e**-|x| is at most 1.
    return max(x, 0.0) + math.log1p(math.exp(-abs(x)))


softplus = Op(
    "softplus",
    1,
    # d/dx log(1 + e**x) is the logistic sigmoid, which is 1 - e**-out.
    forward=_softplus,
    partials=(lambda x, out: -math.expm1(-out),),
    doc="log(1 + e**x), computed without overflow; its derivative is the logistic sigmoid",
)
"""``log(1 + e**x)``: the op :func:`bce_with_logits_loss` builds on; apply it as ``softplus(x)``."""


def _mean(terms: list[Value], where: str) -> Value:
    """``sum(terms) * (1.0 / len(terms))``, summed as micrograd's demo sums its losses."""
    if not terms:
        msg = f"{where} needs at least one prediction, got none"
        raise ValueError(msg)
    return cast("Value", sum(terms)) * (1.0 / len(terms))


def _pairs(
    outputs: Sequence[Value], targets: Sequence[float], where: str
) -> Iterable[tuple[Value, float]]:
    if len(outputs) != len(targets):
        msg = f"{where} got {len(outputs)} predictions but {len(targets)} targets"
        raise ValueError(msg)
    return zip(outputs, targets, strict=True)


def hinge_loss(scores: Sequence[Value], labels: Sequence[float]) -> Value:
    """The mean max-margin loss ``relu(1 - y*score)`` of micrograd's demo; labels are -1 or 1.

    >>> hinge_loss([Value(2.0), Value(-0.5)], [1, 1]).data
    0.75
    """
    for i, y in enumerate(labels):
        if y not in (-1, 1):
            msg = f"hinge_loss takes labels -1 or 1, got {y!r} at index {i}"
            raise ValueError(msg)
    terms = [(1 + -yi * si).relu() for si, yi in _pairs(scores, labels, "hinge_loss")]
    return _mean(terms, "hinge_loss")


def mse_loss(predictions: Sequence[Value], targets: Sequence[float]) -> Value:
    """The mean squared error ``mean((prediction - target)**2)``.

    >>> mse_loss([Value(1.0), Value(3.0)], [0.0, 1.0]).data
    2.5
    """
    terms = [(p - t) ** 2 for p, t in _pairs(predictions, targets, "mse_loss")]
    return _mean(terms, "mse_loss")


def bce_with_logits_loss(logits: Sequence[Value], labels: Sequence[float]) -> Value:
    """Binary cross-entropy of ``sigmoid(logit)`` against labels in [0, 1], without overflow.

    Computed on the logits as ``softplus(z) - y*z`` (equal to
    ``-y*log(sigmoid(z)) - (1-y)*log(1 - sigmoid(z))``), so a logit of 1000
    gives a finite loss and gradient where the textbook formula gives inf or nan.

    >>> round(bce_with_logits_loss([Value(0.0)], [1]).data, 6)  # log(2)
    0.693147
    """
    for i, y in enumerate(labels):
        if not 0 <= y <= 1:
            msg = f"bce_with_logits_loss takes labels in [0, 1], got {y!r} at index {i}"
            raise ValueError(msg)
    pairs = _pairs(logits, labels, "bce_with_logits_loss")
    return _mean([softplus(z) - y * z for z, y in pairs], "bce_with_logits_loss")


def l2_penalty(parameters: Iterable[Value], alpha: float) -> Value:
    """``alpha * sum(p*p)``, micrograd's regularisation term (its demo uses alpha = 1e-4).

    >>> l2_penalty([Value(1.0), Value(-2.0)], 0.5).data
    2.5
    """
    return alpha * cast("Value", sum(p * p for p in parameters))
