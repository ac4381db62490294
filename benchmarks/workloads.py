"""The workloads, written once against :class:`~benchmarks.impl.Implementation`.

Every function returns a dict of measurements (times in milliseconds of CPU time
of the worker process: the machine may be shared, and CPU time is far less
disturbed by other load than wall time; PyTorch is held to one thread). They run
inside a worker process; an error such as micrograd's ``RecursionError`` is
reported by the worker, not caught here.
"""

from __future__ import annotations

import dataclasses
import gc
import importlib
import os
import random
import statistics
import time
import tracemalloc
from collections.abc import Callable
from typing import Any

from benchmarks.data import moons
from benchmarks.derivatives import DERIVATIVE_WORKLOADS
from benchmarks.floor import FloatMLP
from benchmarks.impl import Implementation, Unsupported
from benchmarks.model import nn

__all__ = ["WORKLOADS", "Unsupported"]

SEED = 1337  # the weights' seed, the same for every implementation
ALPHA = 1e-4
Result = dict[str, Any]


def _ms(t0: int, t1: int) -> float:
    return (t1 - t0) / 1e6


now = time.process_time_ns


def train(impl: Implementation, size: int, repeats: int) -> Result:
    """micrograd's demo step on ``size`` moons points, as a training loop runs it.

    Each step builds a new graph and drops the last one, as user code does; the
    first two steps are warm-up. Losses are kept to check the implementations agree.
    """
    X, y = moons(size, noise=0.1, seed=0)
    random.seed(SEED)
    times: list[float] = []
    losses: list[float] = []
    if impl.name == "floor":
        model = FloatMLP(2, [16, 16, 1])
        for k in range(repeats + 2):
            t0 = now()
            total, _ = model.step(X, y, 1.0 - 0.9 * k / 100)
            times.append(_ms(t0, now()))
            losses.append(total)
        return {"times": times[2:], "losses": losses}

    Value, mlp, to_float = impl.scalar, impl.mlp(2, [16, 16, 1]), impl.to_float

    def loss() -> tuple[Any, float]:  # micrograd's demo, unchanged
        inputs = [list(map(Value, xrow)) for xrow in X]
        scores = list(map(mlp, inputs))
        losses = [(1 + -yi * scorei).relu() for yi, scorei in zip(y, scores, strict=True)]
        data_loss = sum(losses) * (1.0 / len(losses))
        reg_loss = ALPHA * sum(p * p for p in mlp.parameters())
        total_loss = data_loss + reg_loss
        accuracy = [(yi > 0) == (scorei.data > 0) for yi, scorei in zip(y, scores, strict=True)]
        return total_loss, sum(accuracy) / len(accuracy)

    for k in range(repeats + 2):
        t0 = now()
        total_loss, _ = loss()
        mlp.zero_grad()
        total_loss.backward()
        learning_rate = 1.0 - 0.9 * k / 100
        for p in mlp.parameters():
            p.data -= learning_rate * p.grad
        times.append(_ms(t0, now()))
        losses.append(to_float(total_loss.data))
    return {"times": times[2:], "losses": losses}


def train_op_by_op(impl: Implementation, size: int, repeats: int) -> Result:
    """The demo step with micrograd's ``nn.py`` copied line for line for every implementation.

    ``micrograd_nn`` makes each neuron's weighted sum one ``affine`` node; this
    runs ours on the copy instead, one ``mul`` and one ``add`` node per weight, as
    micrograd builds it: the engine alone against the others.
    """
    if impl.name == "ours":
        impl = dataclasses.replace(impl, mlp=nn(impl.scalar))
    return train(impl, size, repeats)


def train_compiled(impl: Implementation, size: int, repeats: int) -> Result:
    """The demo step with ours tracing the first step's graph and replaying it after.

    The others have nothing to compile: they run their usual step, so the
    ratios compare a replay against what each of them does per step.
    """
    if impl.name != "ours":
        return train(impl, size, repeats)
    return _train_replayed(impl, size, repeats)


def train_op_by_op_compiled(impl: Implementation, size: int, repeats: int) -> Result:
    """:func:`train_compiled` on the copy of micrograd's ``nn.py`` (65,818 nodes a step)."""
    if impl.name != "ours":
        return train(impl, size, repeats)
    return _train_replayed(dataclasses.replace(impl, mlp=nn(impl.scalar)), size, repeats)


