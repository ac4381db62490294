"""The training behind ``micrograd live``: one model, its optimiser and data, and a probe point.

A :class:`LiveSession` trains on this library, one step at a time, and describes
itself as plain JSON-ready data (:meth:`LiveSession.state`): the losses so far,
every parameter with its gradient and optimiser state, the class regions over
the plot, and the computation graph of one probe point with each node's op,
plugin, data and gradient. One lock serialises everything that reads or
changes the model, so concurrent callers never see a half-made step.

>>> session = LiveSession(LiveConfig(task="yinyang"))
>>> state = session.step(2)
>>> state["step"], len(state["losses"]), state["graph"]["nodes"][-1]["op"] is not None
(2, 2, True)
"""

from __future__ import annotations

import math
import threading
from collections.abc import Sequence
from dataclasses import dataclass, replace
from typing import Any, Final

from micrograd_core import CompiledGraph, MicrogradError, Value, compile_graph, node_of
from micrograd_core.graph import topological_order
from micrograd_nn import (
    MLP,
    RNG,
    SGD,
    Adam,
    AdamW,
    accuracy,
    cross_entropy_loss,
    make_moons,
    make_yinyang,
    measure,
    split_dataset,
)

__all__ = [
    "GRID",
    "MAX_STEPS",
    "OPTIMIZERS",
    "TASKS",
    "LiveConfig",
    "LiveSession",
    "Task",
    "TrainingError",
]

MAX_STEPS: Final = 1000
"""The most steps one request may take."""

GRID: Final = 32
"""The class regions are drawn from the model's output at GRID x GRID points."""


@dataclass(frozen=True, slots=True)
class Task:
    """A data set and the model that learns it by default."""

    classes: int
    hidden: tuple[int, ...]
    activation: str
    bounds: tuple[float, float, float, float]  # x0, x1, y0, y1 of the plot


TASKS: Final = {
    # LLM101n's micrograd: 100 yin-yang points, MLP(2, [8, 3]) with tanh, AdamW lr 0.1
    "yinyang": Task(3, (8,), "tanh", (-2.0, 2.0, -2.0, 2.0)),
    # micrograd's demo data, learnt as two classes with cross-entropy
    "moons": Task(2, (16, 16), "relu", (-1.5, 2.5, -1.75, 2.25)),
}

OPTIMIZERS: Final = ("adamw", "adam", "sgd")
"""adamw and adam: betas (0.9, 0.95) as LLM101n (adamw: weight decay 1e-4); sgd: momentum 0.9."""


@dataclass(frozen=True, slots=True)
class LiveConfig:
    """What ``micrograd live`` trains: ``None`` takes the task's default."""

    task: str = "yinyang"
    activation: str | None = None
    hidden: tuple[int, ...] | None = None
    optimizer: str = "adamw"
    lr: float = 0.1
    seed: int = 42

    def resolved(self) -> LiveConfig:
        """The same settings, each default filled in from the task."""
        task = TASKS[self.task]
        return replace(
            self,
            activation=task.activation if self.activation is None else self.activation,
            hidden=task.hidden if self.hidden is None else self.hidden,
        )


class TrainingError(RuntimeError):
    """A step or the probe failed inside the engine (an op outside its domain): nothing changed."""


Optimizer = SGD | Adam


def _finite(x: float) -> float | None:
    """A number JSON can carry: ``None`` for NaN and the infinities."""
    return x if math.isfinite(x) else None


