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
from typing import TYPE_CHECKING, Any, Protocol, cast

from micrograd_core import (
    ArgumentError,
    ArgumentTypeError,
    CompiledGraph,
    Inline,
    Op,
    Value,
    apply,
    compile_graph,
)
from micrograd_core.value import no_grad
from micrograd_nn._check import class_index, sequence
from micrograd_nn.dataset import make_moons
from micrograd_nn.loss import ExampleLoss, example_loss, hinge_loss, l2_penalty
from micrograd_nn.module import MLP, Input, Module
from micrograd_nn.optimizer import SGD

if TYPE_CHECKING:
    from micrograd_core.batched import BatchedGraph  # imported by compile_graph when used

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
    micrograd_core.errors.ArgumentTypeError: expected the model to give one score per input, ...
    """
    out: list[Value] = []
    for row in inputs:
        score = model(row)  # type: ignore[operator]
        if not isinstance(score, Value):
            msg = (
                f"expected the model to give one score per input, got {type(score).__name__} "
                f"(is its last layer wider than one neuron?)"
            )
            raise ArgumentTypeError(msg)
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
    sequence(scores, "accuracy", "the outputs")
    sequence(labels, "accuracy", "the labels")
    if len(scores) != len(labels):
        msg = f"accuracy got {len(scores)} outputs but {len(labels)} labels"
        raise ArgumentError(msg)
    if not scores:
        msg = "accuracy needs at least one output, got none"
        raise ArgumentError(msg)
    for i, (s, y) in enumerate(zip(scores, labels, strict=True)):
        if isinstance(s, Value):
            continue
        if isinstance(s, str | bytes) or not isinstance(s, Sequence) or not s:
            msg = (
                f"accuracy takes one Value (a score) or a non-empty sequence of Values (one "
                f"logit per class) per output, got {s!r} at index {i}"
            )
            raise ArgumentTypeError(msg)
        for v in s:
            if not isinstance(v, Value):
                _logit(v, i)
        class_index(y, len(s), "accuracy", i)
    return _accuracy(scores, labels)


def _accuracy(scores: Sequence[Output], labels: Sequence[Any]) -> float:
    """:func:`accuracy` of outputs and labels a loss has checked (or a loss of the caller's
    own, whose targets need not be labels: a share of 0 then, not an error)."""
    hits = 0.0
    for s, y in zip(scores, labels, strict=True):
        if isinstance(s, Value):
            hits += _sign_names(y, s.data)
        else:
            hits += _largest_names(y, *(v.data if isinstance(v, Value) else float(v) for v in s))
    return hits / len(scores)


def _logit(x: object, i: int) -> float:
    if isinstance(x, str | bytes) or not hasattr(type(x), "__float__"):
        msg = f"accuracy takes logits as Values or numbers, got {type(x).__name__} at index {i}"
        raise ArgumentTypeError(msg)
    return float(x)  # type: ignore[arg-type]  # it has __float__


def _sign_names(label: float, score: float) -> float:
    """1.0 when the score's sign is the label's (-1 or 1), else 0.0."""
    return float((label > 0) == (score > 0))


def _largest_names(label: float, *logits: float) -> float:
    """1.0 when the largest logit (the first of equals) is the label's class, else 0.0."""
    return float(logits.index(max(logits)) == label)


def _flat(*inputs_and_out: float) -> list[float]:
    return [0.0] * (len(inputs_and_out) - 1)  # a count of hits changes nowhere smoothly


def _largest_names_inline(n: int) -> Inline:
    """:func:`_largest_names` of the label ``x0`` and logits ``x1``, ``x2``, ... as an expression.

    Logit ``k`` is the first of the largest when it is larger than those before
    it and at least those after it.
    """
    logits = range(1, n)
    cases = []
    for k in logits:
        before = [f"x{k} > x{j}" for j in logits if j < k]
        after = [f"x{k} >= x{j}" for j in logits if j > k]
        cases.append(f"({' and '.join([f'x0 == {k - 1}', *before, *after])})")
    return Inline(f"1.0 if {' or '.join(cases)} else 0.0", partials=("0.0",) * n)


