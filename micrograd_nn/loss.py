"""Losses: micrograd's max-margin (hinge) loss, mean squared error, binary and multi-class
cross-entropy, and the softmax.

Each loss takes the model's outputs (``Value`` s) and the targets (numbers) and
returns one ``Value`` to call ``backward()`` on. Each is a mean of one loss per
example, and :func:`example_loss` gives that one example's loss: what a
training loop needs to replay one example's graph over a whole batch.

The losses on logits build on two built-in ops of :mod:`micrograd_ops`, exported
here too: ``softplus`` (binary cross-entropy) and ``logsumexp`` (the softmax and
multi-class cross-entropy), each stable at any magnitude.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from typing import Any, cast

from micrograd_core import ArgumentError, ArgumentTypeError, Value
from micrograd_nn._check import class_index, sequence
from micrograd_ops import LOGSUMEXP, SOFTPLUS, logsumexp, softplus

__all__ = [
    "LOGSUMEXP",
    "SOFTPLUS",
    "ExampleLoss",
    "bce_with_logits_loss",
    "cross_entropy_loss",
    "example_loss",
    "hinge_loss",
    "l2_penalty",
    "log_softmax",
    "logsumexp",
    "mse_loss",
    "softmax",
    "softplus",
]

Logit = Value | float
"""One class's score: a ``Value`` (a model's output) or a plain number."""


def _mean(terms: list[Value], where: str) -> Value:
    """``sum(terms) * (1.0 / len(terms))``, summed as micrograd's demo sums its losses."""
    if not terms:
        msg = f"{where} needs at least one prediction, got none"
        raise ArgumentError(msg)
    return cast("Value", sum(terms)) * (1.0 / len(terms))


def _pairs(
    outputs: Sequence[Value], targets: Sequence[float], where: str
) -> Iterable[tuple[Value, float]]:
    """The outputs beside their targets: one number (or ``Value``) each, as many of each."""
    sequence(outputs, where, "the predictions")
    sequence(targets, where, "the targets")
    if len(outputs) != len(targets):
        msg = f"{where} got {len(outputs)} predictions but {len(targets)} targets"
        raise ArgumentError(msg)
    for i, (p, t) in enumerate(zip(outputs, targets, strict=True)):
        if not _number(p):
            msg = (
                f"{where} takes one Value per example, got {type(p).__name__} at index {i} "
                f"(a model with several outputs per example needs a loss over logits, "
                f"such as cross_entropy_loss)"
            )
            raise ArgumentTypeError(msg)
        if isinstance(t, Value) or not _number(t):
            msg = f"{where} takes one number per target, got {type(t).__name__} at index {i}"
            raise ArgumentTypeError(msg)
    return zip(outputs, targets, strict=True)


def _number(x: object) -> bool:
    """A ``Value`` or a real number (a NumPy scalar too; not a string)."""
    return isinstance(x, Value) or (
        not isinstance(x, str | bytes) and hasattr(type(x), "__float__")
    )


def hinge_loss(scores: Sequence[Value], labels: Sequence[float]) -> Value:
    """The mean max-margin loss ``relu(1 - y*score)`` of micrograd's demo; labels are -1 or 1.

    >>> hinge_loss([Value(2.0), Value(-0.5)], [1, 1]).data
    0.75
    """
    pairs = list(_pairs(scores, labels, "hinge_loss"))
    for i, y in enumerate(labels):
        if y not in (-1, 1):
            msg = f"hinge_loss takes labels -1 or 1, got {y!r} at index {i}"
            raise ArgumentError(msg)
    terms = [(1 + -yi * si).relu() for si, yi in pairs]
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
    pairs = list(_pairs(logits, labels, "bce_with_logits_loss"))
    for i, y in enumerate(labels):
        if not 0 <= y <= 1:
            msg = f"bce_with_logits_loss takes labels in [0, 1], got {y!r} at index {i}"
            raise ArgumentError(msg)
    return _mean([softplus(z) - y * z for z, y in pairs], "bce_with_logits_loss")


def l2_penalty(parameters: Iterable[Value], alpha: float) -> Value:
    """``alpha * sum(p*p)``, micrograd's regularisation term (its demo uses alpha = 1e-4).

    >>> l2_penalty([Value(1.0), Value(-2.0)], 0.5).data
    2.5
    """
    return alpha * cast("Value", sum(p * p for p in parameters))


# -- multi-class: the softmax and cross-entropy, built on one logsumexp node -----


def _classes(logits: Sequence[Logit], where: str) -> None:
    if isinstance(logits, Value | float | int) or not isinstance(logits, Sequence):
        msg = f"{where} takes one example's logits, a sequence of Values, got {logits!r}"
        if isinstance(logits, Value):
            msg += " (one logit per class: a model whose last layer has one neuron per class)"
        raise ArgumentTypeError(msg)
    if not logits:
        msg = f"{where} needs at least one class, got no logits"
        raise ArgumentError(msg)


def log_softmax(logits: Sequence[Logit]) -> list[Value]:
    """The log-probabilities ``x_i - logsumexp(x)`` of one example's logits.

    >>> [round(p.data, 4) for p in log_softmax([Value(1.0), Value(1.0)])]
    [-0.6931, -0.6931]
    """
    return _log_softmax(logits, "log_softmax")


def _log_softmax(logits: Sequence[Logit], where: str) -> list[Value]:
    _classes(logits, where)
    lse = logsumexp(*logits)
    return [x - lse for x in logits]


def softmax(logits: Sequence[Logit]) -> list[Value]:
    """The probabilities ``e**(x_i - logsumexp(x))`` of one example's logits; they sum to 1.

    >>> [round(p.data, 4) for p in softmax([Value(0.0), Value(1000.0)])]
    [0.0, 1.0]
    """
    return [p.exp() for p in _log_softmax(logits, "softmax")]