class LiveSession:
    """A model learning a toy task step by step, and everything the live view shows of it."""

    def __init__(self, config: LiveConfig) -> None:
        if config.task not in TASKS:
            msg = f"unknown task {config.task!r}; tasks: {', '.join(TASKS)}"
            raise ValueError(msg)
        if config.optimizer not in OPTIMIZERS:
            msg = f"unknown optimizer {config.optimizer!r}; optimizers: {', '.join(OPTIMIZERS)}"
            raise ValueError(msg)
        if not (math.isfinite(config.lr) and config.lr >= 0):
            msg = f"lr must be a finite number >= 0, got {config.lr!r}"
            raise ValueError(msg)
        self.config = config.resolved()
        self.task = TASKS[config.task]
        self._lock = threading.Lock()
        self._build()  # raises for an unknown activation or a bad seed, before serving

    # -- building and resetting -------------------------------------------------

    def _build(self) -> None:
        config, task = self.config, self.task
        rng = RNG(config.seed)
        if config.task == "yinyang":
            inputs, labels = make_yinyang(100, rng=rng)
        else:
            inputs, labels = make_moons(100, noise=0.1, seed=config.seed)
        (self._train, self._val, self._test) = split_dataset(inputs, labels, (0.8, 0.1, 0.1))
        hidden = task.hidden if config.hidden is None else config.hidden
        activation = task.activation if config.activation is None else config.activation
        self.model = MLP(2, [*hidden, task.classes], activation=activation, rng=rng, init="fan_in")
        self.names = _parameter_names(self.model)
        params = self.model.parameters()
        self.optimizer: Optimizer
        if config.optimizer == "adamw":
            self.optimizer = AdamW(params, lr=config.lr, betas=(0.9, 0.95), weight_decay=1e-4)
        elif config.optimizer == "adam":
            self.optimizer = Adam(params, lr=config.lr, betas=(0.9, 0.95))
        else:
            self.optimizer = SGD(params, lr=config.lr, momentum=0.9)
        self._step = 0
        self._losses: list[dict[str, float | int | None]] = []
        self._updates = [0.0] * len(params)
        self._probe = (0.0, 0.0, 0)
        self._region_graph: tuple[list[Value], list[Value], CompiledGraph] | None = None
        self._regions: dict[str, Any] | None = None
        self._graph: dict[str, Any] | None = None

    def reset(self) -> dict[str, Any]:
        """Start again from the initial weights (the same seed gives the same run)."""
        with self._lock:
            probe = self._probe
            lr = self.optimizer.lr
            self._build()
            self.optimizer.lr = lr
            self._probe = probe
            return self._state()

    # -- changing it ------------------------------------------------------------

    def step(self, steps: int = 1, lr: float | None = None) -> dict[str, Any]:
        """Train ``steps`` steps (with learning rate ``lr`` from now on, if given)."""
        if type(steps) is not int or not 1 <= steps <= MAX_STEPS:
            msg = f"steps must be an int in 1..{MAX_STEPS}, got {steps!r}"
            raise ValueError(msg)
        if lr is not None and not (math.isfinite(lr) and lr >= 0):
            msg = f"lr must be a finite number >= 0, got {lr!r}"
            raise ValueError(msg)
        with self._lock:
            if lr is not None:
                self.optimizer.lr = lr
            for _ in range(steps):
                self._train_step()
            return self._state()

    def _train_step(self) -> None:
        inputs, targets = self._train
        params = self.model.parameters()
        before = [p.data for p in params]
        try:
            val_loss, val_accuracy = measure(self.model, cross_entropy_loss, self._val)
            outputs = [_logits(self.model(x)) for x in inputs]
            loss = cross_entropy_loss(outputs, targets)
            self.optimizer.zero_grad()
            loss.backward()
        except (MicrogradError, ArithmeticError) as e:
            msg = f"step {self._step + 1} failed, nothing changed: {e}"
            raise TrainingError(msg) from None
        self.optimizer.step()
        self._step += 1
        self._updates = [p.data - b for p, b in zip(params, before, strict=True)]
        self._losses.append(
            {
                "step": self._step,
                "train": _finite(loss.data),
                "val": _finite(val_loss),
                "train_accuracy": accuracy(outputs, targets),
                "val_accuracy": val_accuracy,
            }
        )
        self._regions = self._graph = None

    def set_probe(self, x: float, y: float, label: int) -> dict[str, Any]:
        """Move the probe point whose computation graph the view shows."""
        for name, v in (("x", x), ("y", y)):
            if not isinstance(v, int | float) or isinstance(v, bool) or not math.isfinite(v):
                msg = f"probe {name} must be a finite number, got {v!r}"
                raise ValueError(msg)
        if type(label) is not int or not 0 <= label < self.task.classes:
            msg = f"probe label must be an int in 0..{self.task.classes - 1}, got {label!r}"
            raise ValueError(msg)
        with self._lock:
            old = self._probe, self._graph
            self._probe, self._graph = (float(x), float(y), label), None
            try:
                return self._state()
            except TrainingError:
                self._probe, self._graph = old
                raise

    @property
    def probe(self) -> tuple[float, float, int]:
        """The probe point: x, y and its label."""
        return self._probe

    # -- describing it ------------------------------------------------------------

    def state(self) -> dict[str, Any]:
        """Everything the live view shows, as JSON-ready data."""
        with self._lock:
            return self._state()

    def _state(self) -> dict[str, Any]:
        config = self.config
        sizes = (*(config.hidden or ()), self.task.classes)
        return {
            "step": self._step,
            "config": {
                "task": config.task,
                "activation": config.activation,
                "hidden": list(config.hidden or ()),
                "classes": self.task.classes,
                "optimizer": type(self.optimizer).__name__,
                "seed": config.seed,
                "model": f"MLP(2, [{', '.join(map(str, sizes))}])",
                "parameters": len(self.names),
            },
            "lr": self.optimizer.lr,
            "data": {
                "train": [[*x, t] for x, t in zip(*self._train, strict=True)],
                "val": [[*x, t] for x, t in zip(*self._val, strict=True)],
            },
            "losses": list(self._losses),
            "parameters": self._parameters(),
            "regions": self._region_state(),
            "probe": self._probe_state(),
            "graph": self._probe_graph(),
        }

    def _parameters(self) -> dict[str, Any]:
        optimizer = self.optimizer
        columns: tuple[str, ...]
        if isinstance(optimizer, Adam):
            columns = ("m", "sqrt(v)")
        else:
            columns = ("velocity",)
        rows = []
        for i, (name, p) in enumerate(zip(self.names, self.model.parameters(), strict=True)):
            if isinstance(optimizer, Adam):
                adam = optimizer.state[p]
                own = [adam.exp_avg, math.sqrt(adam.exp_avg_sq)]
            else:
                own = [optimizer.state[p].momentum_buffer or 0.0]
            rows.append(
                {
                    "name": name,
                    "data": _finite(p.data),
                    "grad": _finite(p.grad),
                    "update": _finite(self._updates[i]),
                    "state": [_finite(x) for x in own],
                }
            )
        return {"columns": list(columns), "rows": rows}

    def _region_state(self) -> dict[str, Any]:
        if self._regions is not None:
            return self._regions
        if self._region_graph is None:
            # One graph for a point, replayed at every point of the grid.
            point = [Value(0.0), Value(0.0)]
            logits = _logits(self.model(point))
            total = logits[0]
            for logit in logits[1:]:
                total = total + logit
            self._region_graph = (point, logits, compile_graph(total))
        point, logits, compiled = self._region_graph
        x0, x1, y0, y1 = self.task.bounds
        probs: list[list[float]] = []
        for i in range(GRID):  # rows from the top of the plot
            point[1].data = y1 - (i + 0.5) * (y1 - y0) / GRID
            for j in range(GRID):
                point[0].data = x0 + (j + 0.5) * (x1 - x0) / GRID
                try:
                    compiled.forward()
                    row = _softmax([v.data for v in logits])
                except (MicrogradError, ArithmeticError):
                    row = [0.0] * len(logits)
                probs.append([round(p, 3) for p in row])
        self._regions = {"bounds": list(self.task.bounds), "size": GRID, "probs": probs}
        return self._regions

    def _probe_state(self) -> dict[str, Any]:
        x, y, label = self._probe
        graph = self._probe_graph()
        return {"x": x, "y": y, "label": label, "loss": graph["nodes"][-1]["data"]}

    def _probe_graph(self) -> dict[str, Any]:
        """The probe's loss graph, with every node's gradient of that loss alone."""
        if self._graph is not None:
            return self._graph
        x, y, label = self._probe
        params = self.model.parameters()
        saved = [p.grad for p in params]
        try:
            point = [Value(x, label="x"), Value(y, label="y")]
            loss = cross_entropy_loss([_logits(self.model(point))], [label])
            for p in params:
                p.grad = 0.0
            loss.backward()
            self._graph = _graph(loss, dict(zip(map(id, params), self.names, strict=True)))
        except (MicrogradError, ArithmeticError) as e:
            msg = f"the probe's graph failed: {e}"
            raise TrainingError(msg) from None
        finally:
            for p, g in zip(params, saved, strict=True):
                p.grad = g
        return self._graph

    # -- a recorded run ---------------------------------------------------------------

    def record(self, steps: int) -> dict[str, Any]:
        """Train ``steps`` steps from where the session is, keeping the view of each step.

        The result is what an exported page replays: the parts that stay the
        same once (``run``), and one frame per step, the first before training.
        """
        if type(steps) is not int or steps < 0:
            msg = f"steps must be an int >= 0, got {steps!r}"
            raise ValueError(msg)
        with self._lock:
            frames = [self._frame()]
            for _ in range(steps):
                self._train_step()
                frames.append(self._frame())
            state = self._state()
        run = {key: state[key] for key in ("config", "data", "losses")}
        return {"run": run, "frames": frames}

    def _frame(self) -> dict[str, Any]:
        state = self._state()
        for key in ("config", "data", "losses"):
            del state[key]
        return state