# What accuracy counts, as ops: one example's graph computes them over a batch,
# as arrays from the expressions (the functions where a value is not finite).
_SIGN_NAMES = Op(
    "sign_names",
    2,
    forward=_sign_names,
    gradient=_flat,
    inline=Inline("1.0 if (x0 > 0) == (x1 > 0) else 0.0", partials=("0.0", "0.0")),
)
_LARGEST_NAMES = Op(
    "largest_names",
    2,
    variadic=1,
    forward=_largest_names,
    gradient=_flat,
    inline=_largest_names_inline,
)


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

    With ``compile=True`` the graph of **one** example is built (the model on
    input leaves, its hinge loss on a label leaf, plus the L2 term) and every
    step replays it over the data set (:func:`micrograd_core.compile_graph` with
    ``batch=``): the mean over the examples of ``hinge + L2`` is the mean hinge
    loss plus the L2 term, which the replay computes once per step, not once
    per example. The losses, gradients and parameters are those of building the
    graph, to about 1e-12 relative (sums over the examples are added in another
    order), and the accuracies the same; a step is many times faster (see
    docs/performance.md). The model must build the same graph for every
    example, as a model of ``Value`` s without Python control flow on
    ``.data`` does. Without NumPy, or with inputs that are not all real
    numbers or rows of one length, the graph of the first step over the whole
    data set is traced instead and replayed: the same numbers to the last bit.
    """
    optimizer = SGD(model.parameters(), lr=1.0)
    parameters = optimizer.parameters

    def objective(batch: list[Any], labels: Sequence[Any]) -> Value:
        return _objective(batch, labels, parameters, alpha)

    def example(score: Value, label: list[Value]) -> Value:
        return _HINGE.example(score, label) + l2_penalty(parameters, alpha)

    loss = ExampleLoss(objective, _HINGE.columns, example)
    step_on = _stepper(lambda rows: scores(model, rows), loss, inputs, labels, compile=compile)
    for k in range(steps):
        with cyclic_collector_paused():
            optimizer.zero_grad()
            value, share = step_on(inputs, labels)
            optimizer.lr = 1.0 - 0.9 * k / steps
            optimizer.step()
        yield Step(k + 1, value, share, optimizer.lr)


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
        return loss.data, _accuracy(batch, labels)


def _objective(
    batch: Sequence[Value], labels: Sequence[float], parameters: Sequence[Value], alpha: float
) -> Value:
    """micrograd's demo loss: the hinge loss plus ``alpha * sum(p*p)``."""
    return hinge_loss(batch, labels) + l2_penalty(parameters, alpha)