def _demo_graph(impl: Implementation, size: int) -> tuple[Any, Any]:
    """micrograd's demo loss over ``size`` moons points, and the model, for ours."""
    X, y = moons(size, noise=0.1, seed=0)
    random.seed(SEED)
    Value, mlp = impl.scalar, impl.mlp(2, [16, 16, 1])
    inputs = [list(map(Value, xrow)) for xrow in X]
    scores = list(map(mlp, inputs))
    losses = [(1 + -yi * scorei).relu() for yi, scorei in zip(y, scores, strict=True)]
    data_loss = sum(losses) * (1.0 / len(losses))
    reg_loss = ALPHA * sum(p * p for p in mlp.parameters())
    return data_loss + reg_loss, mlp


def _train_replayed(impl: Implementation, size: int, repeats: int) -> Result:
    from micrograd_core import compile_graph  # noqa: PLC0415  (ours only)

    times: list[float] = []
    losses: list[float] = []
    compiled = None
    total_loss, mlp = _demo_graph(impl, size)
    parameters = mlp.parameters()
    for k in range(repeats + 2):
        t0 = now()
        if compiled is None:  # the first step builds the graph and traces it
            compiled = compile_graph(total_loss)
            loss = total_loss.data
            del total_loss
        else:
            loss = compiled.forward()
        mlp.zero_grad()
        compiled.backward()
        learning_rate = 1.0 - 0.9 * k / 100
        for p in parameters:
            p.data -= learning_rate * p.grad
        times.append(_ms(t0, now()))
        losses.append(loss)
    return {"times": times[2:], "losses": losses}


def train_batched(impl: Implementation, size: int, repeats: int) -> Result:
    """The demo step over the whole data set as arrays: ours replays one example's graph
    over a batch (``compile_graph(loss, batch=...)``), PyTorch runs the same MLP, loss
    and float64 on tensors. Both on one thread (NumPy's BLAS too); same weights, same data.
    """
    for variable in ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS"):
        os.environ[variable] = "1"  # before NumPy's first import: one thread, as PyTorch
    if impl.name == "torch":
        return _train_tensors(impl, size, repeats)
    if impl.name != "ours":
        msg = f"{impl.name} has no batched step (ours replays one example's graph; torch: tensors)"
        raise Unsupported(msg)
    from micrograd_core import compile_graph  # noqa: PLC0415  (ours only)

    X, y = moons(size, noise=0.1, seed=0)
    random.seed(SEED)
    Value, mlp = impl.scalar, impl.mlp(2, [16, 16, 1])
    parameters = mlp.parameters()
    times: list[float] = []
    losses: list[float] = []
    t0 = now()
    x1, x2, label = Value(0.0), Value(0.0), Value(0.0)
    score = mlp([x1, x2])
    loss = (1 + -label * score).relu() + ALPHA * sum(p * p for p in parameters)
    columns = {x1: [x[0] for x in X], x2: [x[1] for x in X], label: y}
    step = compile_graph(loss, batch=columns)
    compiled_in = _ms(t0, now())
    for k in range(repeats + 2):
        t0 = now()
        total = step.forward()
        mlp.zero_grad()
        step.backward()
        learning_rate = 1.0 - 0.9 * k / 100
        for p in parameters:
            p.data -= learning_rate * p.grad
        times.append(_ms(t0, now()))
        losses.append(total)
    return {"times": times[2:], "losses": losses, "compile": compiled_in}


def _train_tensors(impl: Implementation, size: int, repeats: int) -> Result:
    """The demo step on PyTorch tensors (float64), with the weights the scalar models draw."""
    torch = importlib.import_module("torch")  # present: impl is torch's

    X, y = moons(size, noise=0.1, seed=0)
    random.seed(SEED)
    mlp = impl.mlp(2, [16, 16, 1])
    weights: list[Any] = []
    for layer in mlp.layers:
        w = [[float(wi.item()) for wi in n.w] for n in layer.neurons]
        b = [float(n.b.item()) for n in layer.neurons]
        weights += [torch.tensor(w, dtype=torch.float64), torch.tensor(b, dtype=torch.float64)]
    for t in weights:
        t.requires_grad_(True)
    inputs = torch.tensor(X, dtype=torch.float64)
    labels = torch.tensor(y, dtype=torch.float64)
    times: list[float] = []
    losses: list[float] = []
    for k in range(repeats + 2):
        t0 = now()
        h = inputs
        for i in range(0, len(weights), 2):
            h = h @ weights[i].T + weights[i + 1]
            if i + 2 < len(weights):
                h = torch.relu(h)
        data_loss = torch.relu(1 - labels * h[:, 0]).mean()
        reg_loss = ALPHA * sum((t * t).sum() for t in weights)
        total = data_loss + reg_loss
        for t in weights:
            t.grad = None
        total.backward()
        learning_rate = 1.0 - 0.9 * k / 100
        with torch.no_grad():
            for t in weights:
                t.sub_(learning_rate * t.grad)
        times.append(_ms(t0, now()))
        losses.append(float(total.item()))
    return {"times": times[2:], "losses": losses}


