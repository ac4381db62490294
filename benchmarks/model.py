"""micrograd's ``nn.py``, line for line, over whichever scalar type is benchmarked.

Only the import differs: ``nn(Value)`` returns micrograd's ``MLP`` class built on
``Value`` (and ``zero``, what ``zero_grad`` resets a gradient to: PyTorch wants
``None``), so every implementation runs the very same model code and draws
the same initial weights from ``random`` in the same order.
"""

from __future__ import annotations

import random
from collections.abc import Callable
from typing import Any

__all__ = ["nn"]


def nn(Value: Callable[[float], Any], zero: object = 0) -> Any:
    """micrograd's ``MLP`` over ``Value``.

    >>> MLP = nn(float)
    >>> MLP(2, [16, 16, 1])  # doctest: +ELLIPSIS
    MLP of [Layer of [ReLUNeuron(2), ...]
    """

    class Module:
        def zero_grad(self) -> None:
            for p in self.parameters():
                p.grad = zero

        def parameters(self) -> list[Any]:
            return []

    class Neuron(Module):
        def __init__(self, nin: int, nonlin: bool = True) -> None:
            self.w = [Value(random.uniform(-1, 1)) for _ in range(nin)]
            self.b = Value(0)
            self.nonlin = nonlin

        def __call__(self, x: list[Any]) -> Any:
            act = sum((wi * xi for wi, xi in zip(self.w, x, strict=False)), self.b)
            return act.relu() if self.nonlin else act

        def parameters(self) -> list[Any]:
            return [*self.w, self.b]

        def __repr__(self) -> str:
            return f"{'ReLU' if self.nonlin else 'Linear'}Neuron({len(self.w)})"

    class Layer(Module):
        def __init__(self, nin: int, nout: int, **kwargs: Any) -> None:
            self.neurons = [Neuron(nin, **kwargs) for _ in range(nout)]

        def __call__(self, x: list[Any]) -> Any:
            out = [n(x) for n in self.neurons]
            return out[0] if len(out) == 1 else out

        def parameters(self) -> list[Any]:
            return [p for n in self.neurons for p in n.parameters()]

        def __repr__(self) -> str:
            return f"Layer of [{', '.join(str(n) for n in self.neurons)}]"

    class MLP(Module):
        def __init__(self, nin: int, nouts: list[int]) -> None:
            sz = [nin, *nouts]
            self.layers = [
                Layer(sz[i], sz[i + 1], nonlin=i != len(nouts) - 1) for i in range(len(nouts))
            ]

        def __call__(self, x: list[Any]) -> Any:
            for layer in self.layers:
                x = layer(x)
            return x

        def parameters(self) -> list[Any]:
            return [p for layer in self.layers for p in layer.parameters()]

        def __repr__(self) -> str:
            return f"MLP of [{', '.join(str(layer) for layer in self.layers)}]"

    return MLP
