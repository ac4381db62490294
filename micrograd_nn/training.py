"""Training loops: micrograd's demo (``train``) and one for any model, loss and optimiser (``fit``).

``train`` yields one :class:`Step` per step, so a caller can show progress (the
``micrograd demo`` command draws a progress bar from them). With the default
settings it computes what micrograd's demo notebook computes, step by step.

``fit`` trains any model with any loss and optimiser on a training split, and
measures the validation and test splits every few steps, yielding one
:class:`Record` per step: LLM101n's yin-yang program is one call.
"""

from __future__ import annotations

import gc
import random
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any, Protocol

from micrograd_core import CompiledGraph, Value, compile_graph
from micrograd_core.value import no_grad
from micrograd_nn.dataset import make_moons
from micrograd_nn.loss import hinge_loss, l2_penalty
from micrograd_nn.module import MLP, Input, Module
from micrograd_nn.optimizer import SGD

__all__ = [
    "Optimizer",
    "Record",
    "Step",
    "accuracy",
    "cyclic_collector_paused",
    "evaluate",
    "fit",
    "measure",
    "moons_classifier",
    "scores",
    "train",
]

Output = Value | Sequence[Value]
"""What a model gives for one input: one score, or one logit per class."""


@dataclass(frozen=True, slots=True)
class Step:
    """What one training step measured, before its update.

    >>> Step(step=1, loss=0.5, accuracy=0.9, learning_rate=1.0).accuracy
    0.9
    """

    step: int  # counted from 1
    loss: float
    accuracy: float
    learning_rate: float


def scores(model: Module, inputs: Sequence[Sequence[Input]]) -> list[Value]:
    """The model's one output for each input row; a clear error if it gives several.

    >>> random.seed(0)
    >>> scores(MLP(2, [4, 1]), [[1.0, 2.0], [0.5, -1.0]])  # doctest: +ELLIPSIS
    [Value(data=..., grad=0.0), Value(data=..., grad=0.0)]
    >>> scores(MLP(2, [4, 2]), [[1.0, 2.0]])  # doctest: +ELLIPSIS
    Traceback (most recent call last):
    ...
    TypeError: expected the model to give one score per input, got list (...)
    """
    out: list[Value] = []
    for row in inputs:
        score = model(row)  # type: ignore[operator]
        if not isinstance(score, Value):
            msg = (
                f"expected the model to give one score per input, got {type(score).__name__} "
                f"(is its last layer wider than one neuron?)"
            )
            raise TypeError(msg)
        out.append(score)
    return out


def accuracy(scores: Sequence[Output], labels: Sequence[float]) -> float:
    """The share of outputs that name the label: by sign, or by the largest logit.

    One score per input is right when its sign matches the label's (labels -1
    or 1, micrograd's demo); one logit per class when the largest (the first of
    equals) is the label's class (labels 0, 1, 2, ...).

    >>> accuracy([Value(0.3), Value(-2.0)], [1, 1])
    0.5
    >>> logits = [[Value(0.1), Value(2.0), Value(-1.0)], [Value(3.0), Value(0.0), Value(0.0)]]
    >>> accuracy(logits, [1, 2])
    0.5
    """
    if len(scores) != len(labels):
        msg = f"accuracy got {len(scores)} outputs but {len(labels)} labels"
        raise ValueError(msg)
    if not scores:
        msg = "accuracy needs at least one output, got none"
        raise ValueError(msg)
    hits = 0
    for s, y in zip(scores, labels, strict=True):
        if isinstance(s, Value):
            hits += (y > 0) == (s.data > 0)
        else:
            data = [v.data for v in s]
            hits += data.index(max(data)) == y
    return hits / len(scores)


def train(
    model: Module,
    inputs: Sequence[Sequence[Input]],
    labels: Sequence[float],
    *,
    steps: int = 100,
    alpha: float = 1e-4,
    compile: bool = False,  # noqa: A002  (the option's name, as in torch.compile)
) -> Iterator[Step]:
    """Train ``model`` as micrograd's demo does, yielding each step's loss and accuracy.

    Each step scores every input, takes the hinge loss (labels -1 or 1) plus
    ``alpha * sum(p*p)``, backpropagates, and moves every parameter by SGD with
    learning rate ``1.0 - 0.9*k/steps`` at step ``k`` (counted from 0).

    >>> random.seed(0)
    >>> model = MLP(2, [4, 1])
    >>> history = list(train(model, [[1.0, 2.0], [-1.0, 0.5]], [1, -1], steps=20))
    >>> history[-1].loss < history[0].loss, history[-1].accuracy
    (True, 1.0)

    With ``compile=True`` the graph of the first step is traced once
    (:func:`micrograd_core.compile_graph`) and every step replays it with the
    updated parameters: the same losses and gradients to the last bit, several
    times faster (see docs/performance.md). The model must build the same graph
    for every step, as a model of ``Value`` s without Python control flow on
    ``.data`` does.
    """
    optimizer = SGD(model.parameters(), lr=1.0)
    if compile:
        yield from _train_compiled(model, inputs, labels, optimizer, steps, alpha)
        return
    for k in range(steps):
        with cyclic_collector_paused():
            batch = scores(model, inputs)
            loss = _objective(batch, labels, optimizer.parameters, alpha)
            optimizer.zero_grad()
            loss.backward()
            optimizer.lr = 1.0 - 0.9 * k / steps
            optimizer.step()
            step = Step(k + 1, loss.data, accuracy(batch, labels), optimizer.lr)
            del batch, loss  # the graph is freed here, by reference counting
        yield step