def _logits(output: Value | Sequence[Value]) -> list[Value]:
    return [output] if isinstance(output, Value) else list(output)


def _softmax(xs: Sequence[float]) -> list[float]:
    top = max(xs)
    exps = [math.exp(x - top) for x in xs]
    total = sum(exps)
    return [e / total for e in exps]


def _parameter_names(model: MLP) -> list[str]:
    """``L0.N3.w1``: layer 0, neuron 3, weight 1; ``L0.N3.b`` its bias."""
    names: list[str] = []
    for i, layer in enumerate(model.layers):
        for j, neuron in enumerate(layer.neurons):
            names.extend(f"L{i}.N{j}.w{k}" for k in range(len(neuron.w)))
            names.append(f"L{i}.N{j}.b")
    return names


def _graph(root: Value, names: dict[int, str]) -> dict[str, Any]:
    """The nodes (inputs first, ``root`` last) and edges (input, node) of ``root``'s graph."""
    order = topological_order(root)
    index = {id(v): i for i, v in enumerate(order)}
    nodes: list[dict[str, Any]] = []
    edges: list[list[int]] = []
    for i, v in enumerate(order):
        op, inputs, constant = node_of(v)
        if op is not None:
            kind = "op"
        elif constant:
            kind = "constant"
        elif id(v) in names:
            kind = "parameter"
        else:
            kind = "input"
        nodes.append(
            {
                "id": i,
                "kind": kind,
                "label": names.get(id(v)) or v.label,
                "op": None if op is None else op.name,
                "plugin": None if op is None else op.plugin,
                "data": _finite(v.data),
                "grad": _finite(v.grad),
            }
        )
        edges.extend([index[id(a)], i] for a in inputs)
    return {"nodes": nodes, "edges": edges}
