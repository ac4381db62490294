"""Derivatives beyond backward(): a Hessian, forward mode and a gradient, next to PyTorch's.

The function is a small network's loss as a function of its parameters: an
``MLP(2, [4, 1])`` with tanh (17 parameters) and a squared error over ``size``
moons points. Ours calls :func:`micrograd_core.hessian`, :func:`~micrograd_core.jvp`
and :func:`~micrograd_core.value_and_grad`; PyTorch its functional equivalents
(``torch.autograd.functional.hessian``, ``torch.func.jvp``, ``torch.autograd.grad``)
on the same scalar code. micrograd has no derivatives but the first: unsupported.
"""

from __future__ import annotations

import importlib
import random
import time
from collections.abc import Callable
from typing import Any

from benchmarks.data import moons
from benchmarks.impl import Implementation, Unsupported

__all__ = ["DERIVATIVE_WORKLOADS", "PARAMETERS"]

HIDDEN = 4
PARAMETERS = 2 * HIDDEN + HIDDEN + HIDDEN + 1  # 17
Result = dict[str, Any]
now = time.process_time_ns


def _loss(impl: Implementation, size: int) -> Callable[..., Any]:
    """The mean squared error of a tanh MLP(2, [4, 1]), as a function of its 17 parameters."""
    X, y = moons(size, noise=0.1, seed=0)
    tanh = impl.tanh
    if tanh is None:
        msg = f"{impl.name} has no tanh"
        raise Unsupported(msg)
    scale = 1.0 / size

    def loss(*p: Any) -> Any:
        total: Any = 0.0
        for (x0, x1), target in zip(X, y, strict=True):
            h = [tanh(p[2 * j] * x0 + p[2 * j + 1] * x1 + p[8 + j]) for j in range(HIDDEN)]
            score = p[16]
            for j in range(HIDDEN):
                score = score + p[12 + j] * h[j]
            total = total + (score - target) ** 2
        return total * scale

    return loss


def _point() -> tuple[list[float], list[float]]:
    rng = random.Random(1337)
    return [rng.uniform(-1, 1) for _ in range(PARAMETERS)], [
        rng.uniform(-1, 1) for _ in range(PARAMETERS)
    ]


def _timed(run: Callable[[], Any], repeats: int) -> tuple[list[float], Any]:
    times, out = [], None
    for _ in range(repeats):
        t0 = now()
        out = run()
        times.append((now() - t0) / 1e6)
    return times, out


def _kind(impl: Implementation) -> str:
    if impl.name not in ("ours", "torch") or impl.tanh is None:
        msg = f"{impl.name} has no derivatives beyond the first"
        raise Unsupported(msg)
    return impl.name


def _torch_functions(loss: Callable[..., Any]) -> tuple[Any, Callable[[Any], Any]]:
    torch = importlib.import_module("torch")

    def on_vector(v: Any) -> Any:
        return loss(*v.unbind())

    return torch, on_vector


def hessian_of_loss(impl: Implementation, size: int, repeats: int) -> Result:
    """The 17 x 17 Hessian of the loss: reverse over reverse (ours), autograd (torch)."""
    kind = _kind(impl)
    loss = _loss(impl, size)
    params, _ = _point()
    if kind == "ours":
        from micrograd_core import hessian  # noqa: PLC0415

        times, h = _timed(lambda: hessian(loss, params), repeats)
        return {"times": times, "value": h[0][0]}
    torch, on_vector = _torch_functions(loss)
    p = torch.tensor(params, dtype=torch.float64)
    times, h = _timed(lambda: torch.autograd.functional.hessian(on_vector, p), repeats)
    return {"times": times, "value": float(h[0][0])}


def jvp_of_loss(impl: Implementation, size: int, repeats: int) -> Result:
    """The loss's derivative along one direction: forward mode (ours: jvp; torch.func.jvp)."""
    kind = _kind(impl)
    loss = _loss(impl, size)
    params, tangent = _point()
    if kind == "ours":
        from micrograd_core import jvp  # noqa: PLC0415

        times, (_, derivative) = _timed(lambda: jvp(loss, params, tangent), repeats)
        return {"times": times, "value": derivative}
    torch, on_vector = _torch_functions(loss)
    p = torch.tensor(params, dtype=torch.float64)
    t = torch.tensor(tangent, dtype=torch.float64)
    times, (_, derivative) = _timed(lambda: torch.func.jvp(on_vector, (p,), (t,)), repeats)
    return {"times": times, "value": float(derivative)}


def grad_of_loss(impl: Implementation, size: int, repeats: int) -> Result:
    """The loss's whole gradient, reverse mode: what jvp is compared with."""
    kind = _kind(impl)
    loss = _loss(impl, size)
    params, tangent = _point()
    if kind == "ours":
        from micrograd_core import value_and_grad  # noqa: PLC0415

        times, (_, gradient) = _timed(lambda: value_and_grad(loss, params), repeats)
    else:
        torch, on_vector = _torch_functions(loss)

        def run() -> list[float]:
            p = torch.tensor(params, dtype=torch.float64, requires_grad=True)
            (g,) = torch.autograd.grad(on_vector(p), p)
            return [float(v) for v in g]

        times, gradient = _timed(run, repeats)
    # the directional derivative, to compare with jvp's value
    return {"times": times, "value": sum(g * t for g, t in zip(gradient, tangent, strict=True))}


DERIVATIVE_WORKLOADS: dict[str, Callable[[Implementation, int, int], Result]] = {
    "hessian": hessian_of_loss,
    "jvp": jvp_of_loss,
    "grad": grad_of_loss,
}