def _train_compiled(
    model: Module,
    inputs: Sequence[Sequence[Input]],
    labels: Sequence[float],
    optimizer: SGD,
    steps: int,
    alpha: float,
) -> Iterator[Step]:
    """:func:`train` with the graph traced once and replayed at every step."""
    compiled: CompiledGraph | None = None
    batch: list[Value] = []
    for k in range(steps):
        with cyclic_collector_paused():
            if compiled is None:
                batch = scores(model, inputs)
                loss = _objective(batch, labels, optimizer.parameters, alpha)
                compiled = compile_graph(loss)
                value = loss.data
                del loss
            else:
                value = compiled.forward()
            optimizer.zero_grad()
            compiled.backward()
            optimizer.lr = 1.0 - 0.9 * k / steps
            optimizer.step()
            step = Step(k + 1, value, accuracy(batch, labels), optimizer.lr)
        yield step


def evaluate(
    model: Module,
    inputs: Sequence[Sequence[Input]],
    labels: Sequence[float],
    *,
    alpha: float = 1e-4,
) -> tuple[float, float]:
    """The loss :func:`train` minimises, and the accuracy, of ``model`` as it is now.

    Each :class:`Step` is measured before its update; this measures the model
    after the last one, as a summary of the training reports it.

    >>> random.seed(0)
    >>> model = MLP(2, [4, 1])
    >>> X, y = [[1.0, 2.0], [-1.0, 0.5]], [1, -1]
    >>> last = list(train(model, X, y, steps=20))[-1]
    >>> loss, share = evaluate(model, X, y)
    >>> loss <= last.loss, share
    (True, 1.0)
    """
    with no_grad(), cyclic_collector_paused():  # values only: no graph to free
        batch = scores(model, inputs)
        loss = _objective(batch, labels, model.parameters(), alpha)
        return loss.data, accuracy(batch, labels)


def _objective(
    batch: Sequence[Value], labels: Sequence[float], parameters: Sequence[Value], alpha: float
) -> Value:
    """micrograd's demo loss: the hinge loss plus ``alpha * sum(p*p)``."""
    return hinge_loss(batch, labels) + l2_penalty(parameters, alpha)


@contextmanager
def cyclic_collector_paused() -> Iterator[None]:
    """Pause Python's cyclic garbage collector inside a ``with`` block, then restore it.

    A graph of ``Value`` s holds no reference cycles, so reference counting frees
    it whole and the collector finds nothing in it; yet while a step builds its
    graph the collector traverses every node again and again, about half the
    time of a training step. Pause it around each step, not around a whole
    training run, so that cycles your own code makes are still collected.

    >>> import gc
    >>> with cyclic_collector_paused():
    ...     gc.isenabled()
    False
    """
    enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if enabled:
            gc.enable()


def moons_classifier(
    *,
    seed: int,
    hidden: Sequence[int] = (16, 16),
    activation: str = "relu",
    n_samples: int = 100,
    noise: float = 0.1,
) -> tuple[MLP, list[list[float]], list[int]]:
    """micrograd's demo setup: moons points, labels -1 or 1, and ``MLP(2, [*hidden, 1])``.

    ``seed`` fixes both the points and the initial weights (drawn from its own
    ``random.Random``, leaving the global generator alone).

    >>> model, X, y = moons_classifier(seed=0)
    >>> len(model.parameters()), len(X), sorted(set(y))
    (337, 100, [-1, 1])
    """
    X, y01 = make_moons(n_samples, noise=noise, seed=seed)
    model = MLP(2, [*hidden, 1], activation=activation, rng=random.Random(seed))
    return model, X, [2 * label - 1 for label in y01]


# -- any model, loss and optimiser ------------------------------------------------


class Optimizer(Protocol):
    """What :func:`fit` needs of an optimiser (``SGD``, ``Adam`` and ``AdamW`` are ones)."""

    lr: float

    def step(self) -> None:
        """Move the parameters by their gradients."""
        ...

    def zero_grad(self) -> None:
        """Set the parameters' gradients to 0."""
        ...


Loss = Callable[[list[Any], Sequence[Any]], Value]
"""A loss over a batch: the model's outputs (one per input) and the targets, to one ``Value``."""

