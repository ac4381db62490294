"""The implementations compared: this engine, micrograd 0.1.0, PyTorch scalars, plain floats.

Each is loaded only inside its own worker process. ``load`` returns None when the
package is not installed, so a run without micrograd or torch still works.
"""

from __future__ import annotations

import importlib
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from benchmarks.model import nn

__all__ = ["IMPLEMENTATIONS", "Implementation", "Unsupported", "load"]

IMPLEMENTATIONS = ("ours", "micrograd", "torch", "floor")


class Unsupported(Exception):
    """The implementation cannot run this workload (for instance, micrograd has no tanh)."""


@dataclass(frozen=True)
class Implementation:
    """How one library spells the few things the workloads need."""

    name: str
    version: str
    # A leaf that takes part in differentiation (micrograd's ``Value(x)``).
    scalar: Callable[[float], Any]
    # micrograd's MLP class over ``scalar`` (micrograd_nn's own for ours).
    mlp: Any
    # ``x.tanh()``, or None when the library has no tanh.
    tanh: Callable[[Any], Any] | None = None
    # A node's value or gradient as a float.
    to_float: Callable[[Any], float] = float


def load(name: str) -> Implementation | None:
    """The implementation called ``name``, or None if its package is not installed."""
    if name == "ours":
        from micrograd_core import Value  # noqa: PLC0415
        from micrograd_nn import MLP  # noqa: PLC0415

        _ = Value(0.0) + 0.0  # builds the default registry now, outside any timing
        # micrograd_nn's MLP: micrograd's nn with the same weights and numbers, a
        # little faster than the line-for-line copy the others run (benchmarks.model).
        return Implementation("ours", _version("micrograd-registry"), Value, MLP, tanh=Value.tanh)
    if name == "micrograd":
        try:
            engine = importlib.import_module("micrograd.engine")
        except ImportError:
            return None
        value = engine.Value
        return Implementation("micrograd", _version("micrograd"), value, nn(value))
    if name == "torch":
        try:
            torch = importlib.import_module("torch")
        except ImportError:
            return None
        torch.set_num_threads(1)  # scalar ops: threads only add hand-off costs
        float64 = torch.float64

        def scalar(x: float) -> Any:
            return torch.tensor(float(x), dtype=float64, requires_grad=True)

        return Implementation(
            "torch",
            torch.__version__,
            scalar,
            nn(scalar, zero=None),
            tanh=torch.tanh,
            to_float=lambda t: float(t.item()) if hasattr(t, "item") else float(t),
        )
    if name == "floor":
        return Implementation("floor", "-", float, None)
    msg = f"no implementation named {name!r}; expected one of: {', '.join(IMPLEMENTATIONS)}"
    raise ValueError(msg)


def _version(distribution: str) -> str:
    from importlib.metadata import PackageNotFoundError, version  # noqa: PLC0415

    try:
        return version(distribution)
    except PackageNotFoundError:
        return "?"
