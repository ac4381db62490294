"""An ``MLP`` in PyTorch: the same weights and activations, and the trained weights back.

:func:`to_torch` builds a ``torch.nn.Module`` of ``nn.Linear`` layers in
float64 holding the model's weights, each hidden layer followed by its
activation, the op the model names made a torch function by
:func:`micrograd_core.interop.to_torch`; its outputs equal the model's to
about 1e-15. Train it with torch's optimisers, then :func:`from_torch` writes
its weights back into the micrograd model. torch is imported when they are
called, never by ``import micrograd_nn``.
"""

from __future__ import annotations

import importlib
from typing import Any

from micrograd_core import active_registry, interop
from micrograd_nn.module import MLP, Layer

__all__ = ["from_torch", "to_torch"]


def to_torch(model: MLP) -> Any:
    """The ``torch.nn.Module`` that computes what ``model`` computes, in float64.

    It maps a tensor of shape ``(..., nin)`` to ``(..., nout)`` (``nout`` is the
    size of the last layer, 1 included: micrograd's single ``Value`` is a last
    dimension of 1 here). Its ``layers`` are ``nn.Linear`` modules whose weights
    and biases are copies of the model's; each hidden layer is followed by its
    activation, listed in ``activations`` (None after the linear last layer).
    """
    if not isinstance(model, MLP):
        msg = f"to_torch exports an MLP, got {type(model).__name__!r}"
        raise TypeError(msg)
    torch = importlib.import_module("torch")
    registry = active_registry()
    linears = []
    activations: list[Any] = []
    for i, layer in enumerate(model.layers):
        linear = torch.nn.Linear(len(layer.neurons[0].w), len(layer.neurons), dtype=torch.float64)
        with torch.no_grad():
            linear.weight.copy_(
                torch.tensor([[w.data for w in n.w] for n in layer.neurons], dtype=torch.float64)
            )
            linear.bias.copy_(torch.tensor([n.b.data for n in layer.neurons], dtype=torch.float64))
        linears.append(linear)
        name = _activation(layer, i)
        activations.append(None if name is None else interop.to_torch(registry[name]))
    return _module_class()(linears, activations)


def from_torch(module: Any, model: MLP) -> MLP:
    """Write the weights of ``module`` (made by :func:`to_torch` from ``model``) into ``model``.

    The ``Value`` s of ``model`` keep their identity (an optimiser that holds
    them goes on working); their ``.data`` takes the module's numbers. Returns
    ``model``.
    """
    layers = getattr(module, "layers", [])
    sizes = [(len(layer.neurons), len(layer.neurons[0].w)) for layer in model.layers]
    found = [tuple(linear.weight.shape) for linear in layers]
    if found != sizes:
        msg = (
            f"the module's layers have weights of shapes {found}; the model's are {sizes} "
            f"(a module made by to_torch(model) was expected)"
        )
        raise ValueError(msg)
    for linear, layer in zip(layers, model.layers, strict=True):
        weights = linear.weight.detach().tolist()
        biases = linear.bias.detach().tolist()
        for neuron, row, bias in zip(layer.neurons, weights, biases, strict=True):
            for w, x in zip(neuron.w, row, strict=True):
                w.data = float(x)
            neuron.b.data = float(bias)
    return model


def _activation(layer: Layer, i: int) -> str | None:
    """The activation all neurons of ``layer`` share, or None for a linear layer."""
    kinds = {(n.nonlin, n.activation) for n in layer.neurons}
    if len(kinds) != 1:
        msg = f"layer {i} mixes activations {sorted(kinds)}; an exported layer has one"
        raise ValueError(msg)
    ((nonlin, activation),) = kinds
    return activation if nonlin else None


_CLASS: list[Any] = []


def _module_class() -> Any:
    """The ``torch.nn.Module`` class of exported MLPs (made once torch is imported)."""
    if _CLASS:
        return _CLASS[0]
    torch = importlib.import_module("torch")

    base: Any = torch.nn.Module

    class MicrogradMLP(base):  # type: ignore[misc]  # torch is untyped here
        """An MLP exported from micrograd: ``nn.Linear`` layers and micrograd's activations."""

        def __init__(self, linears: list[Any], activations: list[Any]) -> None:
            super().__init__()
            self.layers = torch.nn.ModuleList(linears)
            self.activations = activations

        def forward(self, x: Any) -> Any:
            for linear, activation in zip(self.layers, self.activations, strict=True):
                x = linear(x)
                if activation is not None:
                    x = activation(x)
            return x

        def extra_repr(self) -> str:
            names = [getattr(a, "__name__", "linear") if a else "linear" for a in self.activations]
            return f"activations={names}"

    _CLASS.append(MicrogradMLP)
    return MicrogradMLP