Split = tuple[Sequence[Sequence[Input]], Sequence[Any]]
"""A data set or a part of one: inputs and their targets (what ``split_dataset`` gives)."""


@dataclass(frozen=True, slots=True)
class Record:
    """What one step of :func:`fit` measured, before its update.

    The validation and test numbers are there on the steps they were measured
    (1, 1 + every, 1 + 2*every, ...), ``None`` on the others.

    >>> Record(step=1, train_loss=1.1, train_accuracy=0.3, learning_rate=0.1).val_loss is None
    True
    """

    step: int  # counted from 1
    train_loss: float
    train_accuracy: float
    learning_rate: float
    val_loss: float | None = None
    val_accuracy: float | None = None
    test_loss: float | None = None
    test_accuracy: float | None = None


def measure(model: Module, loss: Loss, data: Split) -> tuple[float, float]:
    """The loss and accuracy of ``model`` on ``data`` (inputs, targets), building no graph.

    >>> from micrograd_nn.loss import cross_entropy_loss
    >>> random.seed(0)
    >>> loss, share = measure(MLP(2, [4, 3]), cross_entropy_loss, ([[0.5, 1.0]], [2]))
    >>> loss > 0, share in (0.0, 1.0)
    (True, True)
    """
    inputs, targets = data
    with no_grad(), cyclic_collector_paused():
        outputs = [model(x) for x in inputs]  # type: ignore[operator]
        return loss(outputs, targets).data, accuracy(outputs, targets)


def fit(
    model: Module,
    loss: Loss,
    optimizer: Optimizer,
    train_data: Split,
    *,
    steps: int = 100,
    val_data: Split | None = None,
    test_data: Split | None = None,
    every: int = 10,
    lr: Callable[[int], float] | None = None,
    compile: bool = False,  # noqa: A002  (the option's name, as in torch.compile)
) -> Iterator[Record]:
    """Train ``model`` on all of ``train_data`` for ``steps`` steps; yield a :class:`Record` each.

    Each step computes ``loss([model(x) for x in inputs], targets)``,
    backpropagates, and calls ``optimizer.step()``; ``lr(k)``, if given, sets
    the learning rate of step ``k`` (counted from 0) first. Every ``every`` steps,
    from the first, ``val_data`` and ``test_data`` are measured with
    :func:`measure` (no graph), before that step's update, as the training loss
    is. Measure the model after the last step with :func:`measure`.

    >>> from micrograd_nn.loss import cross_entropy_loss
    >>> from micrograd_nn.optimizer import AdamW
    >>> random.seed(0)
    >>> model = MLP(2, [8, 3], activation="tanh")
    >>> data = ([[1.0, 0.0], [0.0, 1.0], [-1.0, -1.0]], [0, 1, 2])
    >>> optimizer = AdamW(model.parameters(), lr=0.1)
    >>> history = list(fit(model, cross_entropy_loss, optimizer, data, steps=30, val_data=data))
    >>> history[-1].train_accuracy, history[20].val_loss is not None
    (1.0, True)

    With ``compile=True`` the graph of the first step is traced once
    (:func:`micrograd_core.compile_graph`) and replayed at every step: the same
    numbers to the last bit, faster. The model and loss must build the same
    graph at every step (no Python control flow on ``.data``).
    """
    if type(steps) is not int or steps < 0:
        msg = f"fit needs an int steps >= 0, got {steps!r}"
        raise ValueError(msg)
    if type(every) is not int or every < 1:
        msg = f"fit needs an int every >= 1 (measure every that many steps), got {every!r}"
        raise ValueError(msg)
    inputs, targets = train_data
    if len(inputs) != len(targets):
        msg = f"fit got {len(inputs)} training inputs but {len(targets)} targets"
        raise ValueError(msg)
    compiled: CompiledGraph | None = None
    outputs: list[Any] = []
    for k in range(steps):
        extra: dict[str, float] = {}
        if k % every == 0:
            for name, split in (("val", val_data), ("test", test_data)):
                if split is not None:
                    extra[f"{name}_loss"], extra[f"{name}_accuracy"] = measure(model, loss, split)
        if lr is not None:
            optimizer.lr = lr(k)
        with cyclic_collector_paused():
            if compiled is None:
                outputs = [model(x) for x in inputs]  # type: ignore[operator]
                value = loss(outputs, targets)
                if compile:
                    compiled = compile_graph(value)
                value_data = value.data
                optimizer.zero_grad()
                value.backward()
                del value
            else:
                value_data = compiled.forward()
                optimizer.zero_grad()
                compiled.backward()
            record = Record(k + 1, value_data, accuracy(outputs, targets), optimizer.lr, **extra)
            optimizer.step()
            if compiled is None:
                outputs = []  # the graph is freed here, by reference counting
        yield record