_HINGE = cast("ExampleLoss", example_loss(hinge_loss))  # a loss of micrograd_nn.loss: known


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
        return loss(outputs, targets).data, _accuracy(outputs, targets)


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
    batch_size: int | None = None,
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

    With ``batch_size=b`` each step trains on the ``b`` examples that follow
    the previous step's, in order, wrapping around from the end of
    ``train_data`` to its start; the record's training loss and accuracy are
    those of that mini-batch.

    With ``compile=True``, when ``loss`` is a mean of one loss per example (the
    losses of :mod:`micrograd_nn.loss`, or any
    :class:`~micrograd_nn.loss.ExampleLoss`), the graph of **one** example is
    built (the model on input leaves, the loss on target leaves) and every step
    replays it over the batch (:func:`micrograd_core.compile_graph` with
    ``batch=``; mini-batches through ``set_batch``): the numbers of building the
    graph, to about 1e-12 relative (sums over the examples are added in another
    order), the accuracies the same, and a step many times faster. Any other
    loss may couple the examples, so it is not split into examples: the graph
    of the first step over the whole batch is traced and replayed, the same
    numbers to the last bit (with ``batch_size``, whose batches change, the
    graph is built every step instead). So it is too without NumPy, or with
    inputs or targets that are not all real numbers, or input rows of unequal
    lengths. Either way the model and loss must build the same graph at every
    step (no Python control flow on ``.data``).
    """
    if type(steps) is not int or steps < 0:
        msg = f"fit needs an int steps >= 0, got {steps!r}"
        raise ArgumentError(msg)
    if type(every) is not int or every < 1:
        msg = f"fit needs an int every >= 1 (measure every that many steps), got {every!r}"
        raise ArgumentError(msg)
    inputs, targets = _split(train_data, "train_data", "training")
    for name, split in (("val_data", val_data), ("test_data", test_data)):
        if split is not None:
            _split(split, name, name[:-5])
    if batch_size is not None and (
        type(batch_size) is not int or not 1 <= batch_size <= max(len(inputs), 1)
    ):
        msg = (
            f"fit needs batch_size None (the whole training data) or an int in "
            f"1..{len(inputs)} (the number of training examples), got {batch_size!r}"
        )
        raise ArgumentError(msg)
    batches = _mini_batches(train_data, batch_size)
    step_on = _stepper(
        lambda rows: [model(x) for x in rows],  # type: ignore[operator]
        loss,
        inputs,
        targets,
        compile=compile,
        changing=batch_size is not None,
    )
    for k in range(steps):
        extra: dict[str, float] = {}
        if k % every == 0:
            for name, split in (("val", val_data), ("test", test_data)):
                if split is not None:
                    extra[f"{name}_loss"], extra[f"{name}_accuracy"] = measure(model, loss, split)
        if lr is not None:
            optimizer.lr = lr(k)
        batch_inputs, batch_targets = next(batches)
        with cyclic_collector_paused():
            optimizer.zero_grad()
            value, share = step_on(batch_inputs, batch_targets)
            record = Record(k + 1, value, share, optimizer.lr, **extra)
            optimizer.step()
        yield record


def _split(data: object, name: str, what: str) -> Split:
    """``data`` as (inputs, targets), if it is a pair of sequences of one length, not empty."""
    if isinstance(data, str | bytes) or not isinstance(data, Sequence) or len(data) != 2:
        msg = f"fit takes {name} as a pair (inputs, targets), got {type(data).__name__}"
        raise ArgumentTypeError(msg)
    inputs, targets = data
    sequence(inputs, f"fit {name}", "its inputs")
    sequence(targets, f"fit {name}", "its targets")
    if len(inputs) != len(targets):
        msg = f"fit got {len(inputs)} {what} inputs but {len(targets)} targets"
        raise ArgumentError(msg)
    if len(inputs) == 0:
        msg = f"fit needs at least one {what} example in {name}, got none"
        raise ArgumentError(msg)
    return inputs, targets


def _mini_batches(data: Split, size: int | None) -> Iterator[Split]:
    """The batch of every step: all of ``data``, or ``size`` examples after the last, wrapping."""
    inputs, targets = data
    if size is None:
        while True:
            yield inputs, targets
    start, n = 0, len(inputs)
    while True:
        at = [(start + j) % n for j in range(size)]
        yield [inputs[i] for i in at], [targets[i] for i in at]
        start = (start + size) % n


# -- how a step computes its loss, accuracy and gradient -----------------------------

Predict = Callable[[Sequence[Sequence[Input]]], list[Any]]
"""The model's outputs for a batch of inputs."""


class _Built:
    """Build the step's graph over the batch and backpropagate, as micrograd does."""

    def __init__(self, predict: Predict, loss: Loss) -> None:
        self.predict, self.loss = predict, loss

    def __call__(
        self, inputs: Sequence[Sequence[Input]], targets: Sequence[Any]
    ) -> tuple[float, float]:
        outputs = self.predict(inputs)
        value = self.loss(outputs, targets)
        value.backward()
        return value.data, _accuracy(outputs, targets)  # the graph is freed on return


class _Traced:
    """Trace the first step's graph over the batch (compile_graph), replay it after: same batch."""

    def __init__(self, predict: Predict, loss: Loss) -> None:
        self.predict, self.loss = predict, loss
        self.compiled: CompiledGraph | None = None
        self.outputs: list[Any] = []

    def __call__(
        self, inputs: Sequence[Sequence[Input]], targets: Sequence[Any]
    ) -> tuple[float, float]:
        if self.compiled is None:
            self.outputs = self.predict(inputs)
            value = self.loss(self.outputs, targets)
            self.compiled = compile_graph(value)
            data = value.data
        else:
            data = self.compiled.forward()  # the outputs' .data too
        self.compiled.backward()
        return data, _accuracy(self.outputs, targets)