def compile_time(impl: Implementation, size: int, repeats: int) -> Result:
    """Time to compile the demo step's graph, and after how many steps it has paid for itself.

    ``break_even`` is the compile time over what a replayed step saves against
    a step that builds its graph (both measured here, medians).
    """
    if impl.name != "ours":
        msg = "only ours compiles a graph"
        raise Unsupported(msg)
    from micrograd_core import compile_graph  # noqa: PLC0415

    built = statistics.median(train(impl, size, repeats)["times"])
    replayed = statistics.median(_train_replayed(impl, size, repeats)["times"])
    times = []
    for _ in range(repeats):
        total_loss, _ = _demo_graph(impl, size)
        t0 = now()
        compile_graph(total_loss)
        times.append(_ms(t0, now()))
    saved = built - replayed
    cost = statistics.median(times)
    return {
        "times": times,
        "built": built,
        "replayed": replayed,
        "break_even": cost / saved if saved > 0 else None,
    }


def compiled_memory(impl: Implementation, size: int, repeats: int) -> Result:
    """Bytes a compiled graph adds per node, on top of the graph it keeps (demo step)."""
    if impl.name != "ours":
        msg = "only ours compiles a graph"
        raise Unsupported(msg)
    from micrograd_core import compile_graph  # noqa: PLC0415

    total_loss, _ = _demo_graph(impl, size)
    gc.collect()
    tracemalloc.start()
    base = tracemalloc.get_traced_memory()[0]
    compiled = compile_graph(total_loss)
    added = tracemalloc.get_traced_memory()[0] - base
    tracemalloc.stop()
    return {"times": [added / len(compiled)], "nodes": len(compiled)}


def _graph_only(impl: Implementation) -> None:
    if impl.name == "floor":
        msg = "plain floats build no graph"
        raise Unsupported(msg)


def _forward_backward(
    impl: Implementation, build: Callable[[], Any], repeats: int
) -> tuple[list[float], list[float], Any]:
    """Time ``build()`` and the backward pass from its result, ``repeats`` times."""
    forward: list[float] = []
    backward: list[float] = []
    out: Any = None
    for _ in range(repeats):
        out = None  # drop the last graph first: one graph alive at a time
        t0 = now()
        out = build()
        t1 = now()
        out.backward()
        t2 = now()
        forward.append(_ms(t0, t1))
        backward.append(_ms(t1, t2))
    return forward, backward, impl.to_float(out.data)