def cross_entropy_loss(logits: Sequence[Sequence[Logit]], targets: Sequence[int]) -> Value:
    """The mean over examples of ``-log softmax(logits)[target]``, as PyTorch's ``cross_entropy``.

    ``logits`` holds one sequence per example, one ``Value`` per class (what an
    ``MLP(nin, [..., n_classes])`` returns); ``targets`` the class indices.
    Each example's loss is ``logsumexp(logits) - logits[target]``: one node
    over the logits, stable at any magnitude, its gradient the softmax minus
    the one-hot target.

    >>> cross_entropy_loss([[Value(1000.0), Value(0.0), Value(-1000.0)]], [2]).data
    2000.0
    """
    where = "cross_entropy_loss"
    if isinstance(logits, Value) or not isinstance(logits, Sequence):
        msg = f"{where} takes a batch: one sequence of logits per example, got {logits!r}"
        raise ArgumentTypeError(msg)
    sequence(targets, where, "the targets (one class index per example)")
    if len(logits) != len(targets):
        msg = f"{where} got logits for {len(logits)} examples but {len(targets)} targets"
        raise ArgumentError(msg)
    if not logits:
        msg = f"{where} needs at least one example, got none"
        raise ArgumentError(msg)
    terms: list[Value] = []
    n_classes = -1
    for i, (row, target) in enumerate(zip(logits, targets, strict=True)):
        _classes(row, f"{where} (example {i})")
        if n_classes < 0:
            n_classes = len(row)
        elif len(row) != n_classes:
            msg = (
                f"{where} needs the same number of classes in every example: example 0 has "
                f"{n_classes} logits, example {i} has {len(row)}"
            )
            raise ArgumentError(msg)
        index = class_index(target, n_classes, where, i)
        terms.append(logsumexp(*row) - row[index])
    return _mean(terms, where)


# -- one example's loss: what a batched replay runs over every example -------------


@dataclass(frozen=True, slots=True)
class ExampleLoss:
    """A loss over a batch that is the mean of one loss per example, with that one example's loss.

    ``batch(outputs, targets)`` is the loss over a batch, as :func:`hinge_loss`
    and the others here take it (calling the ``ExampleLoss`` calls it);
    ``example(output, leaves)`` builds one example's loss from the model's
    output and the leaves that hold its target; ``columns(targets, n_outputs)``
    gives those leaves' values over a batch, one list per leaf, where
    ``n_outputs`` is how many outputs the model gives per example. The mean
    over a batch of ``example`` must be ``batch``: then a training loop can
    build one example's graph and replay it over the batch
    (``compile_graph(..., batch=...)``), and :func:`~micrograd_nn.fit` with
    ``compile=True`` does for every ``ExampleLoss`` and the losses of this module.

    >>> half_mse = ExampleLoss(
    ...     batch=lambda outputs, targets: 0.5 * mse_loss(outputs, targets),
    ...     columns=lambda targets, n_outputs: [[float(t) for t in targets]],
    ...     example=lambda output, leaves: 0.5 * (output - leaves[0]) ** 2,
    ... )
    >>> half_mse([Value(1.0), Value(3.0)], [0.0, 1.0]).data
    1.25
    """

    batch: Callable[[list[Any], Sequence[Any]], Value]
    columns: Callable[[Sequence[Any], int], list[list[float]]]
    example: Callable[[Any, list[Value]], Value]

    def __call__(self, outputs: list[Any], targets: Sequence[Any]) -> Value:
        """The loss over a batch: ``batch(outputs, targets)``."""
        return self.batch(outputs, targets)


def _targets(targets: Sequence[float], n_outputs: int) -> list[list[float]]:
    """One target leaf per example, holding the target."""
    return [[float(t) for t in targets]]


def _one_hot(targets: Sequence[int], n_classes: int) -> list[list[float]]:
    """One target leaf per class, 1.0 in the target's class and 0.0 in the others."""
    return [[float(t == c) for t in targets] for c in range(n_classes)]


def _cross_entropy(logits: Sequence[Value], one_hot: list[Value]) -> Value:
    # logits[target] as the sum of one-hot times logit: for finite logits the
    # same float, and the target a leaf instead of an index into the logits.
    picked = one_hot[0] * logits[0]
    for h, x in zip(one_hot[1:], logits[1:], strict=True):
        picked = picked + h * x
    return logsumexp(*logits) - picked


_EXAMPLE_LOSSES: dict[object, ExampleLoss] = {
    loss.batch: loss
    for loss in (
        ExampleLoss(hinge_loss, _targets, lambda s, leaves: (1 + -leaves[0] * s).relu()),
        ExampleLoss(mse_loss, _targets, lambda p, leaves: (p - leaves[0]) ** 2),
        ExampleLoss(bce_with_logits_loss, _targets, lambda z, leaves: softplus(z) - leaves[0] * z),
        ExampleLoss(cross_entropy_loss, _one_hot, _cross_entropy),
    )
}


def example_loss(loss: Callable[[list[Any], Sequence[Any]], Value]) -> ExampleLoss | None:
    """``loss`` as an :class:`ExampleLoss`, or None when it is not known to be a mean over examples.

    The losses of this module are; an ``ExampleLoss`` is itself; any other
    function is not (it may couple the examples: a loss over their ranking, a
    normalisation by the batch).

    >>> example_loss(cross_entropy_loss).columns([2, 0], 3)
    [[0.0, 1.0], [0.0, 0.0], [1.0, 0.0]]
    >>> example_loss(lambda outputs, targets: outputs[0]) is None
    True
    """
    if isinstance(loss, ExampleLoss):
        return loss
    return _EXAMPLE_LOSSES.get(loss)