class _Batched:
    """One example's graph replayed over the batch: its loss, and whether it is right.

    The graph's root is ``loss + probe * right``, where ``right`` is 1.0 when
    the output names the target (what :func:`accuracy` counts) and the leaf
    ``probe`` holds 0.0: the loss is unchanged to the last bit, no other
    gradient changes (``right`` is flat), and the gradient of the mean into
    ``probe`` is the mean of ``right``, the accuracy. One graph gives both.
    """

    def __init__(
        self,
        predict: Predict,
        loss: ExampleLoss,
        inputs: Sequence[Sequence[Input]],
        targets: Sequence[Any],
    ) -> None:
        self.inputs = [Value(0.0) for _ in inputs[0]]
        (output,) = predict([self.inputs])
        n_outputs = 1 if isinstance(output, Value) else len(output)
        with no_grad():  # the targets checked as the loss checks them, on outputs of this shape
            shape = Value(0.0) if isinstance(output, Value) else [Value(0.0)] * n_outputs
            loss.batch([shape] * len(targets), targets)
        self.columns = loss.columns
        self.n_outputs = n_outputs
        self.targets = [Value(0.0) for _ in loss.columns(targets, n_outputs)]
        self.label = Value(0.0)
        if isinstance(output, Value):
            right = apply(_SIGN_NAMES, self.label, output)
        else:
            right = apply(_LARGEST_NAMES, self.label, *output)
        self.probe = Value(0.0)
        root = loss.example(output, self.targets) + self.probe * right
        self.graph: BatchedGraph = compile_graph(root, batch=self._columns(inputs, targets))
        self.batch = inputs

    def _columns(
        self, inputs: Sequence[Sequence[Input]], targets: Sequence[Any]
    ) -> dict[Value, list[Any]]:
        """The batch leaves' values: the inputs, the target leaves, the label."""
        columns: dict[Value, list[Any]] = {
            leaf: [row[j] for row in inputs] for j, leaf in enumerate(self.inputs)
        }
        columns |= zip(self.targets, self.columns(targets, self.n_outputs), strict=True)
        columns[self.label] = list(targets)
        return columns

    def __call__(
        self, inputs: Sequence[Sequence[Input]], targets: Sequence[Any]
    ) -> tuple[float, float]:
        graph = self.graph
        if inputs is not self.batch:  # a new mini-batch
            graph.set_batch(self._columns(inputs, targets))
            self.batch = inputs
        self.probe.grad = 0.0
        value = graph.forward()
        graph.backward()
        # the mean of right, summed in floats: round it to the count of hits
        return value, round(self.probe.grad * graph.size) / graph.size


_StepOn = Callable[[Sequence[Sequence[Input]], Sequence[Any]], tuple[float, float]]


def _stepper(
    predict: Predict,
    loss: Loss,
    inputs: Sequence[Sequence[Input]],
    targets: Sequence[Any],
    *,
    compile: bool,  # noqa: A002
    changing: bool = False,
) -> _StepOn:
    """How each step computes its loss and accuracy, and adds its gradient into ``.grad``.

    ``changing``: each step has a batch of its own (mini-batches), so a traced
    graph of the first cannot be replayed.
    """
    if not compile:
        return _Built(predict, loss)
    example = example_loss(loss)
    if example is not None and _has_numpy() and _real_table(inputs, targets):
        return _Batched(predict, example, inputs, targets)
    return _Built(predict, loss) if changing else _Traced(predict, loss)


def _has_numpy() -> bool:
    """Whether NumPy is installed: a batched graph without it loops over its examples."""
    try:
        import numpy  # noqa: F401, PLC0415  (optional)
    except ImportError:
        return False
    return True


def _real(x: object) -> bool:
    return not isinstance(x, Value) and hasattr(type(x), "__float__")


def _real_table(inputs: Sequence[Sequence[Input]], targets: Sequence[Any]) -> bool:
    """Whether the inputs are rows of real numbers of one length, the targets real numbers."""
    if len(inputs) == 0 or len(inputs[0]) == 0:  # len: a NumPy array has no truth value
        return False
    width = len(inputs[0])
    return all(len(row) == width and all(map(_real, row)) for row in inputs) and all(
        map(_real, targets)
    )