def _chain(impl: Implementation, n: int) -> Callable[[], Any]:
    """A chain of ``n`` ops alternating ``* c`` and ``+ d`` (c, d leaves)."""
    c, d = impl.scalar(0.999), impl.scalar(0.001)

    def build() -> Any:
        x = impl.scalar(0.5)
        for _ in range(n // 2):
            x = x * c
            x = x + d
        return x

    return build


def chain(impl: Implementation, size: int, repeats: int) -> Result:
    """Forward and backward through a chain of ``size`` alternating ops."""
    _graph_only(impl)
    forward, backward, value = _forward_backward(impl, _chain(impl, size), repeats)
    total = [f + b for f, b in zip(forward, backward, strict=True)]
    return {"times": total, "forward": forward, "backward": backward, "value": value}


def wide_sum(impl: Implementation, size: int, repeats: int) -> Result:
    """A sum of ``size`` leaves, added pairwise (a balanced tree, depth log2 size)."""
    _graph_only(impl)
    rng = random.Random(0)
    leaves = [impl.scalar(rng.uniform(-1, 1)) for _ in range(size)]

    def build() -> Any:
        level = leaves
        while len(level) > 1:
            pairs = [level[i] + level[i + 1] for i in range(0, len(level) - 1, 2)]
            level = pairs + level[len(level) - 1 :] if len(level) % 2 else pairs
        return level[0]

    forward, backward, value = _forward_backward(impl, build, repeats)
    total = [f + b for f, b in zip(forward, backward, strict=True)]
    return {"times": total, "forward": forward, "backward": backward, "value": value}


def deep_tanh(impl: Implementation, size: int, repeats: int) -> Result:
    """A tanh network ``size`` layers deep and 4 wide: each unit tanh(w . x + b)."""
    _graph_only(impl)
    tanh = impl.tanh
    if tanh is None:
        msg = f"{impl.name} {impl.version} has no tanh"
        raise Unsupported(msg)
    width = 4
    rng = random.Random(0)

    def unit() -> tuple[list[Any], Any]:
        return [impl.scalar(rng.uniform(-1, 1)) for _ in range(width)], impl.scalar(0.0)

    weights = [[unit() for _ in range(width)] for _ in range(size)]
    inputs = [impl.scalar(rng.uniform(-1, 1)) for _ in range(width)]

    def build() -> Any:
        x = inputs
        for layer in weights:
            x = [tanh(sum((wi * xi for wi, xi in zip(w, x, strict=True)), b)) for w, b in layer]
        return sum(x)

    forward, backward, value = _forward_backward(impl, build, repeats)
    total = [f + b for f, b in zip(forward, backward, strict=True)]
    return {"times": total, "forward": forward, "backward": backward, "value": value}


def _rss() -> int:
    """Resident memory of this process in bytes (Linux), for allocations tracemalloc misses."""
    with open("/proc/self/statm") as statm:
        return int(statm.read().split()[1]) * os.sysconf("SC_PAGE_SIZE")


def memory(impl: Implementation, size: int, repeats: int) -> Result:
    """Bytes per node of a ``size``-op chain after forward (and after backward, with gradients).

    Counted with tracemalloc, which sees every Python allocation; PyTorch keeps
    its graph in C++ memory tracemalloc cannot see, so it is counted by resident
    memory instead (``method`` says which).
    """
    _graph_only(impl)
    build = _chain(impl, size)
    gc.collect()
    if impl.name == "torch":
        method, current = "rss", _rss
    else:
        method, current = "tracemalloc", lambda: tracemalloc.get_traced_memory()[0]
        tracemalloc.start()
    base = current()
    out = build()
    after_forward = current() - base
    try:  # micrograd's recursive backward fails on a deep chain: count what it built
        out.backward()
        after_backward: float | None = (current() - base) / size
    except RecursionError:
        after_backward = None
    if method == "tracemalloc":
        tracemalloc.stop()
    return {"times": [after_forward / size], "backward": after_backward, "method": method}


def free(impl: Implementation, size: int, repeats: int) -> Result:
    """Time to free a dropped ``size``-op graph with the cyclic collector disabled.

    Dropping the last reference frees an acyclic graph at once; what it leaves
    (``cyclic``: objects only the collector can reclaim) is then collected and
    timed as ``collect``.
    """
    _graph_only(impl)
    build = _chain(impl, size)
    enabled = gc.isenabled()
    gc.collect()
    gc.disable()
    try:
        drops, collects, cyclic = [], [], []
        for _ in range(repeats):
            out = build()
            t0 = now()
            del out
            t1 = now()
            found = gc.collect()
            t2 = now()
            drops.append(_ms(t0, t1))
            collects.append(_ms(t1, t2))
            cyclic.append(found)
    finally:
        if enabled:
            gc.enable()
    total = [d + c if n else d for d, c, n in zip(drops, collects, cyclic, strict=True)]
    return {"times": total, "drop": drops, "collect": collects, "cyclic": max(cyclic)}


WORKLOADS: dict[str, Callable[[Implementation, int, int], Result]] = {
    "train": train,
    "train_op_by_op": train_op_by_op,
    "train_compiled": train_compiled,
    "train_batched": train_batched,
    "train_op_by_op_compiled": train_op_by_op_compiled,
    "compile_time": compile_time,
    "compiled_memory": compiled_memory,
    "chain": chain,
    "wide_sum": wide_sum,
    "deep_tanh": deep_tanh,
    "memory": memory,
    "free": free,
    **DERIVATIVE_WORKLOADS,
}
